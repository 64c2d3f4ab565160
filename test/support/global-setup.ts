// Placeholder: replaced by the harness (starts one PostgreSQL server per run).
export default async function globalSetup(): Promise<void> {}
