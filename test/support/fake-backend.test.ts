import type { Transport } from '../../reactor/interfaces';
import { BackendDecoder } from '../../src/protocol/decode';
import { encodeFrontend } from '../../src/protocol/encode';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { concatBytes, utf8Encode } from '../../src/util/bytes';
import { drain } from '../protocol/drain';
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection } from '../../src/index';
import { FakeBackend, FakeServer, ReplyScript, resultOf, settle, type FakeBackendOptions } from './fake-backend';

/** A transport stub recording what the backend writes. */
function connect(options?: FakeBackendOptions): { be: FakeBackend; writes: Uint8Array[]; replies(): BackendMessage[]; client(...m: FrontendMessage[]): void; closed(): number } {
  const writes: Uint8Array[] = [];
  let closes = 0;
  const transport = { write: (b: Uint8Array) => writes.push(b.slice()), close: () => closes++, abort: () => closes++ } as unknown as Transport;
  const be = new FakeBackend(options);
  be.connectionMade(transport);
  const decoder = new BackendDecoder();
  return {
    be,
    writes,
    replies: () => {
      decoder.feed(concatBytes(writes.splice(0)));
      return drain(decoder);
    },
    client: (...m) => be.dataReceived(concatBytes(m.map(encodeFrontend))),
    closed: () => closes,
  };
}

describe('FakeBackend', () => {
  test('records every client message and refuses SSLRequest with a single N byte by default', () => {
    const { be, writes, client } = connect();
    client({ type: 'SSLRequest' }, { type: 'StartupMessage', parameters: { user: 'u' } });
    expect(be.received.map((m) => m.type)).toEqual(['SSLRequest', 'StartupMessage']);
    expect(writes).toEqual([Uint8Array.of(0x4e)]);
  });

  test('acceptStartup sends AuthenticationOk, parameters, BackendKeyData and ReadyForQuery in one write', () => {
    const { be, writes, replies, client } = connect();
    be.onMessage('StartupMessage', () => be.acceptStartup({ parameters: { application_name: 'x' }, processId: 7 }));
    client({ type: 'StartupMessage', parameters: { user: 'u' } });
    expect(writes).toHaveLength(1);
    const got = replies();
    expect(got[0]).toEqual({ type: 'AuthenticationOk' });
    expect(got).toContainEqual({ type: 'ParameterStatus', name: 'application_name', value: 'x' });
    expect(got.at(-2)).toEqual({ type: 'BackendKeyData', processId: 7, secretKey: Uint8Array.of(1, 2, 3, 4) });
    expect(got.at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
  });

  test('replyToSimpleQuery answers rows, an error, or an empty query', () => {
    const { be, replies } = connect();
    be.replyToSimpleQuery({ fields: ['a'], rows: [['1'], [null]] });
    expect(replies().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    be.replyToSimpleQuery({ tag: 'CREATE TABLE' }, { error: { C: '42P01', M: 'nope' } }, { tag: 'never' });
    expect(replies()).toEqual([
      { type: 'CommandComplete', tag: 'CREATE TABLE' },
      { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '42P01', M: 'nope' } },
      { type: 'ReadyForQuery', status: 'I' },
    ]);
    be.replyToSimpleQuery();
    expect(replies()).toEqual([{ type: 'EmptyQueryResponse' }, { type: 'ReadyForQuery', status: 'I' }]);
  });

  test('replyToExtended answers a Parse/Bind/Describe/Execute/Sync round', () => {
    const { be, replies } = connect();
    be.replyToExtended({ paramTypes: [23], fields: [{ name: 'n', typeOid: 23, typeSize: 4 }], rows: [['5']] });
    const got = replies();
    expect(got.map((m) => m.type)).toEqual(['ParseComplete', 'ParameterDescription', 'BindComplete', 'RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(got[4]).toEqual({ type: 'DataRow', fields: [utf8Encode('5')] });
    be.replyToExtended({ parse: false, tag: 'INSERT 0 1' });
    expect(replies().map((m) => m.type)).toEqual(['BindComplete', 'NoData', 'CommandComplete', 'ReadyForQuery']);
  });

  test('handlers run in registration order and can be removed', () => {
    const { be, client } = connect();
    client({ type: 'StartupMessage', parameters: {} });
    const seen: string[] = [];
    const off = be.onMessage('Query', (m) => seen.push(`a:${m.sql}`));
    be.onMessage('Query', (m) => seen.push(`b:${m.sql}`));
    client({ type: 'Query', sql: '1' });
    off();
    client({ type: 'Query', sql: '2' });
    expect(seen).toEqual(['a:1', 'b:1', 'b:2']);
    expect(be.receivedOf('Query').map((q) => q.sql)).toEqual(['1', '2']);
  });

  test('received messages are copies that survive later input', () => {
    const { be, client } = connect();
    client({ type: 'StartupMessage', parameters: {} }, { type: 'CopyData', data: Uint8Array.of(1, 2) });
    client({ type: 'CopyData', data: Uint8Array.of(9, 9) });
    expect(be.receivedOf('CopyData').map((m) => Array.from(m.data))).toEqual([[1, 2], [9, 9]]);
  });

  test('records the end of the connection', () => {
    const { be } = connect();
    be.connectionLost(null);
    expect(be.lostReason).toBeNull();
    expect(() => be.send({ type: 'NoData' })).toThrow(/not connected/);
  });
});


/** The types of the replies, with the tag, status or SQLSTATE where there is one. */
function brief(msgs: BackendMessage[]): string[] {
  return msgs.map((m) => {
    if (m.type === 'CommandComplete') return `CommandComplete ${m.tag}`;
    if (m.type === 'ReadyForQuery') return `ReadyForQuery ${m.status}`;
    if (m.type === 'ErrorResponse') return `ErrorResponse ${m.fields.C}`;
    return m.type;
  });
}

const P = (name: string, sql: string): FrontendMessage => ({ type: 'Parse', name, sql, paramTypes: [] });
const D = (target: 'S' | 'P', name: string): FrontendMessage => ({ type: 'Describe', target, name });
const B = (statement: string, params: Array<string | null> = [], resultFormats: Array<0 | 1> = []): FrontendMessage => ({
  type: 'Bind', portal: '', statement, paramFormats: [], params, resultFormats,
});
const E = (maxRows = 0): FrontendMessage => ({ type: 'Execute', portal: '', maxRows });
const S: FrontendMessage = { type: 'Sync' };
const Q = (sql: string): FrontendMessage => ({ type: 'Query', sql });

describe('FakeBackend serving (the emulated server)', () => {
  function serving(options: FakeBackendOptions = {}): ReturnType<typeof connect> {
    const c = connect({ serve: true, ...options });
    c.client({ type: 'StartupMessage', parameters: {} });
    c.be.script.answer('SELECT $1::int AS n', (call) => ({ fields: [{ name: 'n', type: 'int4' }], rows: [[call.params[0] as string]] }));
    c.be.script.answer('SELECT 1 AS one', { fields: ['one'], rows: [['1']] });
    c.be.script.answer('INSERT INTO t VALUES (1)', {});
    return c;
  }

  test('answers each message of a round as a server does, and ReadyForQuery at Sync, in one write', () => {
    const { be, client, replies, writes } = serving();
    client(P('s1', 'SELECT $1::int AS n'), D('S', 's1'), S);
    const got = replies();
    expect(brief(got)).toEqual(['ParseComplete', 'ParameterDescription', 'RowDescription', 'ReadyForQuery I']);
    expect(got[1]).toEqual({ type: 'ParameterDescription', typeOids: [23] });
    client(B('s1', ['7'], [1]), E(), S);
    expect(writes).toHaveLength(1);
    const run = replies();
    expect(brief(run)).toEqual(['BindComplete', 'DataRow', 'CommandComplete SELECT 1', 'ReadyForQuery I']);
    expect(run[1]).toEqual({ type: 'DataRow', fields: [Uint8Array.of(0, 0, 0, 7)] }); // int4 in binary, as asked
    expect(be.executed.map((c) => [c.sql, c.params])).toEqual([['SELECT $1::int AS n', ['7']]]);
    expect([...be.prepared.keys()]).toEqual(['s1']);
  });

  test('after an error skips to Sync; a failed block refuses statements (25P02) and COMMIT answers ROLLBACK', () => {
    const { be, client, replies } = serving();
    be.script.answer('SELECT boom', { error: { C: '22012', M: 'division by zero' } });
    client(Q('BEGIN'));
    expect(brief(replies())).toEqual(['CommandComplete BEGIN', 'ReadyForQuery T']);
    client(P('', 'SELECT boom'), B(''), E(), P('', 'SELECT 1 AS one'), B(''), E(), S);
    expect(brief(replies())).toEqual(['ParseComplete', 'BindComplete', 'ErrorResponse 22012', 'ReadyForQuery E']);
    client(Q('SELECT 1 AS one'));
    expect(brief(replies())).toEqual(['ErrorResponse 25P02', 'ReadyForQuery E']);
    client(Q('COMMIT'));
    expect(brief(replies())).toEqual(['CommandComplete ROLLBACK', 'ReadyForQuery I']);
    expect(be.executed.map((c) => c.sql)).toEqual(['BEGIN', 'SELECT boom', 'COMMIT']);
  });

  test('keeps savepoints: ROLLBACK TO recovers a failed block, RELEASE in a failed block fails with 25P02', () => {
    const { be, client, replies } = serving();
    be.script.answer('SELECT boom', { error: { C: '23505', M: 'duplicate' } });
    client(Q('BEGIN; SAVEPOINT a; SELECT boom'));
    expect(brief(replies())).toEqual(['CommandComplete BEGIN', 'CommandComplete SAVEPOINT', 'ErrorResponse 23505', 'ReadyForQuery E']);
    expect(be.savepoints).toEqual(['a']);
    client(Q('ROLLBACK TO SAVEPOINT a'));
    expect(brief(replies())).toEqual(['CommandComplete ROLLBACK', 'ReadyForQuery T']);
    client(Q('SAVEPOINT b; SELECT boom'), Q('RELEASE SAVEPOINT b'), Q('ROLLBACK'));
    expect(brief(replies())).toEqual([
      'CommandComplete SAVEPOINT', 'ErrorResponse 23505', 'ReadyForQuery E',
      'ErrorResponse 25P02', 'ReadyForQuery E',
      'CommandComplete ROLLBACK', 'ReadyForQuery I',
    ]);
    expect(be.savepoints).toEqual([]);
    client(Q('SAVEPOINT c'));
    expect(brief(replies())).toEqual(['ErrorResponse 25P01', 'ReadyForQuery I']);
  });

  test('reports what a server reports for statements: changed shape 0A000, gone 26000, duplicate 42P05, several 42601', () => {
    const { be, client, replies } = serving();
    client(P('s1', 'SELECT 1 AS one'), D('S', 's1'), S);
    replies();
    be.script.answer('SELECT 1 AS one', { fields: ['one', 'two'], rows: [['1', '2']] }); // the table gained a column
    client(B('s1'), E(), S);
    expect(brief(replies())).toEqual(['ErrorResponse 0A000', 'ReadyForQuery I']);
    client(Q('DISCARD ALL'), B('s1'), E(), S);
    expect(brief(replies())).toEqual(['CommandComplete DISCARD ALL', 'ReadyForQuery I', 'ErrorResponse 26000', 'ReadyForQuery I']);
    client(P('s2', 'SELECT 1 AS one'), P('s2', 'SELECT 1 AS one'), S, P('', 'SELECT 1 AS one; SELECT 1 AS one'), S);
    expect(brief(replies())).toEqual(['ParseComplete', 'ErrorResponse 42P05', 'ReadyForQuery I', 'ErrorResponse 42601', 'ReadyForQuery I']);
  });

  test('suspends a portal at the row limit of Execute', () => {
    const { be, client, replies } = serving();
    be.script.answer('SELECT n FROM t', { fields: ['n'], rows: [['1'], ['2'], ['3']] });
    client(P('', 'SELECT n FROM t'), B(''), E(2), E(2), S);
    expect(brief(replies())).toEqual(['ParseComplete', 'BindComplete', 'DataRow', 'DataRow', 'PortalSuspended', 'DataRow', 'CommandComplete SELECT 3', 'ReadyForQuery I']);
  });

  test('answers an unscripted statement with an error naming it, or with nothing when told so', () => {
    const strict = serving();
    strict.client(Q('SELECT unknown'));
    const [error] = strict.replies();
    expect(error).toMatchObject({ type: 'ErrorResponse', fields: { C: 'XX000', M: 'FakeBackend: no reply scripted for: SELECT unknown' } });
    const lax = serving({ script: new ReplyScript({ unscripted: 'empty' }) });
    lax.client(Q('UPDATE t SET x = 1'), Q(' '));
    expect(brief(lax.replies())).toEqual(['CommandComplete UPDATE 0', 'ReadyForQuery I', 'EmptyQueryResponse', 'ReadyForQuery I']);
  });

  test('holds rounds until answered, with the script or an override; interrupt fails the oldest with 57014', () => {
    const { be, client, replies } = serving();
    be.hold();
    client(Q('SELECT 1 AS one'), P('', 'SELECT $1::int AS n'), D('S', ''), S, Q('INSERT INTO t VALUES (1)'));
    expect(replies()).toEqual([]);
    expect(be.held.map((r) => r.sql)).toEqual([['SELECT 1 AS one'], [], ['INSERT INTO t VALUES (1)']]);
    be.answerNext({ fields: ['one'], rows: [['9']] });
    expect(brief(replies())).toEqual(['RowDescription', 'DataRow', 'CommandComplete SELECT 1', 'ReadyForQuery I']);
    be.answerNext();
    expect(brief(replies())).toEqual(['ParseComplete', 'ParameterDescription', 'RowDescription', 'ReadyForQuery I']);
    expect(be.interrupt()).toBe(true);
    expect(brief(replies())).toEqual(['ErrorResponse 57014', 'ReadyForQuery I']);
    expect(be.interrupt()).toBe(false);
    expect(() => be.answerNext()).toThrow(/no complete round/);
    client(Q('SELECT 1 AS one'));
    be.resume();
    expect(brief(replies())).toEqual(['RowDescription', 'DataRow', 'CommandComplete SELECT 1', 'ReadyForQuery I']);
  });

  test('accepts startup when told, kills with FATAL 57P01 and closes, and hands a CancelRequest on', () => {
    const cancels: unknown[] = [];
    const c = connect({ startup: { processId: 9 }, serve: true, onCancelRequest: (m) => cancels.push(m) });
    c.client({ type: 'StartupMessage', parameters: { user: 'u' } });
    expect(c.replies().at(-2)).toEqual({ type: 'BackendKeyData', processId: 9, secretKey: Uint8Array.of(1, 2, 3, 4) });
    c.be.kill();
    expect(brief(c.replies())).toEqual(['ErrorResponse 57P01']);
    expect(c.closed()).toBe(1);
    const k = connect({ onCancelRequest: (m) => cancels.push(m) });
    k.client({ type: 'CancelRequest', processId: 9, secretKey: Uint8Array.of(1, 2, 3, 4) });
    expect(cancels).toEqual([{ type: 'CancelRequest', processId: 9, secretKey: Uint8Array.of(1, 2, 3, 4) }]);
    expect(k.closed()).toBe(1);
  });

  test('a handler takes its message type over; serveMessage passes a message on', () => {
    const { be, client, replies } = serving();
    let syncs = 0;
    be.onMessage('Sync', (m) => {
      syncs++;
      be.serveMessage(m);
    });
    be.onMessage('Query', () => be.replyToSimpleQuery({ tag: 'MINE' }));
    client(P('', 'SELECT 1 AS one'), B(''), E(), S, Q('SELECT 1 AS one'));
    expect(syncs).toBe(1);
    expect(brief(replies())).toEqual(['ParseComplete', 'BindComplete', 'DataRow', 'CommandComplete SELECT 1', 'ReadyForQuery I', 'CommandComplete MINE', 'ReadyForQuery I']);
  });
});

describe('ReplyScript', () => {
  const call = (sql: string, describing = false) => ({ sql, params: [], protocol: 'simple' as const, describing, transactionStatus: 'I' as const, processId: 1 });

  test('the newest matching rule with uses left wins; describing does not use a rule up; removal works', () => {
    const script = new ReplyScript();
    script.answer(/^SELECT/, { tag: 'any select' });
    const off = script.answer((sql) => sql.includes('x'), { tag: 'x' });
    script.answerOnce('SELECT  x', { tag: 'once' });
    expect(script.resolve(call(' SELECT x ', true))).toEqual({ tag: 'once' });
    expect(script.resolve(call('SELECT x'))).toEqual({ tag: 'once' });
    expect(script.resolve(call('SELECT x'))).toEqual({ tag: 'x' });
    off();
    expect(script.resolve(call('SELECT x'))).toEqual({ tag: 'any select' });
    expect(script.resolve(call('COMMIT'))).toEqual({});
    script.reset();
    expect(script.resolve(call('SELECT x'))).toMatchObject({ error: { C: 'XX000' }, at: 'parse' });
  });
});

describe('FakeServer and settle on a VirtualReactor', () => {
  test('gives each connection its own process id, routes CancelRequests, refuses while down', async () => {
    const reactor = new VirtualReactor();
    const server = new FakeServer(reactor);
    server.answer('SELECT 1 AS one', { fields: ['one'], rows: [['1']] });
    const a = new Connection({ reactor, env: {} });
    const b = new Connection({ reactor, env: {} });
    await settle(reactor, a.connect(server.dsn));
    await settle(reactor, b.connect(server.dsn));
    expect(server.backends.map((be) => be.processId)).toEqual([a.processId, b.processId]);
    expect(a.processId).not.toBe(b.processId);
    server.backends[0].hold();
    const running = a.runQuery('SELECT 1 AS one');
    await settle(reactor);
    running.cancel();
    await expect(resultOf(reactor, running)).rejects.toMatchObject({ name: 'CancelledError', serverCancelled: true });
    expect(server.cancelRequests.map((m) => m.processId)).toEqual([a.processId]);
    expect(server.backends).toHaveLength(2); // the cancel connection is not a session
    server.down();
    const c = new Connection({ reactor, env: {} });
    await expect(resultOf(reactor, c.connect(server.dsn))).rejects.toThrow(/refused/);
    server.up();
    await settle(reactor, c.connect(server.dsn));
    expect(c.state).toBe('ready');
    for (const conn of [a, b, c]) conn.close();
  });

  test('settle fails when what it waits for needs virtual time; resultOf observes without consuming', async () => {
    const reactor = new VirtualReactor();
    let fired = false;
    reactor.callLater(10, () => (fired = true));
    await expect(settle(reactor, () => fired, 5)).rejects.toThrow(/virtual time/);
    reactor.advance(10);
    await settle(reactor, () => fired);
    const server = new FakeServer(reactor);
    server.answer('SELECT 1 AS one', { fields: ['one'], rows: [['1']] });
    const conn = new Connection({ reactor, env: {} });
    await settle(reactor, conn.connect(server.dsn));
    const d = conn.runQuery('SELECT 1 AS one');
    expect(await resultOf(reactor, d)).toEqual([{ one: '1' }]);
    expect(await d).toEqual([{ one: '1' }]);
    conn.close();
  });
});
