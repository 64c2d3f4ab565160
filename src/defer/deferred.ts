/**
 * Deferred: a result that is not there yet, with Twisted's semantics.
 *
 * Theory of operation. A Deferred holds a chain of (callback, errback) links
 * and, once fired, a result. Firing (`callback`/`errback`) runs the chain:
 * each link receives the current result and its return value becomes the new
 * result. A success runs the callback of the next link, a failure its
 * errback; a link that throws switches to the failure path, a link that
 * returns switches back to success (even when it returns an Error object:
 * that is a value). Links added after firing run at once.
 *
 * A link that returns another Deferred (or any Promise) makes this one wait:
 * it pauses until the inner one has a result, which then continues down this
 * chain. The chain runner is iterative (an explicit stack of waiting
 * Deferreds instead of recursion), so 100,000 links or 100,000 nested
 * Deferreds run in constant stack depth.
 *
 * `cancel()` runs the canceller given to the constructor; if that did not fire
 * the Deferred, it fails with `CancelledError`. `then` makes a Deferred a
 * PromiseLike: it *observes* the result at its place in the chain and passes
 * it on unchanged, so `await d` never consumes anything. A failure that ends
 * a chain with nobody handling it is reported once (see `unhandled.ts`).
 *
 * Internally a failure is a private {@link Failure} wrapping the Error; user
 * code only ever sees the Error itself.
 */
import { AlreadyCalledError, CancelledError, InterfaceError } from '../errors/base';
import { Failure, toError } from './failure';
import { hold, release, reportError, type Held } from './unhandled';

/** Marks a link that hands the result to a waiting Deferred (stored in the link's extra slot). */
const CONTINUE = (): never => {
  throw new InterfaceError('internal continuation link was called');
};

/** Marks a link whose functions take and return the raw result (value or Failure). */
const RAW: unique symbol = Symbol('raw');

/** A link's extra slot: extra arguments, the RAW marker, or the Deferred waiting for this one. */
type Extra = readonly unknown[] | typeof RAW | Deferred<unknown> | undefined;

type AnyFn = (...args: never[]) => unknown;

/** The value a callback may produce: a value, a Deferred or a Promise of it. */
export type Chainable<U> = U | PromiseLike<U>;

/**
 * Returned by a canceller that has started an asynchronous cancellation (a
 * server-side CancelRequest, say) and promises to fire the Deferred itself
 * when it completes. `cancel()` then does not fail the Deferred at once.
 * This is our extension to Twisted, whose txpostgres raised a private
 * `_CancelInProgress` from the canceller for the same purpose.
 */
export const CANCEL_PENDING: unique symbol = Symbol('CANCEL_PENDING');

/** A function that cancels the work behind a Deferred; it may fire the Deferred itself, or return {@link CANCEL_PENDING}. */
export type Canceller<T> = (d: Deferred<T>) => void | typeof CANCEL_PENDING;

/**
 * A result that is not available yet, with callback chains, chaining,
 * pausing and cancellation as in Twisted, and `await` support.
 *
 * @typeParam T the type of the result the next added callback receives.
 * @example
 * const d = new Deferred<number>();
 * d.addCallback((n) => n + 1).addErrback((e) => { log(e); return 0; });
 * d.callback(41);
 */
export class Deferred<T> implements PromiseLike<T> {
  /** The result: a value or a Failure; undefined while waiting on `chainedTo`. */
  private result: unknown = undefined;
  private fired = false;
  private pauseCount = 0;
  /** The inner Deferred this one waits for (a link returned it). */
  private chainedTo: Deferred<unknown> | null = null;
  /**
   * Flat links: [onValue, onError, extra] triples; `next` indexes the first
   * unrun one, `end` the first free slot. The storage starts with room for
   * two links (most Deferreds get one or two): a push onto an empty array
   * would allocate room for about twenty.
   */
  private links: unknown[] | null = null;
  private next = 0;
  private end = 0;
  private running = false;
  /** Swallow one late callback/errback after a cancel without canceller (Twisted's rule). */
  private suppressAlreadyCalled = false;
  private held: Held | null = null;
  /** Stored untyped so that a Deferred<T> stays assignable to a Deferred<unknown>. */
  private readonly canceller: Canceller<never> | undefined;

  /**
   * @param canceller called by {@link cancel} while the Deferred has not fired;
   *   it should stop the work and may fire the Deferred (its result wins). If
   *   it does not, the Deferred fails with `CancelledError`.
   */
  constructor(canceller?: Canceller<T>) {
    this.canceller = canceller as Canceller<never> | undefined;
  }

  /**
   * Wraps a Promise (or any thenable): the Deferred fires when it settles.
   * Cancelling it fails it with `CancelledError` at once; the Promise's later
   * outcome is then ignored. A Deferred is returned as it is.
   */
  static fromPromise<U>(p: PromiseLike<U>): Deferred<U> {
    if (p instanceof Deferred) return p as Deferred<U>;
    const d = new Deferred<U>();
    try {
      p.then( // public boundary: Promise
        (v) => d.callback(v),
        (e: unknown) => d.errback(e),
      );
    } catch (e) {
      d.errback(e);
    }
    return d;
  }

  /** True once `callback` or `errback` was called (Twisted's `called`). */
  get called(): boolean {
    return this.fired;
  }

  /** How many `pause()` calls (plus a wait on a chained Deferred) are outstanding. */
  get paused(): number {
    return this.pauseCount;
  }

  /**
   * Fires the Deferred with a success value and runs the chain.
   * @throws AlreadyCalledError if it already fired (except once after a cancel without canceller).
   * @throws InterfaceError if `result` is a Deferred (return it from a callback to chain instead).
   */
  callback(result: T): void {
    if (result instanceof Deferred) throw new InterfaceError('a Deferred cannot be the result of callback()');
    this.start(result);
  }

  /**
   * Fires the Deferred with a failure and runs the chain. A non-Error `error`
   * is wrapped in an Error whose `cause` it is.
   * @throws AlreadyCalledError if it already fired (except once after a cancel without canceller).
   */
  errback(error: unknown): void {
    this.start(new Failure(toError(error)));
  }

  /**
   * Adds a callback run on success; its return value (or the result of the
   * Deferred/Promise it returns) becomes the result. Failures pass by.
   * Extra `args` are passed after the result. Returns this Deferred.
   */
  addCallback<U, A extends unknown[] = []>(fn: (result: T, ...args: A) => Chainable<U>, ...args: A): Deferred<U> {
    return this.link(fn, undefined, args.length > 0 ? args : undefined);
  }

  /**
   * Adds an errback run on failure with the Error; returning a value recovers,
   * throwing keeps failing. Success values pass by. Returns this Deferred.
   */
  addErrback<U = T, A extends unknown[] = []>(fn: (error: Error, ...args: A) => Chainable<U>, ...args: A): Deferred<T | U> {
    return this.link(undefined, fn, args.length > 0 ? args : undefined);
  }

  /**
   * Adds `fn` as both callback and errback. Note: returning the Error it got
   * turns a failure into a success value; rethrow it to keep failing, or use
   * {@link addFinally} for cleanup that must not change the result.
   */
  addBoth<U, A extends unknown[] = []>(fn: (result: T | Error, ...args: A) => Chainable<U>, ...args: A): Deferred<U> {
    const extra = args.length > 0 ? args : undefined;
    return this.link(fn, fn, extra);
  }

  /**
   * Adds a callback and an errback as one link: exactly one of them runs, and
   * the errback does not see failures thrown by this callback. A null callback
   * passes values by. Returns this Deferred.
   */
  addCallbacks<U, V = U>(
    callback: ((result: T, ...args: never[]) => Chainable<U>) | null,
    errback?: ((error: Error, ...args: never[]) => Chainable<V>) | null,
    callbackArgs?: readonly unknown[],
    errbackArgs?: readonly unknown[],
  ): Deferred<U | V> {
    if (callbackArgs === undefined && errbackArgs === undefined) {
      return this.link(callback ?? undefined, errback ?? undefined, undefined);
    }
    const cb = callback && ((r: T) => (callback as AnyFn as (...a: unknown[]) => unknown)(r, ...(callbackArgs ?? [])));
    const eb = errback && ((e: Error) => (errback as AnyFn as (...a: unknown[]) => unknown)(e, ...(errbackArgs ?? [])));
    return this.link(cb ?? undefined, eb ?? undefined, undefined);
  }

  /**
   * Adds `fn` to run on both paths without changing the result (like
   * `finally`): if it returns a Deferred/Promise the chain waits for it; if
   * it throws (or that fails), its error replaces the result.
   */
  addFinally(fn: () => unknown): Deferred<T> {
    const after = (raw: unknown): unknown => {
      const x = fn();
      return isThenable(x) ? Deferred.fromPromise(x).addCallback(() => raw) : raw;
    };
    return this.link(after, after, RAW);
  }

  /** Fires `other` with this Deferred's result (success or failure); this one's result becomes undefined. */
  chainDeferred(other: Deferred<T>): Deferred<undefined> {
    return this.link((v: T) => other.callback(v), (e: Error) => other.errback(e), undefined);
  }

  /** Stops running callbacks until a matching {@link unpause}; results keep arriving. */
  pause(): void {
    this.pauseCount++;
  }

  /** Undoes one {@link pause}; runs the pending callbacks when none is left. */
  unpause(): void {
    if (this.pauseCount === 0) return;
    this.pauseCount--;
    if (this.pauseCount === 0 && this.fired) this.runCallbacks();
  }

  /**
   * Cancels the work. Before firing: runs the canceller; unless that fired the
   * Deferred or returned {@link CANCEL_PENDING}, or that fired the
   * Deferred, it fails with `CancelledError`. While waiting on a chained
   * Deferred: cancels that one. After firing: does nothing. Never throws; a
   * throwing canceller's error becomes the `cause` of the `CancelledError`
   * (or is reported as unhandled if the canceller had fired the Deferred).
   */
  cancel(): void {
    if (!this.fired) {
      let thrown: unknown = undefined;
      if (this.canceller === undefined) this.suppressAlreadyCalled = true;
      else thrown = this.runCanceller();
      if (thrown === CANCEL_PENDING) return;
      if (!this.fired) this.errback(new CancelledError(undefined, thrown === undefined ? undefined : { cause: thrown }));
      else if (thrown !== undefined) reportError(toError(thrown), this);
    } else if (this.chainedTo !== null) {
      this.chainedTo.cancel();
    }
  }

  /**
   * Observes the result at this point of the chain, as a Promise does, and
   * passes it on unchanged: later callbacks still get it. Observing a failure
   * this way counts as handling it (the returned Promise now carries it).
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null, // eslint-disable-line @typescript-eslint/no-explicit-any
  ): Promise<R1 | R2> {
    const p = new Promise<T>((resolve, reject) => observe(this, resolve, reject)); // public boundary: Promise
    return p.then(onFulfilled, onRejected); // public boundary: Promise
  }

  /**
   * `Promise.prototype.catch` for a Deferred: `d.catch(fn)` is
   * `d.then(undefined, fn)`. Like {@link Deferred.then} it observes the
   * result at this point of the chain without consuming it (later callbacks
   * still get it) and counts as handling a failure; it returns a new Promise
   * of `fn`'s result, or of the value when the Deferred succeeds.
   *
   * @example
   * conn.runQuery('SELECT 1').catch((e: Error) => log(e));
   */
  catch<R = never>(
    onRejected?: ((reason: any) => R | PromiseLike<R>) | null, // eslint-disable-line @typescript-eslint/no-explicit-any
  ): Promise<T | R> {
    return this.then(undefined, onRejected); // public boundary: Promise
  }

  /**
   * `Promise.prototype.finally` for a Deferred: observes the result at this
   * point of the chain without consuming it (like {@link Deferred.then}, so a
   * failure counts as handled), calls `onFinally()` with no argument on
   * either outcome, and returns a Promise that settles like the Deferred once
   * a Promise returned by `onFinally` has settled; a throw or rejection in
   * `onFinally` rejects it instead. The Twisted-style link that changes the
   * Deferred's own chain is {@link Deferred.addFinally}.
   */
  finally(onFinally?: (() => void | PromiseLike<unknown>) | null): Promise<T> {
    return this.then().finally(onFinally); // public boundary: Promise
  }

  /** Appends one link (internal); `extra` is args, RAW, or a waiting Deferred for CONTINUE. */
  private link<U>(onValue: unknown, onError: unknown, extra: Extra): Deferred<U> {
    if (this.held !== null) this.releaseHeld();
    const links = this.links ?? (this.links = [undefined, undefined, undefined, undefined, undefined, undefined]);
    const end = this.end;
    links[end] = onValue;
    links[end + 1] = onError;
    links[end + 2] = extra;
    this.end = end + 3;
    if (this.fired) this.runCallbacks();
    return this as unknown as Deferred<U>;
  }

  private start(result: unknown): void {
    if (this.fired) {
      if (!this.suppressAlreadyCalled) throw new AlreadyCalledError();
      this.suppressAlreadyCalled = false;
      return;
    }
    this.fired = true;
    this.result = result;
    this.runCallbacks();
  }

  private runCanceller(): unknown {
    try {
      const outcome = (this.canceller as unknown as Canceller<T>)(this);
      return outcome === CANCEL_PENDING && !this.fired ? CANCEL_PENDING : undefined;
    } catch (e) {
      return e ?? new InterfaceError('canceller threw a nullish value');
    }
  }

  private releaseHeld(): void {
    release(this.held as Held);
    this.held = null;
  }

  /**
   * The chain runner (Twisted's `_runCallbacks`), iterative. `stack` holds the
   * Deferreds whose chains are being run: the top one runs; when it meets a
   * CONTINUE link (a Deferred waiting for it), it hands its result to that
   * Deferred and pushes it; when its chain is dry (or it starts waiting on
   * another Deferred), it is popped and the one below carries on.
   */
  private runCallbacks(): void {
    // Re-entered from one of our own callbacks (it added a link or fired an
    // inner Deferred that continues into us): the outer loop will see the new work.
    if (this.running) return;
    const stack: Deferred<unknown>[] = [this as Deferred<unknown>];
    while (stack.length > 0) {
      const current = stack[stack.length - 1];
      // Paused (by the user, or waiting on a chained Deferred): it resumes on unpause.
      // The Deferred below (if any) handed us its result and may carry on with its own links.
      if (current.pauseCount > 0) {
        stack.pop();
        continue;
      }
      // If it was waiting on a chained Deferred, that one has delivered now.
      current.chainedTo = null;
      // Set when we hand the result to a waiting Deferred and must run that one first.
      let handedOn = false;
      for (;;) {
        // Re-read each time: a callback may have added links (or the first ones).
        const links = current.links;
        if (links === null || current.next >= current.end) break;
        const i = current.next;
        current.next = i + 3;
        const failed = current.result instanceof Failure;
        const fn = links[failed ? i + 1 : i] as AnyFn | undefined;
        const extra = links[i + 2] as Extra;
        // Drop the references so a long-lived chain does not keep them alive.
        links[i] = links[i + 1] = links[i + 2] = undefined;
        // No function for this path (addCallback on failure, addErrback on success): result passes.
        if (fn === undefined) continue;
        if (fn === CONTINUE) {
          // A Deferred waits for our result: give it away, un-pause it, run it next.
          const chainee = extra as Deferred<unknown>;
          chainee.result = current.result;
          current.result = undefined;
          chainee.pauseCount--;
          stack.push(chainee);
          handedOn = true;
          break;
        }
        // Run the function; a throw becomes a failure. `running` blocks re-entry.
        current.running = true;
        try {
          current.result = callLink(fn, current.result, failed, extra);
        } catch (e) {
          current.result = new Failure(toError(e));
        } finally {
          current.running = false;
        }
        // A returned Deferred/Promise: take its result now if it has one, else wait for it.
        if (isThenable(current.result) && current.waitOn(current.result)) break;
      }
      // Our result went to a waiting Deferred: run it (it is on top now); we come back later.
      if (handedOn) continue;
      // Dry (or waiting on an inner Deferred): recycle the link storage, note an unhandled failure, pop.
      current.settle();
      stack.pop();
    }
  }

  /**
   * A link returned `thenable` (internal, part of the runner): takes its
   * result at once if it has one, else pauses this Deferred and appends a
   * CONTINUE link to it. Returns true when this Deferred must now wait.
   */
  private waitOn(thenable: PromiseLike<unknown>): boolean {
    if (thenable === this) {
      this.result = new Failure(new InterfaceError('a callback returned the Deferred it was added to'));
      return false;
    }
    const inner = Deferred.fromPromise(thenable);
    const ready = inner.fired && inner.pauseCount === 0 && inner.chainedTo === null && !inner.running;
    if (ready) {
      // Steal the inner result (Twisted does the same; the inner one keeps undefined).
      this.result = inner.result;
      inner.result = undefined;
      if (inner.held !== null) inner.releaseHeld();
      return false;
    }
    this.result = undefined;
    this.pauseCount++;
    this.chainedTo = inner;
    inner.link(CONTINUE, CONTINUE, this as Deferred<unknown>);
    return true;
  }

  /** End of a run for this Deferred: reset drained link storage and track an unhandled failure. */
  private settle(): void {
    if (this.links !== null && this.next >= this.end) {
      this.links = null;
      this.next = 0;
      this.end = 0;
    }
    const r = this.result;
    if (r instanceof Failure && this.chainedTo === null) {
      if (this.held === null || this.held.failure !== r) {
        if (this.held !== null) this.releaseHeld();
        this.held = hold(this, r);
      }
    } else if (this.held !== null) {
      this.releaseHeld();
    }
  }
}

/** Calls one link function with the right argument shape and returns the new raw result. */
function callLink(fn: AnyFn, result: unknown, failed: boolean, extra: Extra): unknown {
  const f = fn as (...a: unknown[]) => unknown;
  if (extra === RAW) return f(result);
  const arg = failed ? (result as Failure).error : result;
  return extra === undefined ? f(arg) : f(arg, ...(extra as readonly unknown[]));
}

/** True for Deferreds, Promises and other objects with a callable `then`. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as { then?: unknown }).then === 'function'
  );
}

/**
 * Internal: adds a link that reports the result to `onValue`/`onError` and
 * passes it on unchanged, marking a failure as observed (handled).
 */
export function observe<T>(d: Deferred<T>, onValue: (v: T) => void, onError: (e: Error) => void): void {
  const pass = (raw: unknown): unknown => {
    if (raw instanceof Failure) {
      raw.observed = true;
      onError(raw.error);
    } else {
      onValue(raw as T);
    }
    return raw;
  };
  (d as unknown as { link(a: unknown, b: unknown, x: Extra): void }).link(pass, pass, RAW);
}
