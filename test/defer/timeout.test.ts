import { CancelledError, TimeoutError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { addTimeout } from '../../src/defer/timeout';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';
import { Clock } from '../../reactor/virtual/clock';

failOnUnhandledFailures();

describe('addTimeout', () => {
  it('returns the same Deferred so it can be chained', () => {
    const clock = new Clock();
    const d = new Deferred<number>();
    expect(addTimeout(d, 10, clock)).toBe(d);
    d.callback(1);
  });

  it('fails with TimeoutError once the deadline passes, carrying the CancelledError as cause', () => {
    const clock = new Clock();
    const d = addTimeout(new Deferred<number>(), 10, clock);
    clock.advance(9);
    assertNoResult(d);
    clock.advance(1);
    const e = failureResultOf(d, TimeoutError) as TimeoutError;
    expect(e.timeoutMs).toBe(10);
    expect(e.cause).toBeInstanceOf(CancelledError);
    expect(e.code).toBe('ERR_TIMEOUT');
  });

  it('passes the result through and cancels the deadline when the Deferred fires in time', () => {
    const clock = new Clock();
    const d = addTimeout(new Deferred<number>(), 10, clock);
    d.callback(5);
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(successResultOf(d)).toBe(5);
  });

  it('passes a failure through unchanged when the Deferred fails in time', () => {
    const clock = new Clock();
    const err = new Error('early');
    const d = addTimeout(new Deferred<number>(), 10, clock);
    d.errback(err);
    expect(clock.pending).toBe(0);
    expect(failureResultOf(d)).toBe(err);
  });

  it('leaves an explicit cancel as CancelledError', () => {
    const clock = new Clock();
    const d = addTimeout(new Deferred<number>(), 10, clock);
    d.cancel();
    failureResultOf(d, CancelledError);
    expect(clock.pending).toBe(0);
  });

  it('lets callbacks added before addTimeout see the CancelledError', () => {
    const clock = new Clock();
    const seen: Error[] = [];
    const d = new Deferred<number>();
    d.addErrback((e) => {
      seen.push(e);
      throw e;
    });
    addTimeout(d, 5, clock);
    clock.advance(5);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    failureResultOf(d, TimeoutError);
  });

  it('keeps the result of a canceller that fires the Deferred with a value', () => {
    const clock = new Clock();
    const d = addTimeout(new Deferred<string>((x) => x.callback('partial')), 5, clock);
    clock.advance(5);
    expect(successResultOf(d)).toBe('partial');
  });

  it('uses onTimeoutCancel to translate the timeout', () => {
    const clock = new Clock();
    const d = addTimeout(new Deferred<string>(), 5, clock, (_r, failed, ms) => `gave up after ${ms} (${failed})`);
    clock.advance(5);
    expect(successResultOf(d)).toBe('gave up after 5 (true)');
  });
});
