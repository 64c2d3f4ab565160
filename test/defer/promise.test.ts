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

describe('catch and finally (Promise habits)', () => {
  it('catch observes a failure without consuming it and returns a Promise of the handler result', async () => {
    const err = new Error('caught');
    const d = fail<number>(err);
    const p = d.catch((e: Error) => `handled ${e.message}`);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).resolves.toBe('handled caught');
    // the Deferred still holds the failure for later errbacks (then observes, it does not consume)
    expect(failureResultOf(d)).toBe(err);
  });

  it('catch passes a success through unchanged, and leaves it in the Deferred', async () => {
    const d = succeed(5);
    const onRejected = jest.fn();
    await expect(d.catch(onRejected)).resolves.toBe(5);
    expect(onRejected).not.toHaveBeenCalled();
    expect(successResultOf(d)).toBe(5);
  });

  it('catch counts as handling the failure: nothing is reported unhandled', async () => {
    const d = new Deferred<number>();
    const seen: Error[] = [];
    const p = d.catch((e: Error) => { seen.push(e); });
    const err = new Error('late');
    d.errback(err);
    await p;
    expect(seen).toEqual([err]);
    d.addErrback(() => undefined); // the failure is still there to consume
  });

  it('catch on a Deferred fired later sees the result at its place in the chain', async () => {
    const d = new Deferred<number>();
    d.addCallback((n) => { throw new Error(`bad ${n}`); });
    const p = d.catch((e: Error) => e.message);
    d.addErrback(() => 0);
    d.callback(1);
    await expect(p).resolves.toBe('bad 1');
    expect(successResultOf(d)).toBe(0);
  });

  it('finally runs on success, resolves with the value, and does not consume it', async () => {
    const d = succeed('v');
    const fn = jest.fn();
    const p = d.finally(fn);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).resolves.toBe('v');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith();
    expect(successResultOf(d)).toBe('v');
  });

  it('finally runs on failure and its Promise rejects with the Error; the Deferred keeps the failure', async () => {
    const err = new Error('f');
    const d = fail(err);
    const fn = jest.fn();
    await expect(d.finally(fn)).rejects.toBe(err);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(failureResultOf(d)).toBe(err);
  });

  it('finally waits for a returned Promise, and a throw in it rejects the returned Promise', async () => {
    const order: string[] = [];
    const d = succeed(1);
    const p = d.finally(async () => { await Promise.resolve(); order.push('cleanup'); });
    await p.then(() => order.push('after'));
    expect(order).toEqual(['cleanup', 'after']);
    const boom = new Error('cleanup failed');
    await expect(succeed(2).finally(() => { throw boom; })).rejects.toBe(boom);
  });

  it('accept null and undefined handlers like Promise.prototype does', async () => {
    await expect(succeed(3).catch(null)).resolves.toBe(3);
    await expect(succeed(3).catch()).resolves.toBe(3);
    await expect(succeed(4).finally(null)).resolves.toBe(4);
    await expect(succeed(4).finally()).resolves.toBe(4);
    const err = new Error('x');
    await expect(fail(err).catch(undefined)).rejects.toBe(err);
  });
});
