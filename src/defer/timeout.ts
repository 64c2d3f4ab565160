/**
 * Deadlines for Deferreds (Twisted's `Deferred.addTimeout`).
 *
 * Theory of operation. `addTimeout` schedules a call on the given clock that
 * cancels the Deferred after `ms`. It then appends two links to the chain:
 * one that, if the deadline is what cancelled it, turns the resulting
 * `CancelledError` into a `TimeoutError`; and one that cancels the pending
 * deadline as soon as the Deferred fires for any reason. Because the links go
 * at the current end of the chain, callbacks added *before* `addTimeout` see
 * the `CancelledError`, callbacks added after it see the `TimeoutError`.
 */
import type { ReactorTime } from '../../reactor/interfaces';
import { CancelledError, TimeoutError } from '../errors/base';
import type { Deferred } from './deferred';

/**
 * What to do with the result when the deadline cancelled the Deferred; the
 * default turns a `CancelledError` into a `TimeoutError` and passes anything else on.
 */
export type OnTimeoutCancel = (result: unknown, failed: boolean, ms: number) => unknown;

/**
 * Cancels `d` if it has not fired within `ms` milliseconds of `clock` time;
 * a resulting `CancelledError` becomes a `TimeoutError` (its `cause` is the
 * CancelledError). Returns `d` itself, so it chains.
 * @param onTimeoutCancel replaces the conversion (it may return a value or throw).
 */
export function addTimeout<T>(d: Deferred<T>, ms: number, clock: ReactorTime, onTimeoutCancel?: OnTimeoutCancel): Deferred<T> {
  let timedOut = false;
  const call = clock.callLater(ms, () => {
    timedOut = true;
    d.cancel();
  });
  const convert = onTimeoutCancel ?? cancelledToTimeout;
  d.addCallbacks(
    (value: T) => (timedOut ? convert(value, false, ms) : value),
    (error: Error) => {
      if (timedOut) return convert(error, true, ms);
      throw error;
    },
  );
  return d.addFinally(() => {
    if (call.active()) call.cancel();
  }) as Deferred<T>;
}

function cancelledToTimeout(result: unknown, failed: boolean, ms: number): unknown {
  if (failed && result instanceof CancelledError) throw new TimeoutError(ms, undefined, { cause: result });
  if (failed) throw result;
  return result;
}
