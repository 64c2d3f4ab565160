/** Waiting on real events in integration tests: poll a condition with a deadline (no fixed sleeps). */

/** Resolves once `cond()` holds, polling every 5 ms; rejects after `ms` naming `what`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
