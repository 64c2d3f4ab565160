import { ConcurrencyPrimitive, notHeld } from './concurrency';
import type { Deferred } from './deferred';

/**
 * A mutual-exclusion lock for Deferred code (Twisted's DeferredLock).
 * Acquires are served in FIFO order; a queued acquire can be cancelled.
 * @example
 * lock.run(() => conn.runQuery('select 1'));   // released on success and failure
 */
export class DeferredLock extends ConcurrencyPrimitive {
  /** True while someone holds the lock. */
  locked = false;

  /** Fires with the lock once it is held (synchronously when it is free). */
  acquire(): Deferred<this> {
    const d = this.newAcquire();
    if (this.locked) {
      this.waiting.push(d);
    } else {
      this.locked = true;
      d.callback(this);
    }
    return d;
  }

  /**
   * Releases the lock; the oldest queued acquire (if any) gets it at once.
   * @throws InterfaceError (`ERR_NOT_HELD`) if the lock is not locked.
   */
  release(): void {
    if (!this.locked) throw notHeld('a lock');
    this.locked = false;
    if (this.waiting.length > 0) {
      this.locked = true;
      this.wakeOne();
    }
  }
}
