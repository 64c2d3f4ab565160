/**
 * What DeferredLock and DeferredSemaphore share (Twisted's _ConcurrencyPrimitive).
 *
 * Theory of operation. `acquire()` returns a Deferred that fires with the
 * primitive once it is held; while none is free, the Deferred waits in a FIFO
 * queue. Cancelling a queued acquire removes it from the queue (it fails with
 * `CancelledError` and never gets the primitive); cancelling one that already
 * fired does nothing, so the holder must still release. `run(fn)` acquires,
 * calls `fn`, and releases once `fn`'s result (or failure) is in.
 */
import { InterfaceError } from '../errors/base';
import { maybeDeferred } from './combinators';
import { Deferred } from './deferred';

/** The shared base of {@link DeferredLock} and {@link DeferredSemaphore}. */
export abstract class ConcurrencyPrimitive {
  /** The queued acquires, oldest first. */
  protected readonly waiting: Array<Deferred<this>> = [];

  /** Resolves with this primitive once it is held. Cancelling a queued acquire dequeues it. */
  abstract acquire(): Deferred<this>;

  /** Gives the primitive back, handing it to the oldest queued acquire if any. */
  abstract release(): void;

  /** How many acquires are queued. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Acquires, calls `fn(...args)`, and releases when its result is in (on
   * success and on failure). The returned Deferred carries `fn`'s result.
   */
  run<U, A extends unknown[]>(fn: (...args: A) => U | PromiseLike<U>, ...args: A): Deferred<U> {
    return this.acquire().addCallback(() => maybeDeferred(fn, ...args).addFinally(() => this.release()));
  }

  /** A new acquire Deferred whose canceller removes it from the queue. */
  protected newAcquire(): Deferred<this> {
    return new Deferred<this>((d) => {
      const i = this.waiting.indexOf(d);
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  /** Hands the primitive to the oldest queued acquire; false when none waits. */
  protected wakeOne(): boolean {
    const d = this.waiting.shift();
    if (d === undefined) return false;
    d.callback(this);
    return true;
  }
}

/** The error for releasing what is not held. */
export function notHeld(what: string): InterfaceError {
  return new InterfaceError(`tried to release ${what} that is not held`, { code: 'ERR_NOT_HELD' });
}
