/**
 * ProtocolMachine driven by hand: no socket, no timer. Captured sessions are
 * replayed byte for byte; the rest are scripted with the backend encoder.
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { ProtocolMachine } from '../../src/core/machine';
import type { FailedEvent, MachineEvent } from '../../src/core/events';
import { ConnectionClosed, ConnectionLost, InterfaceError, ProtocolViolation } from '../../src/errors/base';
import { DatabaseError } from '../../src/errors/database';
import type { FrontendMessage } from '../../src/protocol/messages';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import { fromHex, toHex } from '../../src/util/bytes';
import { SESSIONS, type VectorSession } from '../protocol/vectors';
import { be, commandsFor, drain, drainTypes, expectedEvents, mergeFlushSteps, readyMachine, sent, STARTUP_REPLY } from './machine-helpers';

const failedOf = (events: MachineEvent[]): FailedEvent => events.find((e): e is FailedEvent => e.type === 'Failed')!;
const session = (name: string): VectorSession => SESSIONS.find((s) => s.name === name)!;

/** Replays a captured session: the machine must send exactly the captured bytes and yield the captured messages. */
function replay(s: VectorSession, extra: { allowCleartextPassword?: boolean } = {}): { machine: ProtocolMachine; last: MachineEvent[] } {
  const startup = s.steps[0].sent[0] as Extract<FrontendMessage, { type: 'StartupMessage' }>;
  const { user: _user, ...startupParameters } = startup.parameters;
  const m = new ProtocolMachine({ user: s.user, password: s.password, crypto: nodeAuthCrypto, scramNonce: s.clientNonce, startupParameters, ...extra });
  m.start();
  let last: MachineEvent[] = [];
  for (const step of mergeFlushSteps(s.steps)) {
    for (const c of commandsFor(step.sent)) m.send(c);
    expect({ step: step.name, bytes: sent(m) }).toEqual({ step: step.name, bytes: step.sentHex });
    const startingUp = m.state === 'authenticating' || m.state === 'settingUp';
    m.receiveData(fromHex(step.receivedHex));
    last = drain(m);
    if (last.some((e) => e.type === 'Failed')) return { machine: m, last };
    expect({ step: step.name, events: last.map((e) => e.type) }).toEqual({ step: step.name, events: expectedEvents(step.messages, startingUp) });
  }
  return { machine: m, last };
}

describe('replaying sessions captured from PostgreSQL 15', () => {
  it('replays the whole trust session (queries, extended protocol, portals, errors, COPY, notify, notice) and ends cleanly after Terminate', () => {
    const { machine } = replay(session('trust'));
    expect(machine.state).toBe('terminating');
    machine.receiveEof();
    expect(drain(machine)).toEqual([{ type: 'Failed', error: null }]);
    expect(machine.state).toBe('closed');
  });

  it('answers an MD5 challenge with the captured password hash, using the injected crypto', () => {
    const { machine } = replay(session('md5'));
    expect(machine.parameters.get('session_authorization')).toBe('md5user');
  });

  it('sends a cleartext password only when allowed', () => {
    expect(replay(session('cleartext'), { allowCleartextPassword: true }).machine.state).toBe('ready');
    const { last } = replay(session('cleartext'));
    expect(failedOf(last).error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
  });
});

describe('startup', () => {
  it('queues the StartupMessage at start() when TLS is disabled, and becomes ready on the first ReadyForQuery', () => {
    const m = new ProtocolMachine({ user: 'alice', crypto: nodeAuthCrypto, startupParameters: { database: 'db' } });
    expect(m.poll()).toBe('ok');
    m.start();
    expect(m.poll()).toBe('write');
    expect(sent(m)).toMatch(/^[0-9a-f]{8}00030000/);
    expect(m.poll()).toBe('read');
    m.receiveData(be(...STARTUP_REPLY));
    expect(drain(m)).toEqual([
      { type: 'ParameterStatus', name: 'server_version', value: '15.18' },
      { type: 'ParameterStatus', name: 'TimeZone', value: 'UTC' },
      { type: 'StartupComplete', processId: 4242, transactionStatus: 'I' },
    ]);
    expect(m.state).toBe('ready');
    expect(m.poll()).toBe('ok');
  });

  it('refuses start() twice with InterfaceError', () => {
    const m = readyMachine();
    expect(() => m.start()).toThrow(InterfaceError);
  });

  it('fails with the server error when the server refuses the startup', () => {
    const m = new ProtocolMachine({ user: 'nobody', crypto: nodeAuthCrypto });
    m.start();
    m.dataToSend();
    m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: '28000', M: 'role "nobody" does not exist' } }));
    const error = failedOf(drain(m)).error as DatabaseError;
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.code).toBe('28000');
    expect(m.state).toBe('closed');
  });
});

describe('the answer to SSLRequest', () => {
  const tlsMachine = (tls: 'prefer' | 'require'): ProtocolMachine => {
    const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, tls });
    m.start();
    expect(sent(m)).toBe('0000000804d2162f');
    return m;
  };

  it("asks the driver to start TLS on 'S', then sends the StartupMessage once TLS is established", () => {
    const m = tlsMachine('require');
    m.receiveData(Uint8Array.of(0x53));
    expect(m.poll()).toBe('starttls');
    expect(m.dataToSend()).toBeNull();
    m.tlsEstablished();
    expect(m.tls).toBe(true);
    expect(m.poll()).toBe('write');
    expect(sent(m)).toMatch(/^[0-9a-f]{8}00030000/);
  });

  it("fails with ERR_TLS_REFUSED on 'N' when TLS is required", () => {
    const m = tlsMachine('require');
    m.receiveData(Uint8Array.of(0x4e));
    expect(failedOf(drain(m)).error).toMatchObject({ code: 'ERR_TLS_REFUSED' });
    expect(m.dataToSend()).toBeNull();
  });

  it("goes on in cleartext on 'N' when TLS is only preferred", () => {
    const m = tlsMachine('prefer');
    m.receiveData(Uint8Array.of(0x4e));
    expect(m.state).toBe('authenticating');
    expect(m.tls).toBe(false);
    expect(sent(m)).toMatch(/^[0-9a-f]{8}00030000/);
  });

  it("treats bytes after 'S' as a ProtocolViolation (no unencrypted injection)", () => {
    const m = tlsMachine('require');
    m.receiveData(Uint8Array.of(0x53, 0x45));
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
    expect(m.state).toBe('closed');
  });

  it('treats any other answer as a ProtocolViolation', () => {
    const m = tlsMachine('prefer');
    m.receiveData(Uint8Array.of(0x45));
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
  });

  it('refuses tlsEstablished() when no TLS handshake was asked for', () => {
    expect(() => readyMachine().tlsEstablished()).toThrow(InterfaceError);
  });
});

const row = (...cells: string[]) => ({ type: 'DataRow' as const, fields: cells.map((c) => new TextEncoder().encode(c)) });
const extendedBatch = (sql: string): FrontendMessage[] => [
  { type: 'Parse', name: '', sql, paramTypes: [] },
  { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
  { type: 'Execute', portal: '', maxRows: 0 },
  { type: 'Sync' },
];

describe('queries', () => {
  it('stays busy after a batch that ends in Flush, accepts its replies, and is ready after the later Sync', () => {
    const m = readyMachine();
    m.send({ type: 'batch', messages: [{ type: 'Parse', name: 's1', sql: 'SELECT 1', paramTypes: [] }, { type: 'Flush' }] });
    expect(m.state).toBe('busy');
    expect(m.pendingOperations).toBe(0);
    m.receiveData(be({ type: 'ParseComplete' }));
    expect(drainTypes(m)).toEqual(['ParseComplete']);
    expect(m.state).toBe('busy');
    m.send({ type: 'batch', messages: [{ type: 'Sync' }] });
    m.receiveData(be({ type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['ReadyForQuery']);
    expect(m.state).toBe('ready');
  });

  it('runs a simple query: busy until its ReadyForQuery, then ready', () => {
    const m = readyMachine();
    m.send({ type: 'simpleQuery', sql: 'SELECT 1' });
    expect(m.state).toBe('busy');
    expect(m.pendingOperations).toBe(1);
    expect(sent(m)).toBe(toHex(new Uint8Array([0x51, 0, 0, 0, 13, ...new TextEncoder().encode('SELECT 1'), 0])));
    m.receiveData(be({ type: 'RowDescription', fields: [] }, row('1'), { type: 'CommandComplete', tag: 'SELECT 1' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
    expect(m.pendingOperations).toBe(0);
  });

  it('keeps several Sync batches in flight and matches each ReadyForQuery in order, however the bytes are split', () => {
    const replies = be(
      { type: 'ParseComplete' }, { type: 'BindComplete' }, row('a'), { type: 'CommandComplete', tag: 'SELECT 1' }, { type: 'ReadyForQuery', status: 'I' },
      { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '22012', M: 'division by zero' } }, { type: 'ReadyForQuery', status: 'I' },
      { type: 'ParseComplete' }, { type: 'BindComplete' }, row('c'), { type: 'CommandComplete', tag: 'SELECT 1' }, { type: 'ReadyForQuery', status: 'T' },
      { type: 'CommandComplete', tag: 'BEGIN' }, { type: 'ReadyForQuery', status: 'T' },
    );
    for (const chunk of [replies.length, 1, 7]) {
      const m = readyMachine();
      m.send({ type: 'batch', messages: extendedBatch("SELECT 'a'") });
      m.send({ type: 'batch', messages: extendedBatch('SELECT 1/0') });
      m.send({ type: 'batch', messages: extendedBatch("SELECT 'c'") });
      m.send({ type: 'simpleQuery', sql: 'BEGIN' });
      expect(m.pendingOperations).toBe(4);
      const one = m.dataToSend();
      expect(m.dataToSend()).toBeNull(); // coalesced into one write
      expect(one!.length).toBeGreaterThan(0);
      const seen: string[] = [];
      for (let i = 0; i < replies.length; i += chunk) {
        m.receiveData(replies.subarray(i, i + chunk));
        for (const e of drain(m)) {
          if (e.type === 'DataRow') seen.push(new TextDecoder().decode(e.fields[0]!));
          else if (e.type === 'ErrorResponse') seen.push(e.fields.C);
          else if (e.type === 'CommandComplete' && e.tag === 'BEGIN') seen.push('BEGIN');
          else if (e.type === 'ReadyForQuery') seen.push(`Z${e.status}${m.pendingOperations}`);
        }
      }
      const whole = chunk === replies.length; // all drained at once: pendingOperations already 0 at every event
      const pending = (n: number): number => (whole ? 0 : n);
      expect(seen).toEqual(['a', `ZI${pending(3)}`, '22012', `ZI${pending(2)}`, 'c', `ZT${pending(1)}`, 'BEGIN', 'ZT0']);
      expect(m.state).toBe('ready');
      expect(m.transactionStatus).toBe('T');
    }
  });

  it('fails with ProtocolViolation on a ReadyForQuery with no operation in flight', () => {
    const m = readyMachine();
    m.receiveData(be({ type: 'ReadyForQuery', status: 'I' }));
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
    expect(m.state).toBe('closed');
  });
});

describe('COPY', () => {
  it('accepts copyData/copyDone only while the server waits for data, and owes a Sync after an extended COPY', () => {
    const m = readyMachine();
    expect(() => m.send({ type: 'copyData', data: Uint8Array.of(1) })).toThrow(InterfaceError);
    m.send({ type: 'batch', messages: extendedBatch('COPY t FROM STDIN') });
    m.dataToSend();
    m.receiveData(be({ type: 'ParseComplete' }, { type: 'BindComplete' }, { type: 'CopyInResponse', format: 0, columnFormats: [0] }));
    expect(drainTypes(m)).toEqual(['ParseComplete', 'BindComplete', 'CopyInResponse']);
    expect(m.state).toBe('copyIn');
    expect(m.poll()).toBe('ok');
    expect(() => m.send({ type: 'simpleQuery', sql: 'SELECT 1' })).toThrow(InterfaceError);
    m.send({ type: 'copyData', data: new TextEncoder().encode('1\n') });
    m.send({ type: 'copyDone' });
    expect(sent(m)).toBe('6400000006310a' + '6300000004' + '5300000004');
    expect(m.state).toBe('busy');
    m.receiveData(be({ type: 'CommandComplete', tag: 'COPY 1' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
  });

  it('sends CopyFail without a Sync after a simple-protocol COPY, and the error ends the copy', () => {
    const m = readyMachine();
    m.send({ type: 'simpleQuery', sql: 'COPY t FROM STDIN' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyInResponse', format: 0, columnFormats: [0] }));
    expect(drainTypes(m)).toEqual(['CopyInResponse']);
    m.send({ type: 'copyFail', message: 'no' });
    expect(sent(m)).toBe('66000000076e6f00');
    m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '57014', M: 'COPY from stdin failed: no' } }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['ErrorResponse', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
  });

  it('streams COPY TO STDOUT data as events and refuses copyData from the client meanwhile', () => {
    const m = readyMachine();
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyOutResponse', format: 0, columnFormats: [0] }, { type: 'CopyData', data: Uint8Array.of(0x31, 0x0a) }));
    expect(m.state).toBe('copyOut');
    expect(() => m.send({ type: 'copyData', data: Uint8Array.of(1) })).toThrow(InterfaceError);
    expect(() => m.send({ type: 'copyDone' })).toThrow(InterfaceError);
    m.receiveData(be({ type: 'CopyData', data: Uint8Array.of(0x32, 0x0a) }, { type: 'CopyDone' }, { type: 'CommandComplete', tag: 'COPY 2' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['CopyOutResponse', 'CopyData', 'CopyData', 'CopyDone', 'CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
  });
});

describe('COPY TO data through a sink (setCopyDataSink)', () => {
  const text = (b: Uint8Array, s: number, e: number): string => new TextDecoder().decode(b.subarray(s, e));

  it('hands CopyData to the sink instead of events once no event waits, in the server\'s order, and not after the COPY', () => {
    const m = readyMachine();
    const seen: string[] = [];
    m.setCopyDataSink((b, s, e) => seen.push(`sink ${text(b, s, e)}`));
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.dataToSend();
    // CopyOutResponse is an event still waiting: the CopyData behind it stays an event too (order)
    m.receiveData(be({ type: 'CopyOutResponse', format: 0, columnFormats: [0] }, { type: 'CopyData', data: Uint8Array.of(0x31) }));
    expect(seen).toEqual([]);
    expect(drainTypes(m)).toEqual(['CopyOutResponse', 'CopyData']);
    m.receiveData(be(
      { type: 'CopyData', data: Uint8Array.of(0x32) }, { type: 'CopyData', data: Uint8Array.of(0x33) },
      { type: 'NoticeResponse', fields: { S: 'WARNING', M: 'in copy' } },
      { type: 'CopyData', data: Uint8Array.of(0x34) },
      { type: 'CopyDone' }, { type: 'CommandComplete', tag: 'COPY 4' }, { type: 'ReadyForQuery', status: 'I' },
    ));
    expect(seen).toEqual(['sink 2', 'sink 3']);
    expect(drainTypes(m)).toEqual(['NoticeResponse', 'CopyData', 'CopyDone', 'CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
  });

  it('hands a CopyData split across reads to the sink once it is whole, and fails on a bad length as without a sink', () => {
    const m = readyMachine();
    const seen: string[] = [];
    m.setCopyDataSink((b, s, e) => seen.push(text(b, s, e)));
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyOutResponse', format: 0, columnFormats: [0] }));
    drain(m);
    const msg = be({ type: 'CopyData', data: new TextEncoder().encode('hello') });
    m.receiveData(msg.subarray(0, 3));
    m.receiveData(msg.subarray(3, 8));
    expect(seen).toEqual([]);
    m.receiveData(msg.subarray(8));
    expect(seen).toEqual(['hello']);
    expect(drain(m)).toEqual([]);
    m.receiveData(Uint8Array.of(0x64, 0, 0, 0, 2)); // length below 4
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
    expect(m.state).toBe('closed');
  });

  it('leaves CopyData as events when no sink is set (null turns it off)', () => {
    const m = readyMachine();
    const seen: number[] = [];
    m.setCopyDataSink(() => seen.push(1));
    m.setCopyDataSink(null);
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyOutResponse', format: 0, columnFormats: [0] }));
    drain(m);
    m.receiveData(be({ type: 'CopyData', data: Uint8Array.of(0x31) }));
    expect(drainTypes(m)).toEqual(['CopyData']);
    expect(seen).toEqual([]);
  });
});

describe('asynchronous messages', () => {
  it('passes notices, parameter changes and notifications through at any time, tracking parameters', () => {
    const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto });
    m.start();
    m.dataToSend();
    m.receiveData(be({ type: 'NoticeResponse', fields: { S: 'NOTICE', M: 'during auth' } }, ...STARTUP_REPLY));
    expect(drainTypes(m)).toEqual(['NoticeResponse', 'ParameterStatus', 'ParameterStatus', 'StartupComplete']);
    m.receiveData(be({ type: 'NotificationResponse', processId: 7, channel: 'c', payload: 'idle' }));
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.receiveData(be(
      { type: 'ParameterStatus', name: 'TimeZone', value: 'Asia/Tokyo' },
      { type: 'CopyOutResponse', format: 0, columnFormats: [] },
      { type: 'NotificationResponse', processId: 7, channel: 'c', payload: 'in copy' },
      { type: 'NoticeResponse', fields: { S: 'WARNING', M: 'in copy' } },
      { type: 'CopyDone' }, { type: 'CommandComplete', tag: 'COPY 0' }, { type: 'ReadyForQuery', status: 'I' },
    ));
    expect(drainTypes(m)).toEqual(['NotificationResponse', 'ParameterStatus', 'CopyOutResponse', 'NotificationResponse', 'NoticeResponse', 'CopyDone', 'CommandComplete', 'ReadyForQuery']);
    expect(m.parameters.get('TimeZone')).toBe('Asia/Tokyo');
    expect(m.parameters.get('server_version')).toBe('15.18');
  });

  it('refuses a NotificationResponse before the session is up as a ProtocolViolation', () => {
    const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto });
    m.start();
    m.receiveData(be({ type: 'NotificationResponse', processId: 1, channel: 'c', payload: '' }));
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
  });
});

describe('cancellation key', () => {
  it('keeps BackendKeyData and encodes the CancelRequest from it', () => {
    const m = readyMachine();
    expect(m.backendKey).toEqual({ processId: 4242, secretKey: Uint8Array.of(1, 2, 3, 4) });
    expect(toHex(m.cancelRequest())).toBe('00000010' + '04d2162e' + '00001092' + '01020304');
  });

  it('refuses cancelRequest() with InterfaceError before BackendKeyData', () => {
    const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto });
    expect(() => m.cancelRequest()).toThrow(InterfaceError);
  });
});

describe('the end of the session', () => {
  it('fails with ConnectionLost when the stream ends while an operation is in flight', () => {
    const m = readyMachine();
    m.send({ type: 'simpleQuery', sql: 'SELECT pg_sleep(1)' });
    m.receiveEof();
    expect(failedOf(drain(m)).error).toBeInstanceOf(ConnectionLost);
    expect(m.state).toBe('closed');
    expect(m.poll()).toBe('ok');
    expect(() => m.send({ type: 'simpleQuery', sql: 'SELECT 1' })).toThrow(ConnectionClosed);
  });

  it('fails with the DatabaseError of a FATAL message followed by the end of stream', () => {
    const m = readyMachine();
    m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' } }));
    expect(drainTypes(m)).toEqual(['ErrorResponse']);
    m.receiveEof();
    const error = failedOf(drain(m)).error as DatabaseError;
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.code).toBe('57P01');
  });

  it('closes with a ProtocolViolation on a message illegal in the state, and ignores everything after', () => {
    const m = readyMachine();
    m.receiveData(be(row('x'), { type: 'NoticeResponse', fields: { M: 'later' } }));
    const events = drain(m);
    expect(events).toHaveLength(1);
    expect(failedOf(events).error).toBeInstanceOf(ProtocolViolation);
    expect(m.state).toBe('closed');
    m.receiveData(be({ type: 'ReadyForQuery', status: 'I' }));
    m.receiveEof();
    expect(drain(m)).toEqual([]);
  });

  it('turns malformed bytes into a Failed event instead of throwing', () => {
    const m = readyMachine();
    expect(() => m.receiveData(Uint8Array.of(0x5a, 0, 0, 0, 2))).not.toThrow();
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
  });

  it('ends cleanly (Failed with null) when the server closes after Terminate', () => {
    const m = readyMachine();
    m.send({ type: 'terminate' });
    expect(sent(m)).toBe('5800000004');
    expect(m.state).toBe('terminating');
    m.receiveEof();
    expect(drain(m)).toEqual([{ type: 'Failed', error: null }]);
  });
});

describe('commands illegal in the current state', () => {
  it.each([
    ['a query before start()', (m: ProtocolMachine) => m, { type: 'simpleQuery', sql: 'SELECT 1' }],
    ['a query while authenticating', (m: ProtocolMachine) => { m.start(); m.dataToSend(); return m; }, { type: 'simpleQuery', sql: 'SELECT 1' }],
    ['copyDone while ready', () => readyMachine(), { type: 'copyDone' }],
    ['copyFail while ready', () => readyMachine(), { type: 'copyFail', message: 'x' }],
    ['a Query message inside a batch', () => readyMachine(), { type: 'batch', messages: [{ type: 'Sync' }, { type: 'Query', sql: 'SELECT 1' }] }],
    ['a StartupMessage inside a batch', () => readyMachine(), { type: 'batch', messages: [{ type: 'StartupMessage', parameters: {} }] }],
  ] as const)('refuses %s with InterfaceError before any byte is queued', (_name, setup, command) => {
    const m = setup(new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto }));
    const state = m.state;
    const pending = m.pendingOperations;
    expect(() => m.send(command as never)).toThrow(InterfaceError);
    expect(m.dataToSend()).toBeNull();
    expect(m.state).toBe(state);
    expect(m.pendingOperations).toBe(pending);
  });
});

describe('SCRAM-SHA-256 against a computed server (RFC 5802 / 7677)', () => {
  const c = nodeAuthCrypto;
  const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((x, i) => x ^ b[i]);
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 7);

  /** Runs the exchange up to the client's final message; returns the machine and the server's view. */
  function exchange(password: string) {
    const m = new ProtocolMachine({ user: 'scramuser', password, crypto: c, scramNonce: 'fixed-client-nonce' });
    m.start();
    const dec = new FrontendDecoder();
    dec.feed(m.dataToSend()!);
    expect(dec.next()).toMatchObject({ type: 'StartupMessage', parameters: { user: 'scramuser' } });
    m.receiveData(be({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] }));
    dec.expect = 'sasl-initial';
    dec.feed(m.dataToSend()!);
    const initial = dec.next() as Extract<FrontendMessage, { type: 'SASLInitialResponse' }>;
    expect(initial.mechanism).toBe('SCRAM-SHA-256'); // no TLS: no channel binding
    const clientFirst = new TextDecoder().decode(initial.data);
    expect(clientFirst).toMatch(/^n,,n=[^,]*,r=fixed-client-nonce$/);
    const clientFirstBare = clientFirst.slice(3);
    const serverFirst = `r=fixed-client-nonce-server-part,s=${b64(salt)},i=4096`;
    m.receiveData(be({ type: 'AuthenticationSASLContinue', data: enc(serverFirst) }));
    dec.expect = 'sasl';
    dec.feed(m.dataToSend()!);
    const clientFinal = new TextDecoder().decode((dec.next() as Extract<FrontendMessage, { type: 'SASLResponse' }>).data);
    const withoutProof = clientFinal.slice(0, clientFinal.indexOf(',p='));
    expect(withoutProof).toBe('c=biws,r=fixed-client-nonce-server-part');
    const authMessage = enc(`${clientFirstBare},${serverFirst},${withoutProof}`);
    const salted = c.pbkdf2Sha256(enc('pencil'), salt, 4096);
    const clientKey = c.hmacSha256(salted, enc('Client Key'));
    const expectedProof = xor(clientKey, c.hmacSha256(c.sha256(clientKey), authMessage));
    const serverSignature = c.hmacSha256(c.hmacSha256(salted, enc('Server Key')), authMessage);
    return { m, proofOk: clientFinal.endsWith(`,p=${b64(expectedProof)}`), serverSignature };
  }

  it('sends the proof the server expects and accepts the server signature', () => {
    const { m, proofOk, serverSignature } = exchange('pencil');
    expect(proofOk).toBe(true);
    m.receiveData(be({ type: 'AuthenticationSASLFinal', data: enc(`v=${b64(serverSignature)}`) }, ...STARTUP_REPLY));
    expect(drainTypes(m)).toEqual(['ParameterStatus', 'ParameterStatus', 'StartupComplete']);
    expect(m.state).toBe('ready');
  });

  it('sends a wrong proof for a wrong password', () => {
    expect(exchange('not pencil').proofOk).toBe(false);
  });

  it('fails, sending nothing more, when the server signature does not verify', () => {
    const { m, serverSignature } = exchange('pencil');
    m.receiveData(be({ type: 'AuthenticationSASLFinal', data: enc(`v=${b64(serverSignature.map((x) => x ^ 1))}`) }));
    expect(failedOf(drain(m)).error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect(m.dataToSend()).toBeNull();
    expect(m.state).toBe('closed');
  });
});
