/** Waiting on real events in integration tests: poll a condition with a deadline (no fixed sleeps). */

/**
 * Resolves once `cond()` holds, polling every 5 ms; rejects after `ms` naming
 * `what`. `ms` is a limit to give up at, never a bound on how fast the event
 * comes: keep it generous, a loaded machine is slow (and below the test's
 * jest timeout, so the failure names what never happened).
 */
export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
