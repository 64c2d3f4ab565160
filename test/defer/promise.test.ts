import { CancelledError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { fail, succeed } from '../../src/defer/combinators';
import { NonErrorFailure } from '../../src/defer/failure';
import { asPromise, fromPromise } from '../../src/defer/promise';
import { failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('fromPromise', () => {
  it('fires with the value of a resolved Promise', async () => {
    const d = fromPromise(Promise.resolve(3));
    await Promise.resolve();
    expect(successResultOf(d)).toBe(3);
  });

  it('fails with the reason of a rejected Promise, wrapping a non-Error', async () => {
    const err = new Error('rej');
    const d1 = fromPromise(Promise.reject(err));
    const d2 = fromPromise(Promise.reject('text'));
    await Promise.resolve();
    expect(failureResultOf(d1)).toBe(err);
    expect(failureResultOf(d2, NonErrorFailure).cause).toBe('text');
  });

  it('returns a Deferred as it is', () => {
    const d = new Deferred<number>();
    expect(fromPromise(d)).toBe(d);
  });

  it('fails with CancelledError at once when cancelled and ignores the Promise afterwards', async () => {
    let resolve: (n: number) => void = () => undefined;
    const d = fromPromise(new Promise<number>((r) => (resolve = r)));
    d.cancel();
    failureResultOf(d, CancelledError);
    resolve(1);
    await Promise.resolve();
    await Promise.resolve();
  });
});

describe('asPromise', () => {
  it('resolves with the value without consuming it', async () => {
    const d = succeed('kept');
    await expect(asPromise(d)).resolves.toBe('kept');
    expect(successResultOf(d)).toBe('kept');
  });

  it('rejects with the Error and counts as handling it', async () => {
    const err = new Error('as promise');
    const p = asPromise(fail(err));
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toBe(err);
  });
});
