/**
 * AbortSignal support, for code written against the web-platform convention.
 */
import type { Deferred } from './deferred';

/**
 * Cancels `d` when `signal` aborts (at once if it already has). The listener
 * is removed when `d` fires, so long-lived signals do not accumulate them.
 * Returns `d` itself.
 */
export function withAbortSignal<T>(d: Deferred<T>, signal: AbortSignal): Deferred<T> {
  if (signal.aborted) {
    d.cancel();
    return d;
  }
  const onAbort = (): void => d.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return d.addFinally(() => signal.removeEventListener('abort', onAbort));
}
