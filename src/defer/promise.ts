/**
 * Bridges between Deferreds and native Promises.
 *
 * `await d` already works (a Deferred is PromiseLike); these helpers are for
 * code that needs a real Promise, or has one and needs a Deferred.
 */
import { Deferred, observe } from './deferred';

/**
 * A Deferred that fires when `p` settles (a Deferred is returned as it is).
 * Cancelling it fails it with `CancelledError` at once; `p`'s later outcome is ignored.
 */
export function fromPromise<T>(p: PromiseLike<T>): Deferred<T> {
  return Deferred.fromPromise(p);
}

/**
 * A native Promise of `d`'s result at this point of its chain. Like `then`,
 * it observes without consuming, and a failure observed this way counts as handled.
 */
export function asPromise<T>(d: Deferred<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => observe(d, resolve, reject)); // public boundary: Promise
}
