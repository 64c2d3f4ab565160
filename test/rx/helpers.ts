/** Small helpers shared by the rx tests: waiting for events from a real server. */
import type { Observable } from 'rxjs';

/** Resolves once `cond()` holds, polling on the event loop; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not reached in time');
    await new Promise((r) => setImmediate(r));
  }
}

/** Collects the first `n` values of `source`. */
export function take<T>(source: Observable<T>, n: number, ms = 10000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${n} values arrived`)), ms);
    const sub = source.subscribe({
      next: (v) => {
        out.push(v);
        if (out.length === n) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve(out);
        }
      },
      error: (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    });
  });
}
