/**
 * Protocol version negotiation in the sans-IO machine, on scripted bytes:
 * 3.2 accepted with a long cancel key, NegotiateProtocolVersion down to 3.0,
 * min_protocol_version refused, cancel key lengths per version, `_pq_.`
 * options, and the fallback a driver makes when a server refuses 3.2 outright.
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import type { FailedEvent, MachineEvent } from '../../src/core/events';
import { ProtocolMachine, type MachineOptions } from '../../src/core/machine';
import { ProtocolVersionUnsupported } from '../../src/core/negotiation';
import { ConnectionLost, InterfaceError, ProtocolViolation } from '../../src/errors/base';
import { DatabaseError } from '../../src/errors/database';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { BackendMessage } from '../../src/protocol/messages';
import { fromHex, toHex } from '../../src/util/bytes';
import { SESSIONS } from '../protocol/vectors';
import { be, drain, drainTypes, sent } from './machine-helpers';

const failedOf = (events: MachineEvent[]): FailedEvent => {
  const f = events.find((e): e is FailedEvent => e.type === 'Failed');
  if (f === undefined) throw new Error(`no Failed event in ${events.map((e) => e.type).join(', ')}`);
  return f;
};

const KEY_32 = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

/** What a server sends after the startup packet (trust), with the given cancel key. */
function startupReply(secretKey: Uint8Array): BackendMessage[] {
  return [
    { type: 'AuthenticationOk' },
    { type: 'ParameterStatus', name: 'server_version', value: '18.1' },
    { type: 'BackendKeyData', processId: 4242, secretKey },
    { type: 'ReadyForQuery', status: 'I' },
  ];
}

const npv = (minorVersion: number, unrecognizedOptions: string[] = []): BackendMessage => ({ type: 'NegotiateProtocolVersion', minorVersion, unrecognizedOptions });

/** A started machine whose StartupMessage was taken; returns it and the protocol version it asked for. */
function started(options: Partial<MachineOptions> = {}): { m: ProtocolMachine; asked: number } {
  const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, ...options });
  m.start();
  const d = new FrontendDecoder();
  d.feed(m.dataToSend()!);
  const startup = d.next();
  if (startup?.type !== 'StartupMessage') throw new Error('no StartupMessage');
  return { m, asked: startup.protocolVersion! };
}

const fatal = (code: string, message: string): BackendMessage => ({ type: 'ErrorResponse', fields: { S: 'FATAL', V: 'FATAL', C: code, M: message } });

describe('asking for a protocol version', () => {
  it('asks for 3.0 by default, as libpq does', () => {
    const { m, asked } = started();
    expect(asked).toBe(196608);
    expect(m.protocolVersion).toBe('3.0');
  });

  it('asks for maxProtocolVersion in the StartupMessage', () => {
    const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, maxProtocolVersion: '3.2' });
    m.start();
    expect(sent(m)).toMatch(/^[0-9a-f]{8}00030002/);
    expect(m.protocolVersion).toBe('3.2');
  });

  it('refuses an unknown version or a minimum above the maximum with InterfaceError', () => {
    const make = (o: Partial<MachineOptions>): ProtocolMachine => new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, ...o });
    expect(() => make({ minProtocolVersion: '3.2', maxProtocolVersion: '3.0' })).toThrow(InterfaceError);
    expect(() => make({ minProtocolVersion: '3.2' })).toThrow(/minProtocolVersion 3.2 is newer than maxProtocolVersion 3.0/);
    expect(() => make({ maxProtocolVersion: '3.1' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(make({ minProtocolVersion: '3.2', maxProtocolVersion: '3.2' }).protocolVersion).toBe('3.2');
  });
});

describe('a server that speaks 3.2 (PostgreSQL 18)', () => {
  it('keeps 3.2 and a 32-byte cancel key, and sends the key back whole in the CancelRequest', () => {
    const { m, asked } = started({ maxProtocolVersion: '3.2' });
    expect(asked).toBe(196610);
    m.receiveData(be(...startupReply(KEY_32)));
    expect(drainTypes(m)).toEqual(['ParameterStatus', 'StartupComplete']);
    expect(m.protocolVersion).toBe('3.2');
    expect(m.backendKey).toEqual({ processId: 4242, secretKey: KEY_32 });
    // length 4 + code 4 + pid 4 + key 32 = 44 = 0x2c
    expect(toHex(m.cancelRequest())).toBe('0000002c' + '04d2162e' + '00001092' + toHex(KEY_32));
  });

  it('accepts keys of 4 and of 256 bytes under 3.2', () => {
    for (const length of [4, 256]) {
      const { m } = started({ maxProtocolVersion: '3.2' });
      m.receiveData(be(...startupReply(new Uint8Array(length).fill(7))));
      expect(drainTypes(m)).toContain('StartupComplete');
      expect(m.backendKey?.secretKey.length).toBe(length);
    }
  });

  it.each([3, 257])('fails with ProtocolViolation on a %i-byte key under 3.2', (length) => {
    const { m } = started({ maxProtocolVersion: '3.2' });
    const reply = startupReply(new Uint8Array(4));
    // the encoder writes any length: build the bad message by hand
    const key = new Uint8Array(length).fill(1);
    m.receiveData(be(...reply.slice(0, 2)));
    m.receiveData(fromHex('4b' + (8 + length).toString(16).padStart(8, '0') + '00001092' + toHex(key)));
    expect(failedOf(drain(m)).error).toBeInstanceOf(ProtocolViolation);
    expect(m.state).toBe('closed');
  });
});

describe('NegotiateProtocolVersion', () => {
  it('lowers 3.2 to the 3.0 a PostgreSQL 14 to 17 server offers, silently, and expects a 4-byte key', () => {
    const { m } = started({ maxProtocolVersion: '3.2' });
    m.receiveData(be(npv(0), ...startupReply(Uint8Array.of(1, 2, 3, 4))));
    expect(drainTypes(m)).toEqual(['ParameterStatus', 'StartupComplete']);
    expect(m.protocolVersion).toBe('3.0');
    expect(m.unrecognizedProtocolOptions).toEqual([]);
    expect(toHex(m.cancelRequest())).toBe('00000010' + '04d2162e' + '00001092' + '01020304');
  });

  it('reads the answer PostgreSQL 15 really sent (captured), recording the _pq_ option it did not recognize', () => {
    const captured = SESSIONS.find((s) => s.name === 'negotiate')!.steps[0];
    const { m } = started({ maxProtocolVersion: '3.2', startupParameters: { database: 'postgres', '_pq_.unknown_option': 'on' } });
    m.receiveData(fromHex(captured.receivedHex));
    expect(drainTypes(m)).toContain('StartupComplete');
    expect(m.protocolVersion).toBe('3.0');
    expect(m.unrecognizedProtocolOptions).toEqual(['_pq_.unknown_option']);
    expect(m.backendKey?.secretKey).toEqual(fromHex('79cea85f'));
  });

  it('keeps the version when only options were unrecognized', () => {
    const { m } = started({ maxProtocolVersion: '3.2', startupParameters: { '_pq_.x': '1' } });
    m.receiveData(be(npv(2, ['_pq_.x']), ...startupReply(KEY_32)));
    expect(drainTypes(m)).toContain('StartupComplete');
    expect(m.protocolVersion).toBe('3.2');
    expect(m.unrecognizedProtocolOptions).toEqual(['_pq_.x']);
  });

  it('refuses a server below min_protocol_version with ERR_PROTOCOL_VERSION_UNSUPPORTED naming both versions', () => {
    const { m } = started({ minProtocolVersion: '3.2', maxProtocolVersion: '3.2' });
    m.receiveData(be(npv(0), ...startupReply(Uint8Array.of(1, 2, 3, 4))));
    const events = drain(m);
    expect(events.map((e) => e.type)).toEqual(['Failed']);
    const error = failedOf(events).error;
    expect(error).toBeInstanceOf(ProtocolVersionUnsupported);
    expect(error).toMatchObject({
      code: 'ERR_PROTOCOL_VERSION_UNSUPPORTED',
      serverVersion: '3.0',
      minVersion: '3.2',
      message: 'the server speaks protocol 3.0 at most, but min_protocol_version is 3.2',
    });
    expect(m.state).toBe('closed');
    expect(m.protocolFallback).toBeUndefined();
  });

  it('fails with ProtocolViolation on a 32-byte key after negotiating 3.0, and on one when 3.0 was asked for', () => {
    const negotiated = started({ maxProtocolVersion: '3.2' }).m;
    negotiated.receiveData(be(npv(0), ...startupReply(KEY_32)));
    expect(failedOf(drain(negotiated)).error).toMatchObject({
      code: 'ERR_PROTOCOL_VIOLATION',
      message: 'BackendKeyData with a 32-byte secret key under protocol 3.0 (exactly 4 bytes allowed)',
    });
    const asked30 = started().m;
    asked30.receiveData(be(...startupReply(new Uint8Array(5))));
    expect(failedOf(drain(asked30)).error).toBeInstanceOf(ProtocolViolation);
  });

  it.each<[string, Partial<MachineOptions>, BackendMessage[], RegExp]>([
    ['offers a version newer than asked', {}, [npv(2)], /offers protocol 3.2, newer than the 3.0 asked for/],
    ['offers 3.1, which does not exist', { maxProtocolVersion: '3.2' }, [npv(1)], /offers protocol 3.1, which does not exist/],
    ['lists an option the client did not send', { maxProtocolVersion: '3.2', startupParameters: { '_pq_.a': '1' } }, [npv(0, ['_pq_.a', '_pq_.b'])], /"_pq_.b", a protocol option the client did not send/],
    ['lists a startup parameter that is no protocol option', { maxProtocolVersion: '3.2', startupParameters: { database: 'd' } }, [npv(0, ['database'])], /"database", a protocol option the client did not send/],
    ['comes twice', { maxProtocolVersion: '3.2' }, [npv(0), npv(0)], /after the server had answered/],
    ['comes after an authentication request', { maxProtocolVersion: '3.2', password: 'pw', allowCleartextPassword: true }, [{ type: 'AuthenticationCleartextPassword' }, npv(0)], /after the server had answered/],
    ['comes after AuthenticationOk', { maxProtocolVersion: '3.2' }, [{ type: 'AuthenticationOk' }, npv(0)], /unexpected NegotiateProtocolVersion/],
  ])('is a ProtocolViolation when it %s', (_what, options, messages, message) => {
    const { m } = started(options);
    m.receiveData(be(...messages));
    const error = failedOf(drain(m)).error;
    expect(error).toBeInstanceOf(ProtocolViolation);
    expect(error?.message).toMatch(message);
    expect(m.state).toBe('closed');
  });
});

describe('the fallback to 3.0 when a server refuses 3.2 outright', () => {
  it.each(['08P01', '0A000'])('offers 3.0 after a first answer of ErrorResponse %s (a pooler or server that predates negotiation)', (code) => {
    const { m } = started({ maxProtocolVersion: '3.2' });
    m.receiveData(be(fatal(code, 'unsupported protocol')));
    const error = failedOf(drain(m)).error;
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code });
    expect(m.protocolFallback).toBe('3.0');
  });

  it('offers 3.0 when the server closes the connection without answering the startup packet', () => {
    const { m } = started({ maxProtocolVersion: '3.2' });
    m.receiveEof();
    expect(failedOf(drain(m)).error).toBeInstanceOf(ConnectionLost);
    expect(m.protocolFallback).toBe('3.0');
  });

  it('offers nothing while the session is going well, nor after a clean startup', () => {
    const { m } = started({ maxProtocolVersion: '3.2' });
    expect(m.protocolFallback).toBeUndefined();
    m.receiveData(be(...startupReply(KEY_32)));
    drain(m);
    m.receiveEof();
    drain(m);
    expect(m.protocolFallback).toBeUndefined();
  });

  const ASK_32: Partial<MachineOptions> = { maxProtocolVersion: '3.2' };
  it.each<[string, Partial<MachineOptions>, (m: ProtocolMachine) => void]>([
    ['3.0 was asked for already (so the retry happens once)', { maxProtocolVersion: '3.0' }, (m) => m.receiveData(be(fatal('08P01', 'unsupported protocol')))],
    ['min_protocol_version is 3.2', { ...ASK_32, minProtocolVersion: '3.2' }, (m) => m.receiveData(be(fatal('08P01', 'unsupported protocol')))],
    ['the error is about something else (too many connections)', ASK_32, (m) => m.receiveData(be(fatal('53300', 'sorry, too many clients already')))],
    ['the error comes after authentication began', { ...ASK_32, password: 'pw' }, (m) => m.receiveData(be({ type: 'AuthenticationMD5Password', salt: Uint8Array.of(1, 2, 3, 4) }, fatal('08P01', 'x')))],
    ['the server negotiated, then closed', ASK_32, (m) => { m.receiveData(be(npv(0))); m.receiveEof(); }],
    ['the server closed after AuthenticationOk', ASK_32, (m) => { m.receiveData(be({ type: 'AuthenticationOk' })); m.receiveEof(); }],
  ])('offers nothing when %s', (_why, options, script) => {
    const { m } = started(options);
    script(m);
    expect(drainTypes(m)).toContain('Failed');
    expect(m.protocolFallback).toBeUndefined();
  });
});
