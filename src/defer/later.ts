import type { ReactorTime } from '../../reactor/interfaces';
import { maybeDeferred } from './combinators';
import { Deferred } from './deferred';

/**
 * After `ms` milliseconds of `clock` time, calls `fn(...args)` and fires with
 * its result (Twisted's `task.deferLater`). Cancelling before then cancels the
 * scheduled call (`fn` never runs) and fails with `CancelledError`.
 */
export function deferLater<U, A extends unknown[]>(
  clock: ReactorTime,
  ms: number,
  fn: (...args: A) => U | PromiseLike<U>,
  ...args: A
): Deferred<U> {
  const d = new Deferred<undefined>(() => call.cancel());
  const call = clock.callLater(ms, () => d.callback(undefined));
  return d.addCallback(() => maybeDeferred(fn, ...args));
}
