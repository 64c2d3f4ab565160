import { CancelledError, InterfaceError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { DeferredLock } from '../../src/defer/lock';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('DeferredLock', () => {
  it('is acquired at once when free and queues later acquires in order', () => {
    const lock = new DeferredLock();
    const order: number[] = [];
    lock.acquire().addCallback(() => order.push(1));
    const second = lock.acquire().addCallback(() => order.push(2));
    const third = lock.acquire().addCallback(() => order.push(3));
    expect(lock.locked).toBe(true);
    expect(order).toEqual([1]);
    assertNoResult(second);
    lock.release();
    expect(order).toEqual([1, 2]);
    lock.release();
    expect(order).toEqual([1, 2, 3]);
    successResultOf(third);
    lock.release();
    expect(lock.locked).toBe(false);
  });

  it('fires the acquire Deferred with the lock itself', () => {
    const lock = new DeferredLock();
    expect(successResultOf(lock.acquire())).toBe(lock);
  });

  it('refuses to release a lock that is not locked', () => {
    expect(() => new DeferredLock().release()).toThrow(InterfaceError);
  });

  it('removes a cancelled queued acquire from the queue', () => {
    const lock = new DeferredLock();
    lock.acquire();
    const queued = lock.acquire();
    const next = lock.acquire();
    queued.cancel();
    failureResultOf(queued, CancelledError);
    expect(lock.waitingCount).toBe(1);
    lock.release();
    expect(successResultOf(next)).toBe(lock);
  });

  it('ignores cancelling an acquire that already holds the lock', () => {
    const lock = new DeferredLock();
    const held = lock.acquire();
    held.cancel();
    expect(lock.locked).toBe(true);
    expect(successResultOf(held)).toBe(lock);
  });

  it('runs a function under the lock and releases it on success', () => {
    const lock = new DeferredLock();
    const work = new Deferred<string>();
    const d = lock.run((x: number) => work.addCallback((s) => `${s}${x}`), 1);
    expect(lock.locked).toBe(true);
    work.callback('done');
    expect(successResultOf(d)).toBe('done1');
    expect(lock.locked).toBe(false);
  });

  it('releases the lock when the run function fails, passing the failure on', () => {
    const lock = new DeferredLock();
    const err = new Error('run failed');
    const d = lock.run(() => {
      throw err;
    });
    expect(failureResultOf(d)).toBe(err);
    expect(lock.locked).toBe(false);
  });

  it('serialises run calls', () => {
    const lock = new DeferredLock();
    const first = new Deferred<void>();
    const calls: string[] = [];
    lock.run(() => {
      calls.push('a');
      return first;
    });
    const b = lock.run(() => calls.push('b'));
    expect(calls).toEqual(['a']);
    first.callback();
    expect(calls).toEqual(['a', 'b']);
    successResultOf(b);
  });

  it('releases when a running run is cancelled', () => {
    const lock = new DeferredLock();
    const d = lock.run(() => new Deferred<void>());
    d.cancel();
    failureResultOf(d, CancelledError);
    expect(lock.locked).toBe(false);
  });
});
