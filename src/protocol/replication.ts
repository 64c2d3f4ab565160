/**
 * The streaming replication sub-protocol: the payloads of CopyData in
 * copy-both mode.
 *
 * After `START_REPLICATION` the server answers CopyBothResponse and both
 * sides exchange CopyData messages whose first byte names a sub-message
 * (protocol docs, "Streaming Replication Protocol"):
 *
 * | dir | byte | message                | body                                                        |
 * |-----|------|------------------------|-------------------------------------------------------------|
 * | B   | 'w'  | XLogData               | Int64 dataStart, Int64 walEnd, Int64 sendTime, Byte* data   |
 * | B   | 'k'  | Primary keepalive      | Int64 walEnd, Int64 sendTime, Byte1 replyRequested          |
 * | F   | 'r'  | Standby status update  | Int64 write, Int64 flush, Int64 apply, Int64 sendTime, Byte1 reply |
 * | F   | 'h'  | Hot standby feedback   | Int64 sendTime, Int32 xmin, Int32 epoch, Int32 catalogXmin, Int32 catalogEpoch |
 *
 * LSNs are unsigned 64-bit (`bigint`); times are signed microseconds since
 * the PostgreSQL epoch, 2000-01-01 00:00 UTC (`bigint`;
 * {@link pgTimeFromMs} and {@link msFromPgTime} convert from and to
 * milliseconds since the Unix epoch). The codec is pure and symmetric: the
 * fake backend encodes what the client decodes and the other way round.
 * Decoding checks the exact length and the first byte and throws
 * `ProtocolViolation` otherwise; XLogData's `data` is a view of the
 * payload it was decoded from (valid as long as that buffer).
 */
import { InterfaceError, ProtocolViolation } from '../errors/base';

/** XLogData ('w'): WAL data (physical) or one logical decoding output message (logical). */
export interface XLogData {
  type: 'XLogData';
  /** The WAL position of the start of `data`. */
  dataStart: bigint;
  /** The server's current end of WAL. */
  walEnd: bigint;
  /** The server's clock when sending: microseconds since 2000-01-01 UTC. */
  sendTime: bigint;
  /** The payload: WAL bytes, or the output plugin's message. A view. */
  data: Uint8Array;
}

/** Primary keepalive ('k'): the server's end of WAL; `replyRequested` asks for a status update at once. */
export interface PrimaryKeepalive {
  type: 'PrimaryKeepalive';
  walEnd: bigint;
  sendTime: bigint;
  replyRequested: boolean;
}

/**
 * Standby status update ('r'): the positions the client has written,
 * flushed (made durable: the server may discard WAL and advance the
 * slot's `confirmed_flush_lsn` up to it) and applied. 0 means unknown.
 */
export interface StandbyStatusUpdate {
  type: 'StandbyStatusUpdate';
  writeLsn: bigint;
  flushLsn: bigint;
  applyLsn: bigint;
  sendTime: bigint;
  /** Asks the server to answer at once with a keepalive. */
  replyRequested: boolean;
}

/** Hot standby feedback ('h'): a physical standby's xmin, so the primary keeps the rows its queries need. 0 = none. */
export interface HotStandbyFeedback {
  type: 'HotStandbyFeedback';
  sendTime: bigint;
  xmin: number;
  xminEpoch: number;
  catalogXmin: number;
  catalogXminEpoch: number;
}

/** What the server sends in copy-both mode. */
export type ReplicationBackendMessage = XLogData | PrimaryKeepalive;
/** What the client sends in copy-both mode. */
export type ReplicationFrontendMessage = StandbyStatusUpdate | HotStandbyFeedback;

/** The PostgreSQL epoch (2000-01-01 00:00 UTC) in Unix milliseconds. */
export const POSTGRES_EPOCH_MS = 946_684_800_000;

/** Unix milliseconds -> PostgreSQL time (microseconds since 2000-01-01 UTC). */
export function pgTimeFromMs(ms: number): bigint {
  return BigInt(Math.round((ms - POSTGRES_EPOCH_MS) * 1000));
}

/** PostgreSQL time (microseconds since 2000-01-01 UTC) -> Unix milliseconds (fractions kept). */
export function msFromPgTime(pgTime: bigint): number {
  return Number(pgTime) / 1000 + POSTGRES_EPOCH_MS;
}

const W = 0x77; // 'w'
const K = 0x6b; // 'k'
const R = 0x72; // 'r'
const H = 0x68; // 'h'

/**
 * Decodes the payload of a backend CopyData in copy-both mode. Throws `ProtocolViolation` for anything malformed.
 * The payloads of one read share a buffer, so the DataView over it is kept
 * and reused until a payload of another buffer comes (one per read, not one per message).
 */
export function decodeReplicationBackend(payload: Uint8Array): ReplicationBackendMessage {
  const view = sharedViewOf(payload);
  const at = payload.byteOffset;
  switch (payload[0]) {
    case W:
      need(payload, 25, 'XLogData', true);
      return {
        type: 'XLogData',
        dataStart: view.getBigUint64(at + 1),
        walEnd: view.getBigUint64(at + 9),
        sendTime: view.getBigInt64(at + 17),
        data: payload.subarray(25),
      };
    case K:
      need(payload, 18, 'primary keepalive');
      return { type: 'PrimaryKeepalive', walEnd: view.getBigUint64(at + 1), sendTime: view.getBigInt64(at + 9), replyRequested: flag(payload[17]) };
    default:
      throw unknown(payload, 'server');
  }
}

let sharedBuffer: ArrayBufferLike | null = null;
let sharedView: DataView | null = null;

/** A DataView over the whole buffer of `b` (offsets are `b.byteOffset`-based), reused while the buffer is the same. */
function sharedViewOf(b: Uint8Array): DataView {
  if (sharedBuffer !== b.buffer || sharedView === null) {
    sharedBuffer = b.buffer;
    sharedView = new DataView(b.buffer);
  }
  return sharedView;
}

/** Decodes the payload of a frontend CopyData in copy-both mode (for fake servers and tests). */
export function decodeReplicationFrontend(payload: Uint8Array): ReplicationFrontendMessage {
  const view = viewOf(payload);
  switch (payload[0]) {
    case R:
      need(payload, 34, 'standby status update');
      return {
        type: 'StandbyStatusUpdate',
        writeLsn: view.getBigUint64(1),
        flushLsn: view.getBigUint64(9),
        applyLsn: view.getBigUint64(17),
        sendTime: view.getBigInt64(25),
        replyRequested: flag(payload[33]),
      };
    case H:
      need(payload, 25, 'hot standby feedback');
      return {
        type: 'HotStandbyFeedback',
        sendTime: view.getBigInt64(1),
        xmin: view.getUint32(9),
        xminEpoch: view.getUint32(13),
        catalogXmin: view.getUint32(17),
        catalogXminEpoch: view.getUint32(21),
      };
    default:
      throw unknown(payload, 'client');
  }
}

/** Encodes a copy-both payload (either direction). Throws `InterfaceError` (`ERR_INVALID_ARGUMENT`) for an LSN, time or xid out of range. */
export function encodeReplication(msg: ReplicationBackendMessage | ReplicationFrontendMessage): Uint8Array {
  switch (msg.type) {
    case 'XLogData': {
      const out = new Uint8Array(25 + msg.data.length);
      const v = viewOf(out);
      out[0] = W;
      setU64(v, 1, msg.dataStart);
      setU64(v, 9, msg.walEnd);
      setI64(v, 17, msg.sendTime);
      out.set(msg.data, 25);
      return out;
    }
    case 'PrimaryKeepalive': {
      const out = new Uint8Array(18);
      const v = viewOf(out);
      out[0] = K;
      setU64(v, 1, msg.walEnd);
      setI64(v, 9, msg.sendTime);
      out[17] = msg.replyRequested ? 1 : 0;
      return out;
    }
    case 'StandbyStatusUpdate': {
      const out = new Uint8Array(34);
      const v = viewOf(out);
      out[0] = R;
      setU64(v, 1, msg.writeLsn);
      setU64(v, 9, msg.flushLsn);
      setU64(v, 17, msg.applyLsn);
      setI64(v, 25, msg.sendTime);
      out[33] = msg.replyRequested ? 1 : 0;
      return out;
    }
    case 'HotStandbyFeedback': {
      const out = new Uint8Array(25);
      const v = viewOf(out);
      out[0] = H;
      setI64(v, 1, msg.sendTime);
      [msg.xmin, msg.xminEpoch, msg.catalogXmin, msg.catalogXminEpoch].forEach((n, i) => setU32(v, 9 + 4 * i, n));
      return out;
    }
    default:
      throw new InterfaceError(`cannot encode unknown replication message ${JSON.stringify((msg as { type?: unknown }).type)}`, { code: 'ERR_INVALID_ARGUMENT' });
  }
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function need(payload: Uint8Array, length: number, what: string, atLeast = false): void {
  if (atLeast ? payload.length >= length : payload.length === length) return;
  throw new ProtocolViolation(`malformed ${what}: ${payload.length} bytes, expected ${atLeast ? 'at least ' : ''}${length}`);
}

function flag(byte: number): boolean {
  if (byte === 0 || byte === 1) return byte === 1;
  throw new ProtocolViolation(`invalid reply-requested flag ${byte}`);
}

function unknown(payload: Uint8Array, side: string): ProtocolViolation {
  if (payload.length === 0) return new ProtocolViolation(`empty CopyData from the ${side} in copy-both mode`);
  return new ProtocolViolation(`unknown replication message 0x${payload[0].toString(16)} from the ${side}`);
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function setU64(v: DataView, at: number, n: bigint): void {
  if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) throw range('an LSN (a bigint from 0 to 2^64-1)', n);
  v.setBigUint64(at, n);
}

function setI64(v: DataView, at: number, n: bigint): void {
  if (typeof n !== 'bigint' || n < I64_MIN || n > I64_MAX) throw range('a time (a signed 64-bit bigint)', n);
  v.setBigInt64(at, n);
}

function setU32(v: DataView, at: number, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw range('a transaction id (an integer from 0 to 2^32-1)', n);
  v.setUint32(at, n);
}

function range(what: string, n: unknown): InterfaceError {
  return new InterfaceError(`expected ${what}, got ${typeof n === 'bigint' ? `${n}n` : String(n)}`, { code: 'ERR_INVALID_ARGUMENT' });
}
