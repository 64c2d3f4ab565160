/**
 * Twisted's SynchronousTestCase helpers for Deferreds: read a result that is
 * already there, or assert there is none, without a reactor or real time.
 */
import type { Deferred } from '../../../src/defer/deferred';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error } | undefined;

function take<T>(d: Deferred<T>): Outcome<T> {
  let out: Outcome<T>;
  d.addCallbacks(
    (value: T) => {
      out = { ok: true, value };
    },
    (error: Error) => {
      out = { ok: false, error };
    },
  );
  return out;
}

/** Returns the success value of a fired Deferred (consuming it); throws if it has none or failed. */
export function successResultOf<T>(d: Deferred<T>): T {
  const out = take(d);
  if (out === undefined) throw new Error('successResultOf: the Deferred has no result');
  if (!out.ok) throw new Error(`successResultOf: the Deferred failed with ${out.error.name}: ${out.error.message}`);
  return out.value;
}

/** Returns the Error of a failed Deferred (consuming it); throws if it has none, succeeded, or is not of `type`. */
export function failureResultOf<T>(d: Deferred<T>, type?: abstract new (...a: never[]) => Error): Error {
  const out = take(d);
  if (out === undefined) throw new Error('failureResultOf: the Deferred has no result');
  if (out.ok) throw new Error(`failureResultOf: the Deferred succeeded with ${String(out.value)}`);
  const error: Error = out.error;
  if (type !== undefined && !((error as unknown) instanceof type)) {
    throw new Error(`failureResultOf: expected ${type.name}, got ${error.name}: ${error.message}`);
  }
  return error;
}

/** Throws if `d` has a result available now; leaves the chain unchanged. */
export function assertNoResult<T>(d: Deferred<T>): void {
  let seen = false;
  d.addCallbacks(
    (value: T) => {
      seen = true;
      return value;
    },
    (error: Error) => {
      seen = true;
      throw error;
    },
  );
  if (seen) throw new Error('assertNoResult: the Deferred has a result');
}
