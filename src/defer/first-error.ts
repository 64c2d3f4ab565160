import { PgError } from '../errors/base';

/**
 * The first failure of a `DeferredList` with `fireOnOneErrback` (and so of
 * `gatherResults`): `subFailure` is that Error (also the `cause`), `index`
 * the position of the Deferred that failed.
 */
export class FirstError extends PgError {
  /** The Error the Deferred at {@link index} failed with. */
  readonly subFailure: Error;
  /** The position of the failed Deferred in the list. */
  readonly index: number;

  constructor(subFailure: Error, index: number) {
    super('ERR_FIRST_ERROR', `Deferred #${index} failed: ${subFailure.name}: ${subFailure.message}`, {
      cause: subFailure,
    });
    this.subFailure = subFailure;
    this.index = index;
  }
}
