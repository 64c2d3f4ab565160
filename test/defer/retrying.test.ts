import { CancelledError, InterfaceError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { backoffIterator, DEFAULT_JITTER, gaussian, RetryingCall } from '../../src/defer/retrying';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';
import { Clock } from '../../reactor/virtual/clock';
import type { DelayedCall } from '../../reactor/interfaces';
import { rng } from '../support/fuzz';

failOnUnhandledFailures();

/** The shipped virtual clock, recording every delay asked of it (the backoff the call used). */
class TestClock extends Clock {
  /** Every delay ever passed to callLater, in order. */
  readonly requested: number[] = [];

  override callLater(delayMs: number, fn: () => void): DelayedCall {
    this.requested.push(delayMs);
    return super.callLater(delayMs, fn);
  }
}


function take(it: Iterator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const step = it.next();
    if (step.done === true) break;
    out.push(step.value);
  }
  return out;
}

describe('backoffIterator', () => {
  it('starts with 0 and then increases (test_simple)', () => {
    const values = take(backoffIterator({ random: rng(1), maxDelay: 0 }), 6);
    expect(values[0]).toBe(0);
    for (let i = 2; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
  });

  it('caps every value at maxDelay (test_maxDelay)', () => {
    const values = take(backoffIterator({ maxDelay: 3000, random: rng(2) }), 50);
    expect(Math.max(...values)).toBe(3000);
  });

  it('starts with a non-zero value when now is false (test_notNow)', () => {
    const [first] = take(backoffIterator({ now: false, jitter: 0 }), 1);
    expect(first).toBe(1700);
  });

  it('yields maxRetries values in all, the leading 0 included (test_maxRetries)', () => {
    const it = backoffIterator({ maxRetries: 3, random: rng(3) });
    expect(take(it, 10)).toHaveLength(3);
    expect(it.next().done).toBe(true);
  });

  it('is unlimited when maxRetries is 0 (test_noMaxRetries)', () => {
    expect(take(backoffIterator({ maxRetries: 0, random: rng(4) }), 5000)).toHaveLength(5000);
  });

  it('grows without bound when maxDelay is 0 (test_noMaxDelay)', () => {
    const values = take(backoffIterator({ maxDelay: 0, jitter: 0 }), 30);
    expect(values[29]).toBeGreaterThan(1e9);
  });

  it('yields exactly 0, 20, 40, 80, 90, 90 without jitter (test_precise)', () => {
    const it = backoffIterator({ initialDelay: 10, factor: 2, jitter: 0, maxDelay: 90 });
    expect(take(it, 6)).toEqual([0, 20, 40, 80, 90, 90]);
  });

  it('defaults to the reconnection schedule: 0, 1700, 2890, 4913, 8352, then 10000 for ever', () => {
    const values = take(backoffIterator({ jitter: 0 }), 8).map((v) => Math.round(v));
    expect(values).toEqual([0, 1700, 2890, 4913, 8352, 10000, 10000, 10000]);
  });

  it('uses the default jitter and unlimited retries when no option is given', () => {
    const values = take(backoffIterator({ random: rng(5) }), 200);
    expect(values).toHaveLength(200);
    expect(values[1]).not.toBe(1700);
    expect(values[1]).toBeGreaterThan(1000);
    expect(values[1]).toBeLessThan(2400);
  });

  it('applies Gaussian jitter from the injected random source (Box-Muller)', () => {
    const script = [0.5, 0];
    const random = (): number => script.shift() as number;
    const z = Math.sqrt(2 * Math.log(2));
    const [, first] = take(backoffIterator({ random }), 2);
    expect(first).toBeCloseTo(1700 * (1 + DEFAULT_JITTER * z), 9);
  });

  it('compounds jitter: each step grows from the jittered value', () => {
    const script = [0.5, 0, 0.5, 0.5];
    const random = (): number => script.shift() as number;
    const [, a, b] = take(backoffIterator({ random, maxDelay: 0 }), 3);
    const z2 = Math.sqrt(2 * Math.log(2)) * Math.cos(Math.PI);
    expect(b).toBeCloseTo(a * 1.7 * (1 + DEFAULT_JITTER * z2), 9);
  });

  it('has jitter with about the configured relative standard deviation', () => {
    const random = rng(6);
    const samples = Array.from({ length: 4000 }, () => take(backoffIterator({ random, now: false }), 1)[0] / 1700 - 1);
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(sd).toBeGreaterThan(DEFAULT_JITTER * 0.95);
    expect(sd).toBeLessThan(DEFAULT_JITTER * 1.05);
  });

  it('draws standard normal deviates', () => {
    const random = rng(7);
    const zs = Array.from({ length: 4000 }, () => gaussian(random));
    const mean = zs.reduce((s, x) => s + x, 0) / zs.length;
    const sd = Math.sqrt(zs.reduce((s, x) => s + (x - mean) ** 2, 0) / zs.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
  });
});

describe('RetryingCall', () => {
  /** A function that fails `failures` times with the given errors, then returns `value`. */
  function flaky<T>(errors: Error[], value: T): jest.Mock<T, []> {
    let next = 0;
    return jest.fn(() => {
      if (next < errors.length) throw errors[next++];
      return value;
    });
  }

  it('makes the first call synchronously (test_basic)', () => {
    const clock = new TestClock();
    const fn = jest.fn((a: number, b: number) => a + b);
    const d = new RetryingCall(fn, 40, 2).start({ clock });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(successResultOf(d)).toBe(42);
    expect(clock.requested).toEqual([]);
  });

  it('retries on the clock after failures, then succeeds (test_someFailures)', () => {
    const clock = new TestClock();
    const fn = flaky([new Error('1'), new Error('2')], 'ok');
    const d = new RetryingCall(fn).start({ clock, backoff: [0, 10, 20, 30] });
    expect(fn).toHaveBeenCalledTimes(1);
    clock.advance(10);
    expect(fn).toHaveBeenCalledTimes(2);
    assertNoResult(d);
    clock.advance(19);
    expect(fn).toHaveBeenCalledTimes(2);
    clock.advance(1);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(successResultOf(d)).toBe('ok');
    expect(clock.requested).toEqual([10, 20]);
  });

  it('fails with the first failure when the delays run out (test_ranOutOfRetries)', () => {
    const clock = new TestClock();
    const first = new Error('first');
    const fn = flaky([first, new Error('second'), new Error('third')], 'never');
    const call = new RetryingCall(fn);
    const d = call.start({ clock, backoff: [1, 1] });
    expect(fn).not.toHaveBeenCalled();
    clock.advance(1);
    expect(fn).toHaveBeenCalledTimes(1);
    assertNoResult(d);
    clock.advance(1);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(failureResultOf(d)).toBe(first);
    expect(call.failure).toBe(first);
  });

  it('stops when the failure tester returns an Error (test_customTester)', () => {
    class Retryable extends Error {}
    const clock = new TestClock();
    const fatal = new TypeError('fatal');
    const fn = flaky([new Retryable('again'), fatal], 'never');
    const tester = (e: Error): Error | undefined => (e instanceof Retryable ? undefined : e);
    const d = new RetryingCall(fn).start({ clock, backoff: [0, 0, 0, 0], failureTester: tester });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(failureResultOf(d)).toBe(fatal);
  });

  it('fails with what a throwing failure tester threw (test_failureInFailureTester)', () => {
    const clock = new TestClock();
    const testerError = new RangeError('tester broke');
    const fn = flaky([new Error('x')], 'never');
    const d = new RetryingCall(fn).start({
      clock,
      backoff: [0, 0],
      failureTester: () => {
        throw testerError;
      },
    });
    expect(failureResultOf(d)).toBe(testerError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('uses a new backoff after the delay already scheduled (test_resetBackoff)', () => {
    const clock = new TestClock();
    const fn = flaky([new Error('1'), new Error('2')], 'ok');
    const call = new RetryingCall(fn);
    const d = call.start({ clock, backoff: [0, 1, 1, 1] });
    expect(fn).toHaveBeenCalledTimes(1);
    call.resetBackoff([5]);
    clock.advance(1);
    expect(fn).toHaveBeenCalledTimes(2);
    clock.advance(4);
    expect(fn).toHaveBeenCalledTimes(2);
    clock.advance(1);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(successResultOf(d)).toBe('ok');
    expect(clock.requested).toEqual([1, 5]);
  });

  it('fails with CancelledError and makes no more calls when cancelled (test_cancel)', () => {
    const clock = new TestClock();
    const fn = jest.fn(() => {
      throw new Error('always');
    });
    const tester = jest.fn(() => undefined);
    const call = new RetryingCall(fn);
    const d = call.start({ clock, backoff: [0, 10, 10], failureTester: tester });
    expect(fn).toHaveBeenCalledTimes(1);
    d.cancel();
    failureResultOf(d, CancelledError);
    expect(call.cancelled).toBe(true);
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(tester).toHaveBeenCalledTimes(1);
  });

  it('cancels an attempt in progress without consulting the tester', () => {
    const clock = new TestClock();
    const attemptCanceller = jest.fn();
    const tester = jest.fn(() => undefined);
    const d = new RetryingCall(() => new Deferred<number>(attemptCanceller)).start({ clock, backoff: [0], failureTester: tester });
    d.cancel();
    expect(attemptCanceller).toHaveBeenCalledTimes(1);
    expect(tester).not.toHaveBeenCalled();
    failureResultOf(d, CancelledError);
  });

  it('waits for a Deferred returned by the function', () => {
    const clock = new TestClock();
    const attempt = new Deferred<string>();
    const d = new RetryingCall(() => attempt).start({ clock });
    assertNoResult(d);
    attempt.callback('later');
    expect(successResultOf(d)).toBe('later');
  });

  it('retries many synchronous failures without growing the stack', () => {
    const clock = new TestClock();
    const fn = flaky(Array.from({ length: 20_000 }, () => new Error('again')), 'done');
    const d = new RetryingCall(fn).start({ clock, backoff: Array.from({ length: 20_001 }, () => 0) });
    expect(successResultOf(d)).toBe('done');
  });

  it('fails with an InterfaceError when the backoff yields nothing', () => {
    const clock = new TestClock();
    const fn = jest.fn();
    const d = new RetryingCall(fn).start({ clock, backoff: [] });
    expect(failureResultOf(d, InterfaceError).message).toMatch(/no delay/);
    expect(fn).not.toHaveBeenCalled();
  });

  it('follows the default reconnection schedule when no backoff is given', () => {
    const clock = new TestClock();
    const fn = jest.fn(() => {
      throw new Error('down');
    });
    const d = new RetryingCall(fn).start({ clock });
    expect(fn).toHaveBeenCalledTimes(1);
    clock.advance(2500);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(clock.requested[0]).toBeGreaterThan(1000);
    expect(clock.requested[0]).toBeLessThan(2400);
    d.cancel();
    failureResultOf(d, CancelledError);
  });
});
