/**
 * The detector with a real Connection on a VirtualReactor and a scripted
 * server: death, ConnectionDead while dead, reconnection, the states on the
 * connection, heartbeats catching a frozen server, and user close.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection, type ConnectionState } from '../../src/connection/connection';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import { DeadConnectionDetector, type DetectorOptions } from '../../src/reconnect/detector';
import { ConnectionDead } from '../../src/errors/base';
import { settle, virtualServer, VIRTUAL_DSN, type VirtualServer } from './virtual-server';

let reactor: VirtualReactor;
let server: VirtualServer;
let capture: CapturedFailures;

beforeEach(() => {
  reactor = new VirtualReactor();
  server = virtualServer(reactor);
  capture = captureUnhandledFailures();
});
afterEach(() => {
  capture.restore();
});

async function connected(options: DetectorOptions = {}): Promise<{ conn: Connection; detector: DeadConnectionDetector; states: string[] }> {
  const detector = new DeadConnectionDetector({ reconnectionIterator: () => [0, 100, 100, 100], ...options });
  const conn = new Connection({ reactor, detector, env: {} });
  const d = conn.connect(VIRTUAL_DSN);
  await settle(reactor, d);
  const states: string[] = [];
  conn.onStateChange((s: ConnectionState, reason?: Error) => states.push(reason ? `${s}: ${reason.message}` : s));
  return { conn, detector, states };
}

async function outcome<T>(reactorToSettle: VirtualReactor, d: PromiseLike<T> & { called: boolean }): Promise<T | Error> {
  await settle(reactorToSettle, d as never);
  return Promise.resolve(d).then(
    (v) => v,
    (e: Error) => e,
  );
}

describe('detector with a Connection on a VirtualReactor', () => {
  it('marks the connection dead when the server drops it, fails calls with ConnectionDead, and reconnects', async () => {
    const { conn, detector, states } = await connected({ reconnectionIterator: () => [100, 100] });
    expect(await outcome(reactor, conn.runQuery('SELECT 1'))).toEqual([{ n: '1' }]);
    server.current.transport!.abort();
    reactor.flush();
    expect(detector.connectionIsDead).toBe(true);
    expect(conn.state).toBe('reconnecting');
    const refused = await outcome(reactor, conn.runQuery('SELECT 1'));
    expect(refused).toBeInstanceOf(ConnectionDead);
    reactor.advance(100);
    await settle(reactor);
    expect(conn.state).toBe('ready');
    expect(server.backends).toHaveLength(2);
    expect(await outcome(reactor, conn.runQuery('SELECT 1'))).toEqual([{ n: '1' }]);
    expect(states.filter((s) => !s.startsWith('busy') && s !== 'ready').map((s) => s.split(':')[0])).toEqual(['dead', 'reconnecting']);
    expect(states).toContain('ready');
    conn.close();
    expect(capture.flush()).toEqual([]);
  });

  it('fails the query in flight with the loss error, not ConnectionDead, and never replays it', async () => {
    const { conn } = await connected({ reconnectionIterator: () => [100] });
    server.frozen = true;
    const inFlight = conn.runQuery('SELECT 1');
    reactor.flush();
    server.current.transport!.abort();
    const error = await outcome(reactor, inFlight);
    expect((error as Error & { code: string }).code).toBe('ERR_CONNECTION_LOST');
    server.frozen = false;
    reactor.advance(100);
    await settle(reactor);
    expect(server.current.receivedOf('Sync')).toHaveLength(0);
    conn.close();
  });

  it('reports every failed attempt on the state while the server is down, then recovers', async () => {
    const { conn, states } = await connected({ reconnectionIterator: () => [100, 100, 100, 100] });
    server.down();
    server.current.transport!.abort();
    await settle(reactor);
    reactor.advance(100);
    await settle(reactor);
    reactor.advance(100);
    await settle(reactor);
    server.up();
    reactor.advance(100);
    await settle(reactor);
    expect(conn.state).toBe('ready');
    const reconnecting = states.filter((s) => s.startsWith('reconnecting'));
    expect(reconnecting.length).toBeGreaterThanOrEqual(3);
    expect(reconnecting.slice(1).every((s) => s.includes('refused'))).toBe(true);
    conn.close();
  });

  it('gives up after a finite schedule and leaves the connection closed with ConnectionDead', async () => {
    const { conn, detector } = await connected({ reconnectionIterator: () => [100, 100] });
    const gaveUp = jest.fn();
    detector.onGiveUp(gaveUp);
    server.down();
    server.current.transport!.abort();
    await settle(reactor);
    for (let i = 0; i < 3; i++) {
      reactor.advance(100);
      await settle(reactor);
    }
    expect(gaveUp).toHaveBeenCalledTimes(1);
    expect(conn.state).toBe('closed');
    expect(await outcome(reactor, conn.runQuery('SELECT 1'))).toBeInstanceOf(ConnectionDead);
    conn.close();
  });

  it('stops reconnecting when the user closes the connection during the outage', async () => {
    const { conn, detector, states } = await connected({ reconnectionIterator: () => [100, 100, 100] });
    server.down();
    server.current.transport!.abort();
    await settle(reactor);
    conn.close();
    expect(conn.state).toBe('closed');
    const attempts = reactor.connectAttempts.length;
    reactor.advance(1000);
    await settle(reactor);
    expect(reactor.connectAttempts.length).toBe(attempts);
    expect(detector.connectionIsDead).toBe(false);
    expect(states.at(-1)).toBe('closed');
  });

  it('declares a frozen server dead with the heartbeat and reconnects', async () => {
    const { conn, detector } = await connected({ heartbeat: { intervalMs: 200, timeoutMs: 500 }, reconnectionIterator: () => [100, 100] });
    reactor.advance(200);
    await settle(reactor);
    expect(detector.heartbeatProbe!.probes).toBe(1);
    server.frozen = true;
    reactor.advance(200);
    await settle(reactor);
    reactor.advance(499);
    await settle(reactor);
    expect(detector.connectionIsDead).toBe(false);
    reactor.advance(1);
    await settle(reactor);
    expect(detector.connectionIsDead).toBe(true);
    expect(detector.heartbeatProbe!.timeouts).toBe(1);
    server.frozen = false;
    reactor.advance(100);
    await settle(reactor);
    expect(conn.state).toBe('ready');
    expect(server.backends).toHaveLength(2);
    conn.close();
    expect(detector.heartbeatProbe!.running).toBe(false);
  });

  it('does not probe a busy connection', async () => {
    const { conn, detector } = await connected({ heartbeat: { intervalMs: 200, timeoutMs: 500 } });
    server.frozen = true;
    conn.runQuery('SELECT pg_sleep(10)').addErrback(() => undefined);
    reactor.flush();
    reactor.advance(1000);
    expect(detector.heartbeatProbe!.probes).toBe(0);
    expect(detector.connectionIsDead).toBe(false);
    conn.close();
  });

  it('declares death when an operation outlives operationDeadlineMs, failing it at once', async () => {
    const { conn, detector } = await connected({ operationDeadlineMs: 1000, reconnectionIterator: () => [100] });
    server.frozen = true;
    const stuck = conn.runQuery('SELECT 1');
    reactor.advance(1000);
    const error = await outcome(reactor, stuck);
    expect(error).toMatchObject({ code: 'ERR_OPERATION_DEADLINE' });
    expect(detector.connectionIsDead).toBe(true);
    server.frozen = false;
    reactor.advance(100);
    await settle(reactor);
    expect(conn.state).toBe('ready');
    conn.close();
  });
});
