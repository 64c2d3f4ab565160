/**
 * txpostgres' test_reconnection.py (test_basic, test_brokenRecovery,
 * test_brokenReconnectable) with fake reconnectables on a VirtualReactor,
 * plus the state the detector drives, giving up, and user close.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { captureUnhandledFailures, Deferred, fail, succeed, type CapturedFailures } from '../../src/defer';
import { DeadConnectionDetector } from '../../src/reconnect/detector';
import { ConnectionDead, ConnectionLost, InterfaceError } from '../../src/errors/base';
import type { ConnectionState } from '../../src/connection/connection';

class DeathError extends Error {}

/** txpostgres' Reconnectable: counts connects and closes, records the states it is given. */
class Reconnectable {
  connects = 0;
  closes = 0;
  readonly states: Array<[ConnectionState, string | undefined]> = [];
  /** What the next connects return; empty: success. */
  results: Array<Deferred<unknown>> = [];
  connectArgs: unknown[] = [];
  connect(...args: unknown[]): Deferred<unknown> {
    this.connects++;
    this.connectArgs = args;
    return this.results.shift() ?? succeed(this);
  }
  close(): void {
    this.closes++;
  }
  setState(state: ConnectionState, reason?: Error): void {
    this.states.push([state, reason?.message]);
  }
}

/** txpostgres' BrokenReconnectable: close() raises. */
class BrokenReconnectable extends Reconnectable {
  override close(): void {
    super.close();
    throw new Error('close is broken');
  }
}

let reactor: VirtualReactor;
let capture: CapturedFailures;

beforeEach(() => {
  reactor = new VirtualReactor();
  capture = captureUnhandledFailures();
});
afterEach(() => {
  capture.restore();
});

function detectorFor(r: Reconnectable, delays: number[] = [1, 1, 1]): DeadConnectionDetector {
  const detector = new DeadConnectionDetector({
    deathChecker: (e) => e instanceof DeathError,
    reconnectionIterator: () => delays,
    reactor,
  });
  detector.setReconnectable(r, 'dsn');
  return detector;
}

async function failure(d: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(d).then(() => null, (e: unknown) => e);
}

describe('DeadConnectionDetector (test_reconnection.py)', () => {
  it('reconnects once for concurrent deaths, fails calls while dead without running them, and recovers (test_basic)', async () => {
    const r = new Reconnectable();
    const detector = detectorFor(r);
    const recovered = jest.fn();
    detector.addRecoveryHandler(recovered);

    const other = new Error('not a death');
    expect(await failure(detector.callChecking(() => fail(other)))).toBe(other);
    expect(detector.connectionIsDead).toBe(false);
    expect(r.connects).toBe(0);

    const first = new DeathError('one');
    const second = new DeathError('two');
    const p1 = new Deferred<never>();
    const p2 = new Deferred<never>();
    const d1 = detector.callChecking(() => p1);
    const d2 = detector.callChecking(() => p2);
    p1.errback(first);
    p2.errback(second);
    expect(await failure(d1)).toBe(first);
    expect(await failure(d2)).toBe(second);
    expect(detector.connectionIsDead).toBe(true);

    const notRun = jest.fn(() => succeed(1));
    expect(await failure(detector.callChecking(notRun))).toBeInstanceOf(ConnectionDead);
    expect(notRun).not.toHaveBeenCalled();
    expect(r.connects).toBe(0);

    reactor.advance(1);
    expect(r.connects).toBe(1);
    expect(r.closes).toBe(1);
    expect(r.connectArgs).toEqual(['dsn']);
    expect(recovered).toHaveBeenCalledTimes(1);
    expect(detector.connectionIsDead).toBe(false);
    expect(await detector.callChecking(() => succeed(42))).toBe(42);
    reactor.advance(100);
    expect(r.connects).toBe(1);
    expect(capture.flush()).toEqual([]);
  });

  it('reports an error of a recovery handler and still recovers and runs the others (test_brokenRecovery)', async () => {
    const r = new Reconnectable();
    const detector = detectorFor(r);
    const broken = new Error('recovery handler is broken');
    const good = jest.fn();
    detector.addRecoveryHandler(() => {
      throw broken;
    });
    detector.addRecoveryHandler(good);
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(1);
    expect(detector.connectionIsDead).toBe(false);
    expect(good).toHaveBeenCalledTimes(1);
    expect(capture.flush()).toEqual([broken]);
    expect(await detector.callChecking(() => succeed('ok'))).toBe('ok');
  });

  it('ignores an error thrown by close() while reconnecting, and reports nothing (test_brokenReconnectable)', () => {
    const r = new BrokenReconnectable();
    const detector = detectorFor(r);
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(1);
    expect(r.closes).toBe(1);
    expect(r.connects).toBe(1);
    expect(detector.connectionIsDead).toBe(false);
    expect(capture.flush()).toEqual([]);
  });
});

describe('DeadConnectionDetector: states, attempts and giving up', () => {
  it('drives dead, reconnecting with each failed attempt, then ready', () => {
    const r = new Reconnectable();
    const detector = detectorFor(r);
    r.results = [fail(new Error('refused 1')), fail(new Error('refused 2'))];
    detector.checkForDeadConnection(new DeathError('gone'));
    expect(detector.holdsState()).toBe(true);
    reactor.advance(1);
    reactor.advance(1);
    expect(detector.connectionIsDead).toBe(true);
    reactor.advance(1);
    expect(r.states).toEqual([
      ['dead', 'gone'],
      ['reconnecting', undefined],
      ['reconnecting', 'refused 1'],
      ['reconnecting', 'refused 2'],
      ['ready', undefined],
    ]);
    expect(detector.attempts).toBe(3);
    expect(detector.holdsState()).toBe(false);
  });

  it('makes the first attempt at once with the default schedule (a delay of 0)', () => {
    const r = new Reconnectable();
    const detector = new DeadConnectionDetector({ deathChecker: () => true, reactor, random: () => 0.5 });
    detector.setReconnectable(r);
    detector.checkForDeadConnection(new Error('x'));
    expect(r.connects).toBe(1);
    expect(detector.connectionIsDead).toBe(false);
  });

  it('follows the default backoff schedule while the server stays down', () => {
    const r = new Reconnectable();
    const detector = new DeadConnectionDetector({ deathChecker: () => true, reactor, random: () => 0.75 });
    detector.setReconnectable(r);
    const at: number[] = [];
    r.connect = function (this: Reconnectable): Deferred<unknown> {
      at.push(reactor.now());
      return fail(new Error('down'));
    };
    detector.checkForDeadConnection(new Error('x'));
    reactor.advance(60_000);
    // random 0.75 -> cos(1.5 pi) = 0: no jitter, so exactly the txpostgres schedule.
    expect(at.slice(0, 8).map((t, i) => (i === 0 ? t : Math.round(t - at[i - 1])))).toEqual([0, 1700, 2890, 4913, 8352, 10000, 10000, 10000]);
    detector.connectionClosed(r);
    expect(capture.flush()).toEqual([]);
  });

  it('gives up when a finite iterator runs out: an event, a closed state, and ConnectionDead for calls', async () => {
    const r = new Reconnectable();
    const detector = detectorFor(r, [1, 1]);
    const down = new Error('still down');
    r.results = [fail(down), fail(new Error('again'))];
    const gaveUp = jest.fn();
    detector.onGiveUp(gaveUp);
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(5);
    expect(gaveUp).toHaveBeenCalledTimes(1);
    const error = gaveUp.mock.calls[0][0] as ConnectionDead;
    expect(error).toBeInstanceOf(ConnectionDead);
    expect(error.cause).toBe(down);
    expect(r.states.at(-1)).toEqual(['closed', 'gave up reconnecting after 2 attempts']);
    expect(detector.gaveUp).toBe(true);
    expect(await failure(detector.callChecking(() => succeed(1)))).toBe(error);
    expect(capture.flush()).toEqual([]);
  });

  it('reports giving up as an unhandled error when nobody listens', () => {
    const r = new Reconnectable();
    const detector = detectorFor(r, [1]);
    r.results = [fail(new Error('down'))];
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(1);
    expect(capture.flush()).toEqual([expect.any(ConnectionDead)]);
  });

  it('is re-armed by a user connect after giving up', async () => {
    const r = new Reconnectable();
    const detector = detectorFor(r, [1]);
    detector.onGiveUp(() => undefined);
    r.results = [fail(new Error('down'))];
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(1);
    expect(detector.gaveUp).toBe(true);
    detector.setReconnectable(r, 'dsn');
    expect(detector.connectionIsDead).toBe(false);
    expect(await detector.callChecking(() => succeed(2))).toBe(2);
  });

  it('stops reconnecting when the user closes the connection, and clears the death', () => {
    const r = new Reconnectable();
    const detector = detectorFor(r);
    r.results = [new Deferred<unknown>()];
    detector.checkForDeadConnection(new DeathError());
    reactor.advance(1);
    expect(r.connects).toBe(1);
    detector.connectionClosed(r);
    reactor.advance(100);
    expect(r.connects).toBe(1);
    expect(detector.connectionIsDead).toBe(false);
    expect(detector.holdsState()).toBe(false);
    expect(capture.flush()).toEqual([]);
  });

  it('passes the failure through checkAndRethrow, so a failed first connect can start reconnecting', async () => {
    const r = new Reconnectable();
    const detector = detectorFor(r);
    const e = new DeathError('initial');
    expect(await failure(fail(e).addErrback(detector.checkAndRethrow))).toBe(e);
    expect(detector.connectionIsDead).toBe(true);
    reactor.advance(1);
    expect(detector.connectionIsDead).toBe(false);
  });

  it('treats a throwing death checker as "not a death" and reports the error', async () => {
    const broken = new Error('checker broke');
    const detector = new DeadConnectionDetector({
      reactor,
      deathChecker: () => {
        throw broken;
      },
    });
    detector.setReconnectable(new Reconnectable());
    const e = new ConnectionLost();
    expect(await failure(detector.callChecking(() => fail(e)))).toBe(e);
    expect(detector.connectionIsDead).toBe(false);
    expect(capture.flush()).toEqual([broken]);
  });

  it('keeps recovery handlers as a set', () => {
    const detector = new DeadConnectionDetector({ reactor });
    const h = (): void => undefined;
    detector.addRecoveryHandler(h);
    detector.addRecoveryHandler(h);
    expect(detector.getRecoveryHandlers()).toEqual([h]);
    detector.removeRecoveryHandler(h);
    detector.removeRecoveryHandler(h);
    expect(detector.getRecoveryHandlers()).toEqual([]);
  });

  it('refuses to work without any clock', () => {
    const detector = new DeadConnectionDetector();
    expect(() => detector.reactor).toThrow(InterfaceError);
  });
});

describe('DeadConnectionDetector: operation deadlines', () => {
  it('declares death when a routed call outlives operationDeadlineMs, by aborting the session', () => {
    const r = Object.assign(new Reconnectable(), { abortSession: jest.fn() });
    const detector = new DeadConnectionDetector({ reactor, operationDeadlineMs: 500 });
    detector.setReconnectable(r);
    const pending = new Deferred<number>();
    detector.callChecking(() => pending);
    reactor.advance(499);
    expect(r.abortSession).not.toHaveBeenCalled();
    reactor.advance(1);
    expect(r.abortSession).toHaveBeenCalledWith(expect.objectContaining({ code: 'ERR_OPERATION_DEADLINE' }));
  });

  it('cancels the deadline when the call finishes in time', async () => {
    const r = Object.assign(new Reconnectable(), { abortSession: jest.fn() });
    const detector = new DeadConnectionDetector({ reactor, operationDeadlineMs: 500 });
    detector.setReconnectable(r);
    const d = new Deferred<number>();
    const result = detector.callChecking(() => d);
    reactor.advance(100);
    d.callback(7);
    expect(await result).toBe(7);
    reactor.advance(1000);
    expect(r.abortSession).not.toHaveBeenCalled();
  });

  it('checks the deadline error itself when the reconnectable cannot abort a session', () => {
    const r = new Reconnectable();
    const detector = new DeadConnectionDetector({ reactor, operationDeadlineMs: 10, reconnectionIterator: () => [5] });
    detector.setReconnectable(r);
    detector.callChecking(() => new Deferred<void>());
    reactor.advance(10);
    expect(detector.connectionIsDead).toBe(true);
    expect(r.states[0][0]).toBe('dead');
  });
});
