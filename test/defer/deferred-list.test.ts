import { CancelledError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { fail, succeed } from '../../src/defer/combinators';
import { DeferredList, gatherResults } from '../../src/defer/deferred-list';
import { FirstError } from '../../src/defer/first-error';
import { captureUnhandledFailures } from '../../src/defer/hooks';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';

describe('DeferredList', () => {
  it('fires with [success, result] pairs in list order once all have fired', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const err = new Error('b');
    const dl = new DeferredList([a, b], { consumeErrors: true });
    b.errback(err);
    assertNoResult(dl);
    a.callback(1);
    expect(successResultOf(dl)).toEqual([
      [true, 1],
      [false, err],
    ]);
    expect(successResultOf(b)).toBeUndefined();
  });

  it('fires at once with an empty list', () => {
    expect(successResultOf(new DeferredList([]))).toEqual([]);
  });

  it('stays unfired for an empty list with fireOnOneCallback', () => {
    assertNoResult(new DeferredList([], { fireOnOneCallback: true }));
  });

  it('fires with [value, index] on the first success with fireOnOneCallback', () => {
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    const dl = new DeferredList<string, [string, number]>([a, b], { fireOnOneCallback: true });
    b.callback('b');
    expect(successResultOf(dl)).toEqual(['b', 1]);
    a.callback('a');
    expect(dl.finishedCount).toBe(2);
  });

  it('fails with a FirstError on the first failure with fireOnOneErrback', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const err = new Error('first');
    const dl = new DeferredList([a, b], { fireOnOneErrback: true, consumeErrors: true });
    b.errback(err);
    const first = failureResultOf(dl, FirstError) as FirstError;
    expect(first.subFailure).toBe(err);
    expect(first.index).toBe(1);
    expect(first.cause).toBe(err);
    expect(first.code).toBe('ERR_FIRST_ERROR');
  });

  it('lets a failure continue down its own chain without consumeErrors (and reports it if unhandled)', () => {
    const capture = captureUnhandledFailures();
    const err = new Error('passes on');
    const a = new Deferred<number>();
    const dl = new DeferredList([a]);
    a.errback(err);
    expect(successResultOf(dl)).toEqual([[false, err]]);
    expect(capture.restore()).toEqual([err]);
  });

  it('cancels every Deferred in the list when cancelled', () => {
    const capture = captureUnhandledFailures();
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const dl = new DeferredList([a, b], { consumeErrors: true });
    dl.cancel();
    const results = successResultOf(dl);
    expect(results.map((r) => r[0])).toEqual([false, false]);
    expect(results[0][1]).toBeInstanceOf(CancelledError);
    expect(capture.restore()).toEqual([]);
  });
});

describe('gatherResults', () => {
  it('fires with the values in order', () => {
    const a = new Deferred<number>();
    const b = succeed('two');
    const g = gatherResults([a, b] as const);
    a.callback(1);
    const [n, s] = successResultOf(g);
    expect([n, s]).toEqual([1, 'two']);
  });

  it('fails with a FirstError wrapping the first failure', () => {
    const err = new Error('g');
    const g = gatherResults([succeed(1), fail(err)], true);
    const first = failureResultOf(g, FirstError) as FirstError;
    expect(first.subFailure).toBe(err);
    expect(first.index).toBe(1);
  });
});
