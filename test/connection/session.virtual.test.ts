/**
 * The protocol session on virtual time (issue 11), through the public
 * Connection: writes coalesced per turn, results routed to the operation at
 * the head of the pipeline, notifications, notices and server parameters
 * between results, and every way a session ends (close with Terminate, a
 * FATAL error from the server, a server that hangs up, a network reset).
 */
import { ConnectionClosed, ConnectionLost, type Diagnostic, type Notification } from '../../src/index';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';
import type { Session } from '../../src/connection/session';
import { encodeBackend } from '../../src/protocol/backend-encode';

let w: VirtualWorld;

beforeEach(async () => {
  w = await virtualConnection({
    before: (server) => {
      server.answer(/^SELECT (\d+) AS n$/, (call) => ({ fields: ['n'], rows: [[/\d+/.exec(call.sql)![0]]] }));
      server.answer('SELECT pg_sleep(10)', { fields: ['pg_sleep'], rows: [['']] });
    },
  });
});
afterEach(() => w.conn.close());

describe('writing and routing', () => {
  it('sends the commands of one turn in one write, and routes each result to its own call', async () => {
    const link = w.reactor.links[0];
    const before = link.written.client.length;
    const ds = [1, 2, 3].map((i) => w.conn.runQuery(`SELECT ${i} AS n`));
    await settle(w.reactor);
    expect(link.written.client.length - before).toBe(1);
    expect(await Promise.all(ds.map((d) => outcome(w.reactor, d)))).toEqual([[{ n: '1' }], [{ n: '2' }], [{ n: '3' }]]);
  });

  it('reports the transaction status of the last ReadyForQuery', async () => {
    await outcome(w.reactor, w.conn.runOperation('BEGIN'));
    expect(w.conn.transactionStatus).toBe('T');
    w.server.answer('SELECT 1/0', { error: { C: '22012', M: 'division by zero' } });
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 1/0'))).toMatchObject({ code: '22012' });
    expect(w.conn.transactionStatus).toBe('E');
    await outcome(w.reactor, w.conn.runOperation('ROLLBACK'));
    expect(w.conn.transactionStatus).toBe('I');
  });
});

describe('a pipeline that never drains', () => {
  it('keeps no completed operation: with one always in flight, what the session and the machine hold stays bounded', async () => {
    const session = w.reactor.links[0].clientTransport.handler as Session;
    const held = (): { handlers: number; ops: number } => ({
      handlers: (session as unknown as { inflight: unknown[] }).inflight.length,
      ops: (session.machine as unknown as { ops: unknown[] }).ops.length,
    });
    const be = w.server.current;
    be.hold();
    const pending = [w.conn.runQuery('SELECT 0 AS n')];
    let most = { handlers: 0, ops: 0 };
    for (let i = 1; i <= 3000; i++) {
      pending.push(w.conn.runQuery(`SELECT ${i} AS n`)); // sent while the one before is still running
      await settle(w.reactor);
      be.answerNext();
      expect(await outcome(w.reactor, pending.shift()!)).toEqual([{ n: String(i - 1) }]);
      const now = held();
      most = { handlers: Math.max(most.handlers, now.handlers), ops: Math.max(most.ops, now.ops) };
    }
    expect(session.pending).toBe(1);
    expect(most.handlers).toBeLessThan(200);
    expect(most.ops).toBeLessThan(200);
    be.resume();
    expect(await outcome(w.reactor, pending.shift()!)).toEqual([{ n: '3000' }]);
  });
});

describe('asynchronous messages', () => {
  it('delivers notifications in order, while idle and while a statement runs, without disturbing its result', async () => {
    const got: string[] = [];
    w.conn.onNotification((n: Notification) => got.push(`${n.channel}:${n.payload}:${n.pid}`));
    const be = w.server.current;
    be.notify('jobs', 'idle', 99);
    be.hold();
    const d = w.conn.runQuery('SELECT 4 AS n');
    await settle(w.reactor);
    be.notify('jobs', 'busy');
    be.answerNext();
    expect(await outcome(w.reactor, d)).toEqual([{ n: '4' }]);
    expect(got).toEqual(['jobs:idle:99', `jobs:busy:${be.processId}`]);
  });

  it('hands notices to onNotice as Diagnostics, and keeps server parameters up to date', async () => {
    const notices: Diagnostic[] = [];
    w.conn.onNotice((n) => notices.push(n));
    w.server.current.notice({ C: '01000', M: 'careful', S: 'WARNING', V: 'WARNING' });
    w.server.current.parameterStatus('TimeZone', 'Asia/Tokyo');
    await settle(w.reactor);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ message: 'careful', sqlstate: '01000', severity: 'WARNING' });
    expect(w.conn.serverParameters.get('TimeZone')).toBe('Asia/Tokyo');
    expect(w.conn.serverParameters.get('server_version')).toBe('15.18');
  });
});

describe('the end of a session', () => {
  it('close sends Terminate and fails the statement in flight with ConnectionClosed', async () => {
    w.server.current.hold();
    const d = w.conn.runQuery('SELECT pg_sleep(10)');
    await settle(w.reactor);
    w.conn.close();
    expect(await outcome(w.reactor, d)).toBeInstanceOf(ConnectionClosed);
    expect(w.server.current.receivedTypes().at(-1)).toBe('Terminate');
    expect(w.server.current.lostReason).toBeNull();
    expect(w.conn.state).toBe('closed');
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'))).toBeInstanceOf(ConnectionClosed);
  });

  it('a reply that arrives after close() (the server answered before it read Terminate) is dropped, not routed', async () => {
    const session = w.reactor.links[0].clientTransport.handler as Session;
    w.server.current.hold();
    const d = w.conn.runQuery('SELECT pg_sleep(10)');
    await settle(w.reactor);
    w.conn.close();
    expect(await outcome(w.reactor, d)).toBeInstanceOf(ConnectionClosed);
    // the statement's end and ReadyForQuery, still on their way when the client closed (the half-closed socket delivers them)
    const late = [encodeBackend({ type: 'CommandComplete', tag: 'SELECT 1' }), encodeBackend({ type: 'ReadyForQuery', status: 'I' })];
    for (const bytes of late) expect(() => session.dataReceived(bytes)).not.toThrow();
    expect(w.conn.state).toBe('closed');
  });

  it('a FATAL error (pg_terminate_backend) fails the statement in flight with it and closes the connection; later calls fail with ConnectionLost', async () => {
    w.server.current.hold();
    const d = w.conn.runQuery('SELECT pg_sleep(10)');
    await settle(w.reactor);
    w.server.current.kill();
    const error = await outcome(w.reactor, d);
    expect(error).toMatchObject({ code: '57P01' });
    await settle(w.reactor);
    expect(w.conn.state).toBe('closed');
    expect(w.states.at(-1)).toMatch(/^closed: /);
    const later = await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'));
    expect(later).toBeInstanceOf(ConnectionLost);
    expect((later as Error).cause).toMatchObject({ code: '57P01' });
  });

  it('a FATAL error ends the session when it arrives, not when the server gets round to closing the socket: the statement in flight and the ones queued behind it fail at once', async () => {
    const be = w.server.current;
    be.hold();
    const first = w.conn.runQuery('SELECT pg_sleep(10)');
    const queued = w.conn.runQuery('SELECT 2 AS n');
    await settle(w.reactor);
    // the server's FATAL, while its exit work keeps the socket open
    be.send({ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' } });
    expect(await outcome(w.reactor, first)).toMatchObject({ code: '57P01' });
    expect(await outcome(w.reactor, queued)).toMatchObject({ code: '57P01' });
    expect(w.conn.state).toBe('closed');
    expect(w.states.at(-1)).toMatch(/^closed: .*administrator command/);
  });

  it('a server that hangs up or a network reset fails the statement in flight with ConnectionLost, keeping the cause', async () => {
    for (const end of ['close', 'reset'] as const) {
      if (w.conn.closed) await settle(w.reactor, w.conn.connect(w.server.dsn));
      const be = w.server.current;
      be.hold();
      const d = w.conn.runQuery('SELECT pg_sleep(10)');
      await settle(w.reactor);
      be[end]();
      const error = await outcome(w.reactor, d);
      expect(error).toBeInstanceOf(ConnectionLost);
      if (end === 'reset') expect((error as Error).cause).toMatchObject({ name: 'ConnectionReset' });
      expect(w.conn.state).toBe('closed');
    }
    expect(w.server.backends).toHaveLength(2);
  });

  it('connects again after the session ended, with a new backend', async () => {
    w.server.current.kill();
    await settle(w.reactor);
    await settle(w.reactor, w.conn.connect(w.server.dsn));
    expect(w.conn.state).toBe('ready');
    expect(w.conn.processId).toBe(w.server.current.processId);
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 8 AS n'))).toEqual([{ n: '8' }]);
  });
});
