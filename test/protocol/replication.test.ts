import { InterfaceError, ProtocolViolation } from '../../src/errors/base';
import { encodeBackend } from '../../src/protocol/backend-encode';
import { BackendDecoder } from '../../src/protocol/decode';
import {
  decodeReplicationBackend, decodeReplicationFrontend, encodeReplication, msFromPgTime, pgTimeFromMs, POSTGRES_EPOCH_MS,
} from '../../src/protocol/replication';
import { fromHex, toHex } from '../../src/util/bytes';

const LSN = (0x16n << 32n) | 0xb374d848n;

describe('replication copy-both payloads', () => {
  test('XLogData: golden bytes, both ways; data is a view of the payload', () => {
    const hex = '77' + '00000016b374d848' + '00000016b374d900' + '0002b3c1a1b2c3d4' + '616263';
    const msg = decodeReplicationBackend(fromHex(hex));
    expect(msg).toEqual({ type: 'XLogData', dataStart: LSN, walEnd: LSN + 0xb8n, sendTime: 0x0002b3c1a1b2c3d4n, data: Uint8Array.of(0x61, 0x62, 0x63) });
    expect(toHex(encodeReplication(msg))).toBe(hex);
  });

  test('XLogData with empty data is legal', () => {
    const bytes = encodeReplication({ type: 'XLogData', dataStart: 1n, walEnd: 2n, sendTime: -5n, data: new Uint8Array(0) });
    expect(bytes.length).toBe(25);
    expect(decodeReplicationBackend(bytes)).toMatchObject({ sendTime: -5n, data: new Uint8Array(0) });
  });

  test('primary keepalive: golden bytes, both ways', () => {
    const hex = '6b' + '00000016b374d848' + '0000000000000064' + '01';
    const msg = decodeReplicationBackend(fromHex(hex));
    expect(msg).toEqual({ type: 'PrimaryKeepalive', walEnd: LSN, sendTime: 100n, replyRequested: true });
    expect(toHex(encodeReplication(msg))).toBe(hex);
  });

  test('standby status update: golden bytes, both ways', () => {
    const hex = '72' + '0000000000000003' + '0000000000000002' + '0000000000000001' + 'fffffffffffffffe' + '00';
    const msg = decodeReplicationFrontend(fromHex(hex));
    expect(msg).toEqual({ type: 'StandbyStatusUpdate', writeLsn: 3n, flushLsn: 2n, applyLsn: 1n, sendTime: -2n, replyRequested: false });
    expect(toHex(encodeReplication(msg))).toBe(hex);
  });

  test('hot standby feedback: golden bytes, both ways', () => {
    const hex = '68' + '0000000000000010' + '000003e8' + '00000001' + 'ffffffff' + '00000000';
    const msg = decodeReplicationFrontend(fromHex(hex));
    expect(msg).toEqual({ type: 'HotStandbyFeedback', sendTime: 16n, xmin: 1000, xminEpoch: 1, catalogXmin: 0xffffffff, catalogXminEpoch: 0 });
    expect(toHex(encodeReplication(msg))).toBe(hex);
  });

  test.each([
    ['', /empty CopyData/],
    ['7a00', /unknown replication message 0x7a/],
    ['77' + '00'.repeat(23), /malformed XLogData/],
    ['6b' + '00'.repeat(16), /malformed primary keepalive/],
    ['6b' + '00'.repeat(18), /malformed primary keepalive/],
    ['6b' + '00'.repeat(16) + '02', /invalid reply-requested flag/],
  ])('refuses the server payload %j with ProtocolViolation', (hex, message) => {
    expect(() => decodeReplicationBackend(fromHex(hex))).toThrow(ProtocolViolation);
    expect(() => decodeReplicationBackend(fromHex(hex))).toThrow(message);
  });

  test('a client payload in the server direction (and the other way) is refused', () => {
    const status = encodeReplication({ type: 'StandbyStatusUpdate', writeLsn: 0n, flushLsn: 0n, applyLsn: 0n, sendTime: 0n, replyRequested: false });
    expect(() => decodeReplicationBackend(status)).toThrow(ProtocolViolation);
    expect(() => decodeReplicationFrontend(encodeReplication({ type: 'PrimaryKeepalive', walEnd: 0n, sendTime: 0n, replyRequested: false }))).toThrow(ProtocolViolation);
  });

  test.each([
    [{ type: 'StandbyStatusUpdate', writeLsn: -1n, flushLsn: 0n, applyLsn: 0n, sendTime: 0n, replyRequested: false }],
    [{ type: 'StandbyStatusUpdate', writeLsn: 1n << 64n, flushLsn: 0n, applyLsn: 0n, sendTime: 0n, replyRequested: false }],
    [{ type: 'StandbyStatusUpdate', writeLsn: 0n, flushLsn: 5 as unknown as bigint, applyLsn: 0n, sendTime: 0n, replyRequested: false }],
    [{ type: 'StandbyStatusUpdate', writeLsn: 0n, flushLsn: 0n, applyLsn: 0n, sendTime: 1n << 63n, replyRequested: false }],
    [{ type: 'HotStandbyFeedback', sendTime: 0n, xmin: -1, xminEpoch: 0, catalogXmin: 0, catalogXminEpoch: 0 }],
  ])('refuses to encode out-of-range values: %p', (msg) => {
    expect(() => encodeReplication(msg as never)).toThrow(InterfaceError);
  });

  test('the backend encoder wraps XLogData and keepalives in CopyData; the decoder yields the CopyData', () => {
    const xlog = { type: 'XLogData' as const, dataStart: 7n, walEnd: 9n, sendTime: 1n, data: Uint8Array.of(1, 2) };
    const wire = encodeBackend(xlog);
    expect(wire[0]).toBe(0x64);
    const d = new BackendDecoder();
    d.feed(wire);
    const copy = d.next();
    expect(copy?.type).toBe('CopyData');
    expect(decodeReplicationBackend((copy as { data: Uint8Array }).data)).toEqual(xlog);
  });

  test('time: PostgreSQL microseconds since 2000 <-> Unix milliseconds', () => {
    expect(pgTimeFromMs(POSTGRES_EPOCH_MS)).toBe(0n);
    expect(pgTimeFromMs(POSTGRES_EPOCH_MS + 1.5)).toBe(1500n);
    expect(msFromPgTime(1500n)).toBe(POSTGRES_EPOCH_MS + 1.5);
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(msFromPgTime(pgTimeFromMs(now))).toBe(now);
  });
});
