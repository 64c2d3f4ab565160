import { Deferred } from '../../src/defer/deferred';
import { fail, maybeDeferred, succeed } from '../../src/defer/combinators';
import { NonErrorFailure } from '../../src/defer/failure';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('succeed and fail', () => {
  it('succeed returns a Deferred that already has the value', () => {
    expect(successResultOf(succeed('v'))).toBe('v');
  });

  it('fail returns a Deferred that already failed with the Error', () => {
    const err = new Error('f');
    expect(failureResultOf(fail(err))).toBe(err);
  });

  it('fail wraps a non-Error value', () => {
    expect(failureResultOf(fail(undefined), NonErrorFailure).cause).toBeUndefined();
  });
});

describe('maybeDeferred', () => {
  it('wraps a plain return value in a fired Deferred, passing the arguments', () => {
    expect(successResultOf(maybeDeferred((a: number, b: number) => a + b, 2, 3))).toBe(5);
  });

  it('turns a thrown error into a failed Deferred', () => {
    const err = new Error('thrown');
    expect(
      failureResultOf(
        maybeDeferred(() => {
          throw err;
        }),
      ),
    ).toBe(err);
  });

  it('returns a Deferred result as it is', () => {
    const d = new Deferred<number>();
    expect(maybeDeferred(() => d)).toBe(d);
    assertNoResult(d);
    d.callback(1);
    expect(successResultOf(d)).toBe(1);
  });

  it('wraps a Promise result', async () => {
    const d = maybeDeferred(async () => 'async');
    expect(d).toBeInstanceOf(Deferred);
    expect(await d).toBe('async');
  });

  it('turns a rejected Promise into a failed Deferred', async () => {
    const err = new Error('rejected');
    await expect(maybeDeferred(() => Promise.reject(err))).rejects.toBe(err);
  });
});
