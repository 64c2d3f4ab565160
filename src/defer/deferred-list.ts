/**
 * Waiting for several Deferreds at once.
 *
 * Theory of operation. A DeferredList adds one link to each Deferred in the
 * list and counts results. It fires with `[success, valueOrError]` pairs in
 * list order once all have fired, or earlier with `fireOnOneCallback` (the
 * first success, as `[value, index]`) or `fireOnOneErrback` (the first
 * failure, as a {@link FirstError}). Without `consumeErrors` a failure also
 * continues down its own Deferred's chain (and is reported as unhandled if
 * nothing else handles it there); with it, that chain gets `undefined`.
 * Cancelling the list cancels every Deferred in it.
 */
import { Deferred } from './deferred';
import { FirstError } from './first-error';

/** One entry of a DeferredList result: `[true, value]` or `[false, error]`. */
export type DeferredListEntry<T> = [true, T] | [false, Error];

/** Options of {@link DeferredList}, as in Twisted. */
export interface DeferredListOptions {
  /** Fire with `[value, index]` on the first success. */
  fireOnOneCallback?: boolean;
  /** Fail with a {@link FirstError} on the first failure. */
  fireOnOneErrback?: boolean;
  /** Stop failures from continuing down their own Deferred's chain (it gets `undefined`). */
  consumeErrors?: boolean;
}

/**
 * A Deferred that fires when the Deferreds in `list` have. The result type
 * `R` is `DeferredListEntry<T>[]` by default; with `fireOnOneCallback` the
 * list may instead fire with `[value, index]`: declare `R` accordingly.
 * An empty list fires at once with `[]` (unless `fireOnOneCallback`).
 */
export class DeferredList<T, R = DeferredListEntry<T>[]> extends Deferred<R> {
  /** The results so far, in list order (holes for those not yet fired). */
  readonly resultList: Array<DeferredListEntry<T> | undefined>;
  /** How many of the Deferreds have fired. */
  finishedCount = 0;
  private readonly options: DeferredListOptions;
  private readonly size: number;

  constructor(list: ReadonlyArray<Deferred<T>>, options: DeferredListOptions = {}) {
    super(() => list.forEach((d) => d.cancel()));
    this.options = options;
    this.size = list.length;
    this.resultList = new Array<DeferredListEntry<T> | undefined>(list.length);
    if (list.length === 0 && !options.fireOnOneCallback) this.callback([] as R);
    list.forEach((d, index) => this.watch(d, index));
  }

  private watch(d: Deferred<T>, index: number): void {
    d.addCallbacks(
      (value: T) => {
        this.record(index, [true, value]);
        return value;
      },
      (error: Error) => {
        this.record(index, [false, error]);
        if (this.options.consumeErrors) return undefined;
        throw error;
      },
    );
  }

  private record(index: number, entry: DeferredListEntry<T>): void {
    this.resultList[index] = entry;
    this.finishedCount++;
    if (this.called) return;
    if (entry[0] && this.options.fireOnOneCallback) {
      this.callback([entry[1], index] as R);
    } else if (!entry[0] && this.options.fireOnOneErrback) {
      this.errback(new FirstError(entry[1], index));
    } else if (this.finishedCount === this.size) {
      this.callback(this.resultList as R);
    }
  }
}

/** The element types of a tuple of Deferreds. */
export type ResultsOf<L extends readonly unknown[]> = { -readonly [K in keyof L]: L[K] extends Deferred<infer U> ? U : never };

/**
 * Fires with the values of all `list` Deferreds in order, or fails with a
 * {@link FirstError} on the first failure (Twisted's `gatherResults`).
 * `consumeErrors` as in {@link DeferredList}.
 */
export function gatherResults<L extends ReadonlyArray<Deferred<unknown>>>(
  list: L,
  consumeErrors = false,
): Deferred<ResultsOf<L>> {
  const dl = new DeferredList<unknown>(list, { fireOnOneErrback: true, consumeErrors });
  return dl.addCallback((entries) => entries.map((e) => e[1]) as ResultsOf<L>);
}
