/**
 * Making Deferreds from values, errors and function calls.
 */
import { Deferred, isThenable } from './deferred';

/** A Deferred that has already succeeded with `value`. */
export function succeed<T>(value: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(value);
  return d;
}

/**
 * A Deferred that has already failed with `error` (a non-Error is wrapped,
 * see `Deferred.errback`). Handle it, or it is reported as unhandled.
 */
export function fail<T = never>(error: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(error);
  return d;
}

/**
 * Calls `fn(...args)` and always returns a Deferred: a thrown error becomes a
 * failed Deferred, a returned Deferred is returned as it is, a Promise is
 * wrapped, and any other value becomes a succeeded Deferred.
 */
export function maybeDeferred<T, A extends unknown[]>(
  fn: (...args: A) => T | PromiseLike<T>,
  ...args: A
): Deferred<T> {
  let result: T | PromiseLike<T>;
  try {
    result = fn(...args);
  } catch (e) {
    return fail<T>(e);
  }
  return isThenable(result) ? Deferred.fromPromise(result as PromiseLike<T>) : succeed(result as T);
}
