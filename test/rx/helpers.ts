/** Small helpers shared by the rx tests: waiting for events from a real server. */
import { firstValueFrom, type Observable, take as first, timeout, toArray } from 'rxjs';

/** Resolves once `cond()` holds, polling on the event loop; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not reached in time');
    await new Promise((r) => setImmediate(r));
  }
}

/** Collects the first `n` values of `source` (unsubscribing then); rejects after `ms` without them. */
export function take<T>(source: Observable<T>, n: number, ms = 10000): Promise<T[]> {
  return firstValueFrom(source.pipe(first(n), toArray(), timeout(ms)));
}
