/**
 * Connection and detector state transitions on virtual time (issue 11),
 * observed only through public API: `onStateChange`/`state` on the
 * connection; `connectionIsDead`, `gaveUp`, `attempts`, `onGiveUp` and
 * `addRecoveryHandler` on the DeadConnectionDetector. The scripted server
 * dies (FATAL 57P01, reset), goes down and comes back on command; the
 * reconnection delays run on the virtual clock.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection, ConnectionDead, DeadConnectionDetector, type DetectorOptions } from '../../src/index';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import { errorResponse, FakeServer, outcome, settle } from '../support/fake-backend';

let reactor: VirtualReactor;
let server: FakeServer;
let unhandled: CapturedFailures;
let conn: Connection;
/** Every state change, as `state` or `state: reason`, `busy`/`ready` pairs of queries left out unless asked. */
let states: string[];

beforeEach(() => {
  unhandled = captureUnhandledFailures();
  reactor = new VirtualReactor();
  server = new FakeServer(reactor);
  server.answer('SELECT 1 AS one', { fields: [{ name: 'one', type: 'int4' }], rows: [['1']] });
  server.answer('SELECT nope', { error: { C: '42703', M: 'column "nope" does not exist' }, at: 'parse' });
  states = [];
});
afterEach(() => {
  conn.close();
  unhandled.restore();
});

/** A Connection on the virtual server, with the detector when options are given; its states recorded from the start. */
function connection(detector?: DeadConnectionDetector): Connection {
  conn = new Connection({ reactor, env: {}, detector });
  conn.onStateChange((s, reason) => states.push(reason ? `${s}: ${reason.message}` : s));
  return conn;
}

function detector(options: DetectorOptions = {}): DeadConnectionDetector {
  return new DeadConnectionDetector({ reconnectionIterator: () => [100, 100, 100], ...options });
}

/** Moves the virtual clock by `ms` and settles. */
async function advance(ms: number): Promise<void> {
  reactor.advance(ms);
  await settle(reactor);
}

describe('a connection without a detector', () => {
  it('connecting, ready; busy and ready around work; closed with the reason when the server ends it; connecting, ready again; closed', async () => {
    const c = connection();
    await settle(reactor, c.connect(server.dsn));
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
    server.current.kill();
    await settle(reactor);
    expect(c.state).toBe('closed');
    await settle(reactor, c.connect(server.dsn));
    c.close();
    expect(states).toEqual([
      'connecting', 'ready', 'busy', 'ready',
      'closed: terminating connection due to administrator command',
      'connecting', 'ready', 'closed',
    ]);
  });

  it('connecting, then closed with the connect error when the server is down', async () => {
    server.down();
    const c = connection();
    const error = await outcome(reactor, c.connect(server.dsn));
    expect(error).toBeInstanceOf(Error);
    expect(states).toHaveLength(2);
    expect(states[0]).toBe('connecting');
    expect(states[1]).toMatch(/^closed: .*refused/);
    expect(c.state).toBe('closed');
  });
});

describe('a connection with a DeadConnectionDetector', () => {
  it('dead (with the error), reconnecting, ready when the server drops it; the recovery handlers run after ready', async () => {
    const d = detector();
    d.addRecoveryHandler(() => states.push('recovered'));
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    server.current.reset();
    await settle(reactor);
    expect(d.connectionIsDead).toBe(true);
    expect(c.state).toBe('reconnecting');
    await advance(100);
    expect(states.map((s) => s.split(':')[0])).toEqual(['dead', 'reconnecting', 'ready', 'recovered']);
    expect(d.connectionIsDead).toBe(false);
    expect(d.attempts).toBe(1);
    expect(server.backends).toHaveLength(2);
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });

  it('declares death on a FATAL ErrorResponse to an idle session at once, before the server closes the socket (pg_terminate_backend)', async () => {
    const d = detector();
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    const backend = server.current;
    backend.send(errorResponse({ S: 'FATAL', V: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' })); // no close yet
    await settle(reactor);
    expect(states[0]).toBe('dead: terminating connection due to administrator command');
    expect(d.connectionIsDead).toBe(true);
    backend.close();
    await advance(100);
    expect(c.state).toBe('ready');
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });

  it('shows each failed attempt as reconnecting with its error while the server is down, never closed or connecting', async () => {
    const d = detector({ reconnectionIterator: () => [100, 100, 100, 100] });
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    server.down();
    server.current.kill();
    await settle(reactor);
    await advance(100);
    await advance(100);
    server.up();
    await advance(100);
    expect(c.state).toBe('ready');
    expect(states[0]).toBe('dead: terminating connection due to administrator command');
    expect(states.slice(1).map((s) => s.replace(/: .*refused.*/, ': refused'))).toEqual(['reconnecting', 'reconnecting: refused', 'reconnecting: refused', 'ready']);
    expect(d.attempts).toBe(3);
  });

  it('fails calls at once with ConnectionDead while dead, without sending them', async () => {
    const d = detector();
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    server.down();
    server.current.reset();
    await settle(reactor);
    const before = server.current.received.length;
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toBeInstanceOf(ConnectionDead);
    expect(server.current.received.length).toBe(before);
  });

  it('gives up after a finite schedule: closed with ConnectionDead, onGiveUp once; a user connect re-arms it', async () => {
    const d = detector({ reconnectionIterator: () => [100, 100] });
    const gaveUp: ConnectionDead[] = [];
    d.onGiveUp((e) => gaveUp.push(e));
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    server.down();
    server.current.reset();
    await settle(reactor);
    for (let i = 0; i < 3; i++) await advance(100);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toBeInstanceOf(ConnectionDead);
    expect(d.gaveUp).toBe(true);
    expect(c.state).toBe('closed');
    expect(states.at(-1)).toBe(`closed: ${gaveUp[0].message}`);
    expect(states.filter((s) => s.startsWith('reconnecting'))).toHaveLength(3); // the start, then each of the 2 failed attempts
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toBeInstanceOf(ConnectionDead);
    server.up();
    states.length = 0;
    await settle(reactor, c.connect(server.dsn));
    expect(states).toEqual(['connecting', 'ready']);
    expect(d.connectionIsDead).toBe(false);
    expect(await outcome(reactor, c.runQuery('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
  });

  it('stops reconnecting when the user closes the connection: closed, and no more attempts', async () => {
    const d = detector();
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    server.down();
    server.current.reset();
    await settle(reactor);
    c.close();
    const attempts = reactor.connectAttempts.length;
    await advance(1000);
    expect(reactor.connectAttempts.length).toBe(attempts);
    expect(states.at(-1)).toBe('closed');
    expect(c.state).toBe('closed');
    expect(d.connectionIsDead).toBe(false);
  });

  it('is not moved by errors that are not deaths: a server error leaves the connection ready', async () => {
    const d = detector();
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    expect(await outcome(reactor, c.runQuery('SELECT nope'))).toMatchObject({ code: '42703' });
    expect(d.connectionIsDead).toBe(false);
    expect(states).toEqual(['busy', 'ready']);
  });

  it('declares a frozen server dead with the heartbeat, on the virtual clock, and reconnects', async () => {
    const d = detector({ heartbeat: { intervalMs: 1000, timeoutMs: 500 } });
    const c = connection(d);
    await settle(reactor, c.connect(server.dsn));
    states.length = 0;
    server.current.hold(); // SIGSTOPped: the probe gets no answer
    await advance(1000);
    await advance(499);
    expect(d.connectionIsDead).toBe(false);
    await advance(1);
    expect(d.connectionIsDead).toBe(true);
    await advance(100);
    expect(c.state).toBe('ready');
    expect(states[0]).toBe('busy'); // the probe
    expect(states.slice(states.findIndex((s) => s.startsWith('dead')))).toEqual(['dead: the heartbeat got no answer within 500 ms', 'reconnecting', 'ready']);
    expect(server.backends).toHaveLength(2);
  });
});
