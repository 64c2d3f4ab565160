import { CancelledError, InterfaceError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { DeferredSemaphore } from '../../src/defer/semaphore';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('DeferredSemaphore', () => {
  it('lets up to `tokens` holders in and queues the rest', () => {
    const sem = new DeferredSemaphore(2);
    const a = sem.acquire();
    const b = sem.acquire();
    const c = sem.acquire();
    successResultOf(a);
    successResultOf(b);
    assertNoResult(c);
    expect(sem.tokens).toBe(0);
    sem.release();
    expect(successResultOf(c)).toBe(sem);
    expect(sem.tokens).toBe(0);
  });

  it('refuses a non-positive token count', () => {
    expect(() => new DeferredSemaphore(0)).toThrow(InterfaceError);
  });

  it('refuses to release more tokens than were taken', () => {
    expect(() => new DeferredSemaphore(1).release()).toThrow(InterfaceError);
  });

  it('removes a cancelled queued acquire from the queue', () => {
    const sem = new DeferredSemaphore(1);
    sem.acquire();
    const queued = sem.acquire();
    queued.cancel();
    failureResultOf(queued, CancelledError);
    sem.release();
    expect(sem.tokens).toBe(1);
  });

  it('limits run to `limit` concurrent calls and releases on both paths', () => {
    const sem = new DeferredSemaphore(2);
    const gates = [new Deferred<void>(), new Deferred<void>(), new Deferred<void>()];
    let running = 0;
    let peak = 0;
    const runs = gates.map((g, i) =>
      sem.run(() => {
        running++;
        peak = Math.max(peak, running);
        return g.addCallback(() => {
          running--;
          if (i === 0) throw new Error('first fails');
          return i;
        });
      }),
    );
    expect(running).toBe(2);
    gates[0].callback();
    expect(failureResultOf(runs[0]).message).toBe('first fails');
    expect(running).toBe(2);
    gates[1].callback();
    gates[2].callback();
    expect(successResultOf(runs[1])).toBe(1);
    expect(successResultOf(runs[2])).toBe(2);
    expect(peak).toBe(2);
    expect(sem.tokens).toBe(2);
  });

  it('wakes queued acquires when the limit is raised', () => {
    const sem = new DeferredSemaphore(1);
    sem.acquire();
    const queued = sem.acquire();
    sem.setLimit(2);
    expect(successResultOf(queued)).toBe(sem);
    expect(sem.limit).toBe(2);
  });

  it('applies a lowered limit as holders release', () => {
    const sem = new DeferredSemaphore(2);
    sem.acquire();
    sem.acquire();
    sem.setLimit(1);
    const queued = sem.acquire();
    sem.release();
    assertNoResult(queued);
    sem.release();
    successResultOf(queued);
    expect(sem.tokens).toBe(0);
  });
});
