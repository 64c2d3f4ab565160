import { CancelledError } from '../../src/errors/base';
import { deferLater } from '../../src/defer/later';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';
import { Clock } from '../../reactor/virtual/clock';

failOnUnhandledFailures();

describe('deferLater', () => {
  it('calls the function after the delay and fires with its result', () => {
    const clock = new Clock();
    const fn = jest.fn((a: number) => a * 2);
    const d = deferLater(clock, 10, fn, 21);
    clock.advance(9);
    expect(fn).not.toHaveBeenCalled();
    assertNoResult(d);
    clock.advance(1);
    expect(successResultOf(d)).toBe(42);
  });

  it('fails with what the function throws', () => {
    const clock = new Clock();
    const err = new Error('later');
    const d = deferLater(clock, 1, () => {
      throw err;
    });
    clock.advance(1);
    expect(failureResultOf(d)).toBe(err);
  });

  it('cancels the scheduled call when cancelled, so the function never runs', () => {
    const clock = new Clock();
    const fn = jest.fn();
    const d = deferLater(clock, 10, fn);
    d.cancel();
    failureResultOf(d, CancelledError);
    expect(clock.pending).toBe(0);
    clock.advance(20);
    expect(fn).not.toHaveBeenCalled();
  });
});
