// Placeholder: replaced by the harness (stops the server of the run).
export default async function globalTeardown(): Promise<void> {}
