/**
 * close({ timeout }) on virtual time (issue 14): new work is refused at
 * once, work accepted before the close may finish until the deadline, then
 * what is left is cancelled (a CancelRequest reaches the server) and fails
 * with ConnectionClosed caused by a TimeoutError; the close fires after the
 * work it ended. The scripted server holds every round until the test
 * answers it, so "in flight" and "done" are told apart; time moves only
 * when the test advances the VirtualReactor.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import {
  Connection, ConnectionClosed, ConnectionPool, DeadConnectionDetector, InterfaceError, PoolClosed, TimeoutError, type Cursor,
} from '../../src/index';
import { FakeServer, outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;

function script(server: FakeServer): void {
  server.answer(/^SELECT (\d+) AS n$/, (call) => ({ fields: ['n'], rows: [[/\d+/.exec(call.sql)![0]]] }));
  server.answer(/^INSERT/, { tag: 'INSERT 0 1' });
}

beforeEach(async () => {
  w = await virtualConnection({ before: script });
  w.server.current.hold();
});
afterEach(() => w.conn.close());

/** What the server received, by message type. */
const received = (): string[] => w.server.current.receivedTypes();

/** Records the order in which Deferreds fire. */
function track(log: string[], name: string, d: PromiseLike<unknown>): void {
  d.then(
    () => log.push(`${name}: ok`),
    (e: Error) => log.push(`${name}: ${e.constructor.name}`),
  );
}

describe('Connection.close({ timeout })', () => {
  it('with nothing in flight: ends the session politely at once and fires', async () => {
    const closed = w.conn.close({ timeout: 5000 });
    expect(await outcome(w.reactor, closed)).toBeUndefined();
    expect(w.conn.state).toBe('closed');
    expect(received()).toContain('Terminate');
    expect(w.reactor.now()).toBe(0);
  });

  it('refuses new work at once, lets work in flight finish before the deadline, then terminates politely', async () => {
    const log: string[] = [];
    const first = w.conn.runQuery('SELECT 1 AS n');
    const second = w.conn.runOperation('INSERT INTO t VALUES (1)');
    track(log, 'first', first);
    track(log, 'second', second);
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 1000 });
    track(log, 'close', closed);
    const late = w.conn.runQuery('SELECT 3 AS n');
    const lateInteraction = w.conn.runInteraction(() => 1);
    expect(await outcome(w.reactor, late)).toBeInstanceOf(ConnectionClosed);
    expect(await outcome(w.reactor, lateInteraction)).toBeInstanceOf(ConnectionClosed);
    expect(((await outcome(w.reactor, late)) as Error).message).toMatch(/closing/);

    w.reactor.advance(999);
    await settle(w.reactor);
    expect(closed.called).toBe(false);
    expect(received()).not.toContain('Terminate');
    w.server.current.resume();
    expect(await outcome(w.reactor, first)).toEqual([{ n: '1' }]);
    expect(await outcome(w.reactor, second)).toMatchObject({ command: 'INSERT 0 1', rowCount: 1 });
    expect(await outcome(w.reactor, closed)).toBeUndefined();
    expect(log).toEqual(['first: ok', 'second: ok', 'close: ok']);
    expect(received()).toContain('Terminate');
    expect(w.server.cancelRequests).toHaveLength(0);
    expect(w.conn.state).toBe('closed');
    expect(w.states).toEqual(['busy', 'closed']); // never 'ready' between the drain and the close
  });

  it('at the deadline: cancels the running statement, fails what is left with ConnectionClosed caused by TimeoutError, then fires', async () => {
    const log: string[] = [];
    const first = w.conn.runQuery('SELECT 1 AS n');
    const second = w.conn.runQuery('SELECT 2 AS n');
    track(log, 'first', first);
    track(log, 'second', second);
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 1000 });
    track(log, 'close', closed);
    w.server.current.answerNext(); // the first finishes in time
    await settle(w.reactor);
    expect(await outcome(w.reactor, first)).toEqual([{ n: '1' }]);
    w.reactor.advance(1000);
    const error = await outcome(w.reactor, second);
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect((error as Error).message).toMatch(/close\(\{ timeout: 1000 \}\) ran out/);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(await outcome(w.reactor, closed)).toBeUndefined();
    expect(log).toEqual(['first: ok', 'second: ConnectionClosed', 'close: ok']);
    expect(w.server.cancelRequests).toHaveLength(1);
    expect(w.server.cancelRequests[0].processId).toBe(w.server.current.processId);
    expect(w.conn.state).toBe('closed');
  });

  it('lets an interaction queued before the close run to its COMMIT', async () => {
    const before = w.conn.runQuery('SELECT 1 AS n');
    const interaction = w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('SELECT 2 AS n');
      return c.fetchall();
    });
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 1000 });
    w.server.current.resume();
    expect(await outcome(w.reactor, before)).toEqual([{ n: '1' }]);
    expect(await outcome(w.reactor, interaction)).toEqual([{ n: '2' }]);
    expect(await outcome(w.reactor, closed)).toBeUndefined();
    expect(w.server.current.executed.map((c) => c.sql)).toEqual(['SELECT 1 AS n', 'BEGIN', 'SELECT 2 AS n', 'COMMIT']);
  });

  it('an interaction still running at the deadline fails with the close error', async () => {
    const interaction = w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('SELECT 2 AS n');
      return c.fetchall();
    });
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 50 });
    w.reactor.advance(50);
    const error = await outcome(w.reactor, interaction);
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(await outcome(w.reactor, closed)).toBeUndefined();
  });

  it('timeout 0 ends work in flight at once; Infinity waits however long it takes', async () => {
    const query = w.conn.runQuery('SELECT 1 AS n');
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 0 });
    expect(await outcome(w.reactor, query)).toBeInstanceOf(ConnectionClosed);
    expect(await outcome(w.reactor, closed)).toBeUndefined();

    const w2 = await virtualConnection({ before: script });
    w2.server.current.hold();
    const slow = w2.conn.runQuery('SELECT 1 AS n');
    await settle(w2.reactor);
    const patient = w2.conn.close({ timeout: Infinity });
    w2.reactor.advance(24 * 3600 * 1000);
    await settle(w2.reactor);
    expect(patient.called).toBe(false);
    w2.server.current.resume();
    expect(await outcome(w2.reactor, slow)).toEqual([{ n: '1' }]);
    expect(await outcome(w2.reactor, patient)).toBeUndefined();
  });

  it('a plain close() during a graceful close ends everything at once, and the graceful close fires', async () => {
    const query = w.conn.runQuery('SELECT 1 AS n');
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 1000 });
    expect(w.conn.close({ timeout: 5 })).toBe(closed); // a second graceful close: the first one's Deferred
    w.conn.close();
    expect(await outcome(w.reactor, query)).toBeInstanceOf(ConnectionClosed);
    expect(await outcome(w.reactor, closed)).toBeUndefined();
    expect(w.conn.state).toBe('closed');
    w.reactor.advance(2000);
    await settle(w.reactor);
    expect(w.server.cancelRequests).toHaveLength(0);
  });

  it('cancelling the close Deferred ends the wait now', async () => {
    const query = w.conn.runQuery('SELECT 1 AS n');
    await settle(w.reactor);
    const closed = w.conn.close({ timeout: 60_000 });
    closed.cancel();
    expect(await outcome(w.reactor, closed)).toMatchObject({ name: 'CancelledError' });
    expect(await outcome(w.reactor, query)).toBeInstanceOf(ConnectionClosed);
    expect(w.conn.state).toBe('closed');
    expect(w.server.cancelRequests).toHaveLength(1);
  });

  it('refuses a bad timeout without closing anything', async () => {
    for (const bad of [-1, NaN, '10', undefined]) {
      const error = await outcome(w.reactor, w.conn.close({ timeout: bad as never }));
      expect(error).toBeInstanceOf(InterfaceError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    }
    expect(w.conn.closed).toBe(false);
  });

  it('on a closed connection: fires at once', async () => {
    w.conn.close();
    expect(await outcome(w.reactor, w.conn.close({ timeout: 10 }))).toBeUndefined();
  });

  it('with a detector: a session lost during the close ends it, and nothing reconnects', async () => {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor);
    script(server);
    const detector = new DeadConnectionDetector({ reactor });
    const conn = new Connection({ env: {}, reactor, detector });
    await settle(reactor, conn.connect(server.dsn));
    server.current.hold();
    const query = conn.runQuery('SELECT 1 AS n');
    await settle(reactor);
    const closed = conn.close({ timeout: 10_000 });
    server.current.kill({ C: '57P01', M: 'terminating connection due to administrator command' });
    expect(await outcome(reactor, query)).toBeInstanceOf(Error);
    expect(await outcome(reactor, closed)).toBeUndefined();
    expect(conn.state).toBe('closed');
    reactor.advance(60_000);
    await settle(reactor);
    expect(server.backends).toHaveLength(1);
    expect(conn.state).toBe('closed');
  });
});

describe('ConnectionPool.close({ timeout })', () => {
  async function virtualPool(): Promise<{ reactor: VirtualReactor; server: FakeServer; pool: ConnectionPool }> {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor);
    script(server);
    const pool = new ConnectionPool({ reactor, min: 2, max: 2, connect: server.dsn, connectionOptions: { env: {} } });
    await settle(reactor, pool.start());
    for (const b of server.backends) b.hold();
    return { reactor, server, pool };
  }

  it('lets work finish before the deadline, refuses new work with PoolClosed', async () => {
    const { reactor, server, pool } = await virtualPool();
    const query = pool.runQuery('SELECT 1 AS n');
    await settle(reactor);
    const closed = pool.close({ timeout: 1000 });
    expect(await outcome(reactor, pool.runQuery('SELECT 2 AS n'))).toBeInstanceOf(PoolClosed);
    reactor.advance(500);
    for (const b of server.backends) b.resume();
    expect(await outcome(reactor, query)).toEqual([{ n: '1' }]);
    expect(await outcome(reactor, closed)).toBeUndefined();
    expect(server.cancelRequests).toHaveLength(0);
    expect(pool.stats().size).toBe(0);
  });

  it('at the deadline: the work left fails with ConnectionClosed caused by TimeoutError, then the close fires', async () => {
    const { reactor, server, pool } = await virtualPool();
    const log: string[] = [];
    const held = pool.runQuery('SELECT 1 AS n');
    const interaction = pool.runInteraction(async (c: Cursor) => c.execute('SELECT 2 AS n'));
    track(log, 'query', held);
    track(log, 'interaction', interaction);
    await settle(reactor);
    const closed = pool.close({ timeout: 2000 });
    track(log, 'close', closed);
    reactor.advance(1999);
    await settle(reactor);
    expect(closed.called).toBe(false);
    reactor.advance(1);
    const error = await outcome(reactor, held);
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/timeout: 2000/);
    expect(await outcome(reactor, interaction)).toBeInstanceOf(ConnectionClosed);
    expect(await outcome(reactor, closed)).toBeUndefined();
    expect(log.slice(-1)).toEqual(['close: ok']);
    expect(server.cancelRequests).toHaveLength(2);
    expect(pool.stats().size).toBe(0);
  });

  it('close() without options still waits for work however long it takes', async () => {
    const { reactor, server, pool } = await virtualPool();
    const query = pool.runQuery('SELECT 1 AS n');
    await settle(reactor);
    const closed = pool.close();
    reactor.advance(24 * 3600 * 1000);
    await settle(reactor);
    expect(closed.called).toBe(false);
    for (const b of server.backends) b.resume();
    expect(await outcome(reactor, query)).toEqual([{ n: '1' }]);
    expect(await outcome(reactor, closed)).toBeUndefined();
  });

  it('refuses a bad timeout without closing', async () => {
    const { reactor, pool } = await virtualPool();
    expect(await outcome(reactor, pool.close({ timeout: -5 }))).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    for (const b of [pool]) expect(b.stats().size).toBe(2);
    await settle(reactor, pool.close());
  });
});
