/**
 * The private failure marker.
 *
 * Theory of operation. A Deferred's result is either a value or a failure,
 * and both may be Error objects: a callback may legitimately *return* an
 * Error as its value. Twisted tells them apart with its `Failure` wrapper; we
 * do the same, but the wrapper never leaves `src/defer`. Errbacks, `await`
 * and the unhandled-failure hook all receive `failure.error`, the thrown
 * value itself. A non-Error thrown value is wrapped once, here, so every
 * failure users see is an Error.
 */
import { PgError } from '../errors/base';

/**
 * A failure travelling down a callback chain (internal; never given to user code).
 * `observed` is set once the failure was handed to a Promise (`then`) or reported
 * as unhandled, so it is never reported (again).
 */
export class Failure {
  /** True once `then` observed the failure or the unhandled hook reported it. */
  observed = false;

  /** @param error the thrown value, already an Error (see {@link toError}). */
  constructor(readonly error: Error) {}
}

/** A non-Error value was thrown or passed to `errback`; `cause` holds it. */
export class NonErrorFailure extends PgError {
  constructor(value: unknown) {
    super('ERR_NON_ERROR_FAILURE', `a non-Error value (${typeof value}) was thrown; see cause`, { cause: value });
  }
}

/** True for Error objects, including those from another realm (a vm context). */
export function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/** Returns `value` if it is an Error, else a {@link NonErrorFailure} whose `cause` is `value`. */
export function toError(value: unknown): Error {
  return isError(value) ? value : new NonErrorFailure(value);
}
