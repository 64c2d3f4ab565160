import { AlreadyCalledError, CancelledError, InterfaceError } from '../../src/errors/base';
import { Deferred } from '../../src/defer/deferred';
import { NonErrorFailure } from '../../src/defer/failure';
import { assertNoResult, failureResultOf, successResultOf } from './support/asserts';
import { failOnUnhandledFailures } from './support/no-unhandled';

failOnUnhandledFailures();

describe('callbacks and errbacks', () => {
  it('runs callbacks in the order added, each getting the previous result', () => {
    const seen: number[] = [];
    const d = new Deferred<number>();
    d.addCallback((n) => {
      seen.push(n);
      return n + 1;
    }).addCallback((n) => {
      seen.push(n);
      return n * 10;
    });
    d.callback(1);
    expect(seen).toEqual([1, 2]);
    expect(successResultOf(d)).toBe(20);
  });

  it('passes extra arguments after the result', () => {
    const d = new Deferred<string>();
    d.addCallback((s, a: number, b: string) => `${s}${a}${b}`, 1, 'x');
    d.callback('r');
    expect(successResultOf(d)).toBe('r1x');
  });

  it('runs a callback added after firing at once', () => {
    const d = new Deferred<number>();
    d.callback(5);
    let got = 0;
    d.addCallback((n) => {
      got = n;
    });
    expect(got).toBe(5);
  });

  it('skips callbacks on failure until an errback, which receives the Error itself', () => {
    const err = new Error('boom');
    const calls: string[] = [];
    const d = new Deferred<number>();
    d.addCallback(() => calls.push('cb'))
      .addErrback((e) => {
        calls.push('eb');
        expect(e).toBe(err);
        return 7;
      })
      .addCallback((n) => calls.push(`cb2:${n}`));
    d.errback(err);
    expect(calls).toEqual(['eb', 'cb2:7']);
  });

  it('switches to the errback path when a callback throws, keeping the thrown Error', () => {
    const err = new TypeError('bad');
    const d = new Deferred<number>();
    d.addCallback(() => {
      throw err;
    });
    d.callback(1);
    expect(failureResultOf(d, TypeError)).toBe(err);
  });

  it('treats an Error returned by a callback as a success value', () => {
    const value = new Error('just data');
    const d = new Deferred<number>();
    d.addCallback(() => value);
    d.callback(1);
    expect(successResultOf(d)).toBe(value);
  });

  it('keeps failing when an errback throws, with the new Error', () => {
    const second = new Error('second');
    const d = new Deferred<number>();
    d.addErrback(() => {
      throw second;
    });
    d.errback(new Error('first'));
    expect(failureResultOf(d)).toBe(second);
  });

  it('passes success values by an errback-only link', () => {
    const d = new Deferred<number>();
    const eb = jest.fn();
    d.addErrback(eb);
    d.callback(3);
    expect(eb).not.toHaveBeenCalled();
    expect(successResultOf(d)).toBe(3);
  });

  it('does not give an addCallbacks errback the failure of its own callback', () => {
    const eb = jest.fn();
    const d = new Deferred<number>();
    d.addCallbacks(() => {
      throw new Error('from callback');
    }, eb);
    d.callback(1);
    expect(eb).not.toHaveBeenCalled();
    expect(failureResultOf(d).message).toBe('from callback');
  });

  it('passes separate extra arguments to the callback and errback of addCallbacks', () => {
    const d1 = new Deferred<number>();
    d1.addCallbacks((n: number, k: number) => n * k, null, [3], []);
    d1.callback(2);
    expect(successResultOf(d1)).toBe(6);
    const d2 = new Deferred<number>();
    d2.addCallbacks(null, (e: Error, tag: string) => `${tag}:${e.message}`, [], ['t']);
    d2.errback(new Error('m'));
    expect(successResultOf(d2)).toBe('t:m');
  });

  it('gives addBoth the value on success and the Error on failure', () => {
    const got: unknown[] = [];
    const ok = new Deferred<number>();
    ok.addBoth((r) => got.push(r));
    ok.callback(1);
    const err = new Error('e');
    const bad = new Deferred<number>();
    bad.addBoth((r) => got.push(r));
    bad.errback(err);
    expect(got).toEqual([1, err]);
  });

  it('runs addFinally on both paths without changing the result', () => {
    const ran: string[] = [];
    const ok = new Deferred<number>();
    ok.addFinally(() => ran.push('ok'));
    ok.callback(4);
    expect(successResultOf(ok)).toBe(4);
    const err = new Error('kept');
    const bad = new Deferred<number>();
    bad.addFinally(() => ran.push('bad'));
    bad.errback(err);
    expect(failureResultOf(bad)).toBe(err);
    expect(ran).toEqual(['ok', 'bad']);
  });

  it('waits for a Deferred returned by addFinally and fails if its cleanup throws', () => {
    const cleanup = new Deferred<void>();
    const d = new Deferred<number>();
    d.addFinally(() => cleanup);
    d.callback(1);
    assertNoResult(d);
    cleanup.callback();
    expect(successResultOf(d)).toBe(1);
    const cleanupErr = new Error('cleanup');
    const d2 = new Deferred<number>();
    d2.addFinally(() => {
      throw cleanupErr;
    });
    d2.callback(1);
    expect(failureResultOf(d2)).toBe(cleanupErr);
  });

  it('wraps a non-Error errback value in an Error whose cause is the value', () => {
    const d = new Deferred<number>();
    d.errback('a string');
    const e = failureResultOf(d, NonErrorFailure);
    expect(e.cause).toBe('a string');
    expect((e as NonErrorFailure).code).toBe('ERR_NON_ERROR_FAILURE');
  });

  it('wraps a non-Error thrown by a callback the same way', () => {
    const d = new Deferred<number>();
    d.addCallback(() => {
      throw 42;
    });
    d.callback(1);
    expect(failureResultOf(d, NonErrorFailure).cause).toBe(42);
  });

  it('reports called once fired', () => {
    const d = new Deferred<number>();
    expect(d.called).toBe(false);
    d.callback(1);
    expect(d.called).toBe(true);
  });
});

describe('firing twice', () => {
  it('throws AlreadyCalledError on a second callback', () => {
    const d = new Deferred<number>();
    d.callback(1);
    expect(() => d.callback(2)).toThrow(AlreadyCalledError);
    expect(successResultOf(d)).toBe(1);
  });

  it('throws AlreadyCalledError on errback after callback and callback after errback', () => {
    const a = new Deferred<number>();
    a.callback(1);
    expect(() => a.errback(new Error('x'))).toThrow(AlreadyCalledError);
    successResultOf(a);
    const b = new Deferred<number>();
    b.errback(new Error('x'));
    expect(() => b.callback(1)).toThrow(AlreadyCalledError);
    failureResultOf(b);
  });

  it('refuses a Deferred as the result of callback', () => {
    const d = new Deferred<unknown>();
    expect(() => d.callback(new Deferred<number>())).toThrow(InterfaceError);
    expect(d.called).toBe(false);
  });
});

describe('pause and unpause', () => {
  it('holds callbacks while paused and runs them on unpause', () => {
    const d = new Deferred<number>();
    const cb = jest.fn((n: number) => n);
    d.pause();
    d.addCallback(cb);
    d.callback(1);
    expect(cb).not.toHaveBeenCalled();
    d.unpause();
    expect(cb).toHaveBeenCalledWith(1);
  });

  it('needs as many unpauses as pauses', () => {
    const d = new Deferred<number>();
    d.pause();
    d.pause();
    d.callback(1);
    d.unpause();
    assertNoResult(d);
    d.unpause();
    expect(successResultOf(d)).toBe(1);
  });

  it('ignores an unpause without a pause', () => {
    const d = new Deferred<number>();
    d.unpause();
    expect(d.paused).toBe(0);
    d.callback(1);
    expect(successResultOf(d)).toBe(1);
  });

  it('keeps a paused callback chain from running even when links are added', () => {
    const d = new Deferred<number>();
    d.callback(1);
    d.pause();
    const cb = jest.fn();
    d.addCallback(cb);
    expect(cb).not.toHaveBeenCalled();
    d.unpause();
    expect(cb).toHaveBeenCalledTimes(1);
  });
});

describe('chaining', () => {
  it('waits for a Deferred returned by a callback and continues with its result', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    const after = jest.fn((s: string) => `${s}!`);
    outer.addCallback(() => inner).addCallback(after);
    outer.callback(1);
    expect(after).not.toHaveBeenCalled();
    expect(outer.paused).toBe(1);
    inner.callback('inner');
    expect(successResultOf(outer)).toBe('inner!');
  });

  it('takes the result of an already fired Deferred synchronously', () => {
    const inner = new Deferred<string>();
    inner.callback('ready');
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    expect(successResultOf(outer)).toBe('ready');
  });

  it('leaves undefined in the inner Deferred once its result moved on', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    inner.callback('moved');
    expect(successResultOf(outer)).toBe('moved');
    expect(successResultOf(inner)).toBeUndefined();
  });

  it('propagates the failure of a chained Deferred down the outer chain', () => {
    const err = new Error('inner failed');
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    inner.errback(err);
    expect(failureResultOf(outer)).toBe(err);
  });

  it('waits for a paused inner Deferred even when it has a result', () => {
    const inner = new Deferred<string>();
    inner.callback('x');
    inner.pause();
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    assertNoResult(outer);
    inner.unpause();
    expect(successResultOf(outer)).toBe('x');
  });

  it('stays waiting when the outer Deferred is also paused by the user', () => {
    const inner = new Deferred<string>();
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    outer.pause();
    inner.callback('late');
    assertNoResult(outer);
    outer.unpause();
    expect(successResultOf(outer)).toBe('late');
  });

  it('chains through several levels of waiting Deferreds', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    const c = new Deferred<number>();
    a.addCallback(() => b).addCallback((n) => n + 1);
    b.addCallback(() => c).addCallback((n) => n * 2);
    a.callback(0);
    b.callback(0);
    c.callback(5);
    expect(successResultOf(a)).toBe(11);
  });

  it('adopts a native Promise returned by a callback', async () => {
    const d = new Deferred<number>();
    d.addCallback(async (n) => n + 1);
    d.callback(1);
    await expect(d).resolves.toBe(2);
    expect(successResultOf(d)).toBe(2);
  });

  it('fails a callback that returns its own Deferred with an InterfaceError', () => {
    const d = new Deferred<number>();
    d.addCallback(() => d);
    d.callback(1);
    expect(failureResultOf(d, InterfaceError).message).toMatch(/its own Deferred|added to/);
  });

  it('fires another Deferred with chainDeferred', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    a.callback(3);
    expect(successResultOf(b)).toBe(3);
    expect(successResultOf(a)).toBeUndefined();
  });

  it('lets a callback add more callbacks to its own Deferred, run after it', () => {
    const order: string[] = [];
    const d = new Deferred<number>();
    d.addCallback((n) => {
      order.push('first');
      d.addCallback((m: number) => {
        order.push('added');
        return m;
      });
      return n + 1;
    });
    d.addCallback((n) => {
      order.push('second');
      return n;
    });
    d.callback(1);
    expect(order).toEqual(['first', 'second', 'added']);
    expect(successResultOf(d)).toBe(2);
  });
});

describe('deep chains', () => {
  const N = 100_000;

  it('runs a chain of 100,000 callbacks without overflowing the stack', () => {
    const d = new Deferred<number>();
    for (let i = 0; i < N; i++) d.addCallback((n: number) => n + 1);
    d.callback(0);
    expect(successResultOf(d)).toBe(N);
  });

  it('resolves 100,000 nested Deferreds fired innermost last', () => {
    const ds = Array.from({ length: N }, () => new Deferred<number>());
    for (let i = 0; i < N - 1; i++) ds[i].addCallback(() => ds[i + 1]);
    for (let i = 0; i < N - 1; i++) ds[i].callback(0);
    ds[N - 1].callback(7);
    expect(successResultOf(ds[0])).toBe(7);
  });

  it('resolves 100,000 nested Deferreds fired innermost first', () => {
    const ds = Array.from({ length: N }, () => new Deferred<number>());
    for (let i = 0; i < N - 1; i++) ds[i].addCallback(() => ds[i + 1]);
    for (let i = N - 1; i >= 0; i--) ds[i].callback(i === N - 1 ? 9 : 0);
    expect(successResultOf(ds[0])).toBe(9);
  });

  it('propagates a failure through 100,000 nested Deferreds', () => {
    const ds = Array.from({ length: N }, () => new Deferred<number>());
    for (let i = 0; i < N - 1; i++) ds[i].addCallback(() => ds[i + 1]);
    for (let i = 0; i < N - 1; i++) ds[i].callback(0);
    const err = new Error('deep');
    ds[N - 1].errback(err);
    expect(failureResultOf(ds[0])).toBe(err);
  });
});

describe('cancellation', () => {
  it('fails with CancelledError when there is no canceller, and swallows one late callback', () => {
    const d = new Deferred<number>();
    d.cancel();
    expect(failureResultOf(d, CancelledError)).toBeInstanceOf(CancelledError);
    expect(() => d.callback(1)).not.toThrow();
    expect(() => d.callback(2)).toThrow(AlreadyCalledError);
  });

  it('errbacks only once when cancelled twice without canceller, even after a swallowed callback', () => {
    const eb = jest.fn();
    const d = new Deferred<number>();
    d.addErrback(eb);
    d.cancel();
    d.callback(1);
    d.cancel();
    expect(eb).toHaveBeenCalledTimes(1);
  });

  it('calls the canceller once, with the Deferred, and then fails with CancelledError', () => {
    const canceller = jest.fn();
    const d: Deferred<number> = new Deferred<number>(canceller);
    d.cancel();
    d.cancel();
    expect(canceller).toHaveBeenCalledTimes(1);
    expect(canceller).toHaveBeenCalledWith(d);
    failureResultOf(d, CancelledError);
    expect(() => d.callback(1)).toThrow(AlreadyCalledError);
  });

  it('lets a canceller that fires the Deferred win', () => {
    const viaCallback = new Deferred<string>((d) => d.callback('cancelled nicely'));
    viaCallback.cancel();
    expect(successResultOf(viaCallback)).toBe('cancelled nicely');
    const own = new Error('own');
    const viaErrback = new Deferred<string>((d) => d.errback(own));
    viaErrback.cancel();
    expect(failureResultOf(viaErrback)).toBe(own);
  });

  it('does nothing when cancelling a Deferred that already fired', () => {
    const canceller = jest.fn();
    const ok = new Deferred<number>(canceller);
    ok.callback(1);
    ok.cancel();
    expect(successResultOf(ok)).toBe(1);
    const err = new Error('x');
    const bad = new Deferred<number>(canceller);
    bad.errback(err);
    bad.cancel();
    expect(failureResultOf(bad)).toBe(err);
    expect(canceller).not.toHaveBeenCalled();
  });

  it('cancels the chained Deferred a fired Deferred is waiting on', () => {
    const innerCanceller = jest.fn();
    const inner = new Deferred<string>(innerCanceller);
    const outer = new Deferred<number>();
    outer.addCallback(() => inner);
    outer.callback(1);
    outer.cancel();
    expect(innerCanceller).toHaveBeenCalledTimes(1);
    failureResultOf(outer, CancelledError);
  });

  it('never throws from cancel, putting a throwing canceller error in the cause', () => {
    const boom = new Error('canceller broke');
    const d = new Deferred<number>(() => {
      throw boom;
    });
    expect(() => d.cancel()).not.toThrow();
    expect(failureResultOf(d, CancelledError).cause).toBe(boom);
  });
});

describe('then and await', () => {
  it('resolves await with the value', async () => {
    const d = new Deferred<number>();
    d.callback(3);
    expect(await d).toBe(3);
  });

  it('rejects await with the Error itself', async () => {
    const err = new Error('awaited');
    const d = new Deferred<number>();
    d.errback(err);
    await expect(d).rejects.toBe(err);
  });

  it('observes without consuming: later callbacks still get the result', async () => {
    const d = new Deferred<number>();
    const p = d.then((n) => n * 2);
    d.callback(5);
    expect(await p).toBe(10);
    expect(successResultOf(d)).toBe(5);
  });

  it('observes the result at its place in the chain', async () => {
    const d = new Deferred<number>();
    d.addCallback((n) => n + 1);
    const p = d.then((n) => n);
    d.addCallback((n) => n + 100);
    d.callback(0);
    expect(await p).toBe(1);
    expect(successResultOf(d)).toBe(101);
  });

  it('waits for a Deferred fired later', async () => {
    const d = new Deferred<string>();
    const p = (async () => await d)();
    d.callback('later');
    expect(await p).toBe('later');
  });
});

describe('typing', () => {
  it('lets a Deferred of any type be used where a Deferred<unknown> is expected', () => {
    const n = new Deferred<number>();
    const u: Deferred<unknown> = n;
    u.callback(1);
    expect(successResultOf(n)).toBe(1);
  });
});
