/**
 * PgoutputDecoder: the bytes of the `pgoutput` logical decoding plugin ->
 * typed messages ({@link PgoutputMessage}).
 *
 * Theory of operation. Each XLogData payload of a pgoutput stream is exactly
 * one message: a tag byte, then fixed fields (big-endian integers,
 * NUL-terminated strings) and, for row changes, TupleData (a column count,
 * then per column 'n' NULL, 'u' unchanged TOAST, 't' text or 'b' binary
 * with an Int32 length). Row messages name their table by oid only, so the
 * decoder keeps a cache of the Relation messages it has seen (the server
 * sends one before the first change to a table in a session, and again
 * when the table's definition changes; a new one replaces the old). Row
 * values are decoded by each column's type oid through the
 * {@link TypeRegistry}: text through `decoder(oid, 0)` (what a query
 * returns), binary through {@link binaryValueDecoder}. The per-column
 * decoders of a relation are built once and rebuilt when the registry
 * changes.
 *
 * The decoder also tracks streamed in-progress transactions (protocol 2+):
 * between Stream Start and Stream Stop, data messages carry the xid of
 * their transaction, and the decoder reads it. Which fields exist depends
 * on the protocol version negotiated in `START_REPLICATION`
 * (`proto_version`), given as `protoVersion`; messages of a later version
 * are refused.
 *
 * Failure: any payload that is cut short, has an unknown tag, names an
 * unknown relation or has bytes left over throws a {@link PgoutputError}
 * (a `ProtocolViolation` with a stable `code`) and changes no state; a value
 * its type cannot parse throws the registry's `TypeParseError`. Nothing
 * else is ever thrown (a fuzz test holds it to that).
 */
import { InterfaceError, PgError, ProtocolViolation } from '../errors/base';
import type { TypeRegistry } from '../types/registry';
import { ByteReader } from '../util/bytes';
import { binaryValueDecoder, type ValueDecoder } from './pgoutput-binary';
import { PgoutputError, type PgoutputErrorReason } from './pgoutput-error';
import {
  UNCHANGED_TOAST,
  type OldKind, type PgoutputMessage, type PgoutputRow, type RelationColumn, type RelationMessage, type ReplicaIdentity,
} from './pgoutput-messages';

/** The pgoutput protocol versions (`proto_version`): 2 adds streaming, 3 two-phase, 4 parallel streaming. */
export type PgoutputProtoVersion = 1 | 2 | 3 | 4;

/** Options of a {@link PgoutputDecoder}; give the same values as the `START_REPLICATION` options. */
export interface PgoutputDecoderOptions {
  /**
   * Whether the stream was started with `binary 'true'`. Informational: a
   * binary ('b') column is decoded whenever the server sends one.
   */
  binary?: boolean;
  /** The `proto_version` the stream was started with (default 1). */
  protoVersion?: PgoutputProtoVersion;
}

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC). */
const PG_EPOCH_MICROS = 946684800000000n;
const FLAG_KEY = 1;
const TRUNCATE_CASCADE = 1;
const TRUNCATE_RESTART_IDENTITY = 2;
const IDENTITIES = new Set(['d', 'n', 'f', 'i']);

/** A cached relation: the message, its column names and its lazily built per-column decoders. */
interface RelationEntry {
  readonly message: RelationMessage;
  readonly names: readonly string[];
  /** Whether any column is flagged as part of the replica identity key. */
  readonly hasKey: boolean;
  /** The registry version the decoders were built for. */
  version: number;
  text: ValueDecoder[] | undefined;
  binary: ValueDecoder[] | undefined;
}

/**
 * Decodes one pgoutput message per call, keeping the relation cache and the
 * streaming state between calls: use one decoder per stream and feed it the
 * payloads in order.
 */
export class PgoutputDecoder {
  /** The protocol version the payloads are read as. */
  readonly protoVersion: PgoutputProtoVersion;
  /** Whether the stream was started in binary mode (informational). */
  readonly binary: boolean;
  private readonly types: TypeRegistry;
  private readonly relations = new Map<number, RelationEntry>();
  private streamXid: number | undefined;
  private readonly reader = new ByteReader(new Uint8Array(0));
  private lsn = 0n;
  private tag = '';

  /**
   * A decoder whose row values are decoded through `types`.
   * @throws InterfaceError (`ERR_INVALID_ARGUMENT`) when `protoVersion` is not 1 to 4.
   */
  constructor(types: TypeRegistry, options: PgoutputDecoderOptions = {}) {
    const version = options.protoVersion ?? 1;
    if (![1, 2, 3, 4].includes(version)) {
      throw new InterfaceError(`pgoutput protoVersion must be 1, 2, 3 or 4, not ${String(version)}`, { code: 'ERR_INVALID_ARGUMENT' });
    }
    this.types = types;
    this.protoVersion = version;
    this.binary = options.binary ?? false;
  }

  /** The xid of the streamed transaction whose block is open (between Stream Start and Stop), else undefined. */
  get streamingXid(): number | undefined {
    return this.streamXid;
  }

  /** The last Relation message seen for `oid`, or undefined. */
  relation(oid: number): RelationMessage | undefined {
    return this.relations.get(oid)?.message;
  }

  /**
   * Forgets every relation and the streaming state: call it when a stream
   * restarts (the server describes each relation again in a new session).
   */
  reset(): void {
    this.relations.clear();
    this.streamXid = undefined;
  }

  /**
   * Decodes the payload of one XLogData message; `lsn` is its `dataStart`
   * and becomes the message's `lsn`. Views into `payload` are not kept:
   * the payload may be reused afterwards.
   * @throws PgoutputError for a truncated, unknown or malformed payload or an unknown relation; TypeParseError for a value its type cannot parse.
   */
  decode(payload: Uint8Array, lsn: bigint): PgoutputMessage {
    const tag = payload.length > 0 ? String.fromCharCode(payload[0]) : '';
    this.reader.reset(payload, 1, payload.length);
    this.lsn = lsn;
    this.tag = tag;
    try {
      if (payload.length === 0) throw this.refuse('truncated', 'empty payload');
      const message = this.message(tag);
      if (this.reader.remaining !== 0) throw this.refuse('malformed', `${this.reader.remaining} bytes left over after a '${tag}' message`);
      return message;
    } catch (e) {
      throw this.failure(e, tag, lsn);
    }
  }

  /** The error refusing the current payload. */
  private refuse(reason: PgoutputErrorReason, message: string, relationOid?: number): PgoutputError {
    return new PgoutputError(reason, message, { lsn: this.lsn, tag: this.tag, relationOid });
  }

  private failure(e: unknown, tag: string, lsn: bigint): unknown {
    if (e instanceof PgoutputError) return e;
    if (e instanceof ProtocolViolation) {
      return new PgoutputError('truncated', `'${tag}' message cut short: ${e.message}`, { lsn, tag, cause: e });
    }
    if (e instanceof PgError) return e;
    return new PgoutputError('malformed', `'${tag}' message could not be decoded: ${e instanceof Error ? e.message : String(e)}`, { lsn, tag, cause: e });
  }

  private message(tag: string): PgoutputMessage {
    switch (tag) {
      case 'B': return this.begin();
      case 'C': return this.commit();
      case 'O': return this.origin();
      case 'R': return this.relationMessage();
      case 'Y': return this.typeMessage();
      case 'I': return this.insert();
      case 'U': return this.update();
      case 'D': return this.delete();
      case 'T': return this.truncate();
      case 'M': return this.logicalMessage();
      case 'S': return this.streamStart();
      case 'E': return this.streamStop();
      case 'c': return this.streamCommit();
      case 'A': return this.streamAbort();
      case 'b': return this.beginPrepare();
      case 'P': return this.prepare();
      case 'K': return this.commitPrepared();
      case 'r': return this.rollbackPrepared();
      case 'p': return this.streamPrepare();
      default: throw this.refuse('unknown-tag', `unknown message tag ${describeTag(tag)}`);
    }
  }

  // --- transaction boundaries ---

  private begin(): PgoutputMessage {
    const r = this.reader;
    const finalLsn = u64(r);
    const time = u64Signed(r);
    return { tag: 'begin', lsn: this.lsn, finalLsn, commitTime: toDate(time), commitTimeMicros: time, xid: r.u32() };
  }

  private commit(): PgoutputMessage {
    const r = this.reader;
    const flags = r.u8();
    const commitLsn = u64(r);
    const endLsn = u64(r);
    const time = u64Signed(r);
    return { tag: 'commit', lsn: this.lsn, flags, commitLsn, endLsn, commitTime: toDate(time), commitTimeMicros: time };
  }

  private origin(): PgoutputMessage {
    const originLsn = u64(this.reader);
    return { tag: 'origin', lsn: this.lsn, originLsn, name: this.reader.cstring() };
  }

  // --- catalog ---

  private relationMessage(): PgoutputMessage {
    const r = this.reader;
    const xid = this.streamedXid();
    const relationOid = r.u32();
    const namespace = r.cstring();
    const name = r.cstring();
    const identity = String.fromCharCode(r.u8());
    if (!IDENTITIES.has(identity)) throw this.refuse('malformed', `unknown replica identity ${describeTag(identity)}`);
    const count = r.i16();
    if (count < 0) throw this.refuse('malformed', `negative column count ${count}`);
    const columns: RelationColumn[] = [];
    for (let i = 0; i < count; i++) {
      const flags = r.u8();
      const columnName = r.cstring();
      columns.push({ name: columnName, typeOid: r.u32(), typeMod: r.i32(), isKey: (flags & FLAG_KEY) !== 0, flags });
    }
    const message: RelationMessage = {
      tag: 'relation', lsn: this.lsn, ...withXid(xid), relationOid, namespace, name,
      replicaIdentity: identity as ReplicaIdentity, columns,
    };
    if (r.remaining === 0) {
      this.relations.set(relationOid, {
        message, names: columns.map((c) => c.name), hasKey: columns.some((c) => c.isKey), version: this.types.version, text: undefined, binary: undefined,
      });
    }
    return message;
  }

  private typeMessage(): PgoutputMessage {
    const r = this.reader;
    const xid = this.streamedXid();
    const typeOid = r.u32();
    const namespace = r.cstring();
    return { tag: 'type', lsn: this.lsn, ...withXid(xid), typeOid, namespace, name: r.cstring() };
  }

  // --- row changes ---

  private insert(): PgoutputMessage {
    const xid = this.streamedXid();
    const entry = this.relationEntry();
    this.expectByte('N', 'an Insert');
    const row = this.tuple(entry, false);
    // a literal per case, not a spread: row changes are the hot path (a spread costs ~150 ns a change, measured)
    return xid === undefined
      ? { tag: 'insert', lsn: this.lsn, relation: entry.message, columns: entry.names, new: row }
      : { tag: 'insert', lsn: this.lsn, xid, relation: entry.message, columns: entry.names, new: row };
  }

  private update(): PgoutputMessage {
    const r = this.reader;
    const xid = this.streamedXid();
    const entry = this.relationEntry();
    let kind = String.fromCharCode(r.u8());
    let old: PgoutputRow | null = null;
    let oldKind: OldKind | null = null;
    if (kind === 'K' || kind === 'O') {
      oldKind = kind === 'K' ? 'key' : 'full';
      old = this.tuple(entry, kind === 'K');
      kind = String.fromCharCode(r.u8());
    }
    if (kind !== 'N') throw this.refuse('malformed', `expected 'N' in an Update, got ${describeTag(kind)}`);
    const row = this.tuple(entry, false);
    return xid === undefined
      ? { tag: 'update', lsn: this.lsn, relation: entry.message, columns: entry.names, old, oldKind, new: row }
      : { tag: 'update', lsn: this.lsn, xid, relation: entry.message, columns: entry.names, old, oldKind, new: row };
  }

  private delete(): PgoutputMessage {
    const xid = this.streamedXid();
    const entry = this.relationEntry();
    const kind = String.fromCharCode(this.reader.u8());
    if (kind !== 'K' && kind !== 'O') throw this.refuse('malformed', `expected 'K' or 'O' in a Delete, got ${describeTag(kind)}`);
    const old = this.tuple(entry, kind === 'K');
    const oldKind = kind === 'K' ? 'key' : 'full';
    return xid === undefined
      ? { tag: 'delete', lsn: this.lsn, relation: entry.message, columns: entry.names, old, oldKind }
      : { tag: 'delete', lsn: this.lsn, xid, relation: entry.message, columns: entry.names, old, oldKind };
  }

  private truncate(): PgoutputMessage {
    const r = this.reader;
    const xid = this.streamedXid();
    const count = r.i32();
    if (count < 0) throw this.refuse('malformed', `negative relation count ${count}`);
    const options = r.u8();
    if (count * 4 > r.remaining) throw this.refuse('truncated', `${count} relations announced, room for ${Math.floor(r.remaining / 4)}`);
    const relations: RelationMessage[] = [];
    for (let i = 0; i < count; i++) relations.push(this.knownRelation(r.u32()).message);
    return {
      tag: 'truncate', lsn: this.lsn, ...withXid(xid), relations, options,
      cascade: (options & TRUNCATE_CASCADE) !== 0, restartIdentity: (options & TRUNCATE_RESTART_IDENTITY) !== 0,
    };
  }

  private logicalMessage(): PgoutputMessage {
    const r = this.reader;
    const xid = this.streamedXid();
    const flags = r.u8();
    const messageLsn = u64(r);
    const prefix = r.cstring();
    const length = r.i32();
    if (length < 0) throw this.refuse('malformed', `negative content length ${length}`);
    const content = r.bytes(length).slice();
    return { tag: 'message', lsn: this.lsn, ...withXid(xid), transactional: (flags & 1) !== 0, messageLsn, prefix, content };
  }

  // --- streamed in-progress transactions (protocol 2+) ---

  private streamStart(): PgoutputMessage {
    this.requireVersion(2, 'Stream Start');
    const r = this.reader;
    const xid = r.u32();
    const firstSegment = r.u8() === 1;
    if (r.remaining === 0) this.streamXid = xid;
    return { tag: 'streamStart', lsn: this.lsn, xid, firstSegment };
  }

  private streamStop(): PgoutputMessage {
    this.requireVersion(2, 'Stream Stop');
    if (this.reader.remaining === 0) this.streamXid = undefined;
    return { tag: 'streamStop', lsn: this.lsn };
  }

  private streamCommit(): PgoutputMessage {
    this.requireVersion(2, 'Stream Commit');
    const r = this.reader;
    const xid = r.u32();
    const flags = r.u8();
    const commitLsn = u64(r);
    const endLsn = u64(r);
    const time = u64Signed(r);
    return { tag: 'streamCommit', lsn: this.lsn, xid, flags, commitLsn, endLsn, commitTime: toDate(time), commitTimeMicros: time };
  }

  private streamAbort(): PgoutputMessage {
    this.requireVersion(2, 'Stream Abort');
    const r = this.reader;
    const xid = r.u32();
    const subXid = r.u32();
    if (this.protoVersion < 4 || r.remaining === 0) return { tag: 'streamAbort', lsn: this.lsn, xid, subXid };
    const abortLsn = u64(r);
    const time = u64Signed(r);
    return { tag: 'streamAbort', lsn: this.lsn, xid, subXid, abortLsn, abortTime: toDate(time), abortTimeMicros: time };
  }

  // --- two-phase commit (protocol 3+) ---

  private beginPrepare(): PgoutputMessage {
    this.requireVersion(3, 'Begin Prepare');
    const r = this.reader;
    const prepareLsn = u64(r);
    const endLsn = u64(r);
    const time = u64Signed(r);
    const xid = r.u32();
    return { tag: 'beginPrepare', lsn: this.lsn, prepareLsn, endLsn, prepareTime: toDate(time), prepareTimeMicros: time, xid, gid: r.cstring() };
  }

  private prepare(): PgoutputMessage {
    this.requireVersion(3, 'Prepare');
    return { tag: 'prepare', lsn: this.lsn, ...this.prepared() };
  }

  private streamPrepare(): PgoutputMessage {
    this.requireVersion(3, 'Stream Prepare');
    return { tag: 'streamPrepare', lsn: this.lsn, ...this.prepared() };
  }

  /** The body shared by Prepare and Stream Prepare. */
  private prepared(): { flags: number; prepareLsn: bigint; endLsn: bigint; prepareTime: Date; prepareTimeMicros: bigint; xid: number; gid: string } {
    const r = this.reader;
    const flags = r.u8();
    const prepareLsn = u64(r);
    const endLsn = u64(r);
    const time = u64Signed(r);
    const xid = r.u32();
    return { flags, prepareLsn, endLsn, prepareTime: toDate(time), prepareTimeMicros: time, xid, gid: r.cstring() };
  }

  private commitPrepared(): PgoutputMessage {
    this.requireVersion(3, 'Commit Prepared');
    const r = this.reader;
    const flags = r.u8();
    const commitLsn = u64(r);
    const endLsn = u64(r);
    const time = u64Signed(r);
    const xid = r.u32();
    return { tag: 'commitPrepared', lsn: this.lsn, flags, commitLsn, endLsn, commitTime: toDate(time), commitTimeMicros: time, xid, gid: r.cstring() };
  }

  private rollbackPrepared(): PgoutputMessage {
    this.requireVersion(3, 'Rollback Prepared');
    const r = this.reader;
    const flags = r.u8();
    const prepareEndLsn = u64(r);
    const rollbackEndLsn = u64(r);
    const prepareTime = u64Signed(r);
    const rollbackTime = u64Signed(r);
    const xid = r.u32();
    return {
      tag: 'rollbackPrepared', lsn: this.lsn, flags, prepareEndLsn, rollbackEndLsn,
      prepareTime: toDate(prepareTime), prepareTimeMicros: prepareTime,
      rollbackTime: toDate(rollbackTime), rollbackTimeMicros: rollbackTime, xid, gid: r.cstring(),
    };
  }

  // --- helpers ---

  private requireVersion(min: PgoutputProtoVersion, what: string): void {
    if (this.protoVersion < min) {
      throw this.refuse('unknown-tag', `${what} needs protocol version ${min}, the stream uses ${this.protoVersion}`);
    }
  }

  /** Inside a stream block (protocol 2+), data messages start with their transaction's xid. */
  private streamedXid(): number | undefined {
    return this.streamXid !== undefined && this.protoVersion >= 2 ? this.reader.u32() : undefined;
  }

  private expectByte(expected: string, what: string): void {
    const got = String.fromCharCode(this.reader.u8());
    if (got !== expected) throw this.refuse('malformed', `expected '${expected}' in ${what}, got ${describeTag(got)}`);
  }

  private relationEntry(): RelationEntry {
    return this.knownRelation(this.reader.u32());
  }

  private knownRelation(oid: number): RelationEntry {
    const entry = this.relations.get(oid);
    if (entry === undefined) throw this.refuse('unknown-relation', `relation oid ${oid} was never described by a Relation message`, oid);
    return entry;
  }

  /**
   * Reads one TupleData as a row of `entry`. With `keyOnly` ('K'), only the
   * replica identity key columns are kept (the server sends the others as
   * NULL); when the relation flags no key column, every column is kept.
   */
  private tuple(entry: RelationEntry, keyOnly: boolean): PgoutputRow {
    const r = this.reader;
    const columns = entry.message.columns;
    const count = r.i16();
    if (count !== columns.length) {
      throw this.refuse('malformed', `a tuple of ${count} columns for relation ${entry.message.relationOid} of ${columns.length}`);
    }
    if (entry.version !== this.types.version) this.dropDecoders(entry);
    const filter = keyOnly && entry.hasKey;
    const row: PgoutputRow = {};
    for (let i = 0; i < count; i++) {
      const kind = r.u8();
      let value: unknown;
      if (kind === 0x74) value = (entry.text ?? this.textDecoders(entry))[i](r.bytes(this.length())); // 't'
      else if (kind === 0x6e) value = null; // 'n'
      else if (kind === 0x75) value = UNCHANGED_TOAST; // 'u'
      else if (kind === 0x62) value = (entry.binary ?? this.binaryDecoders(entry))[i](r.bytes(this.length())); // 'b'
      else throw this.refuse('malformed', `unknown column kind ${describeTag(String.fromCharCode(kind))}`);
      if (!filter || columns[i].isKey) row[columns[i].name] = value;
    }
    return row;
  }

  private length(): number {
    const n = this.reader.i32();
    if (n < 0) throw this.refuse('malformed', `negative value length ${n}`);
    return n;
  }

  /** Forgets the column decoders of `entry` (the registry changed since they were built). */
  private dropDecoders(entry: RelationEntry): void {
    entry.version = this.types.version;
    entry.text = undefined;
    entry.binary = undefined;
  }

  private textDecoders(entry: RelationEntry): ValueDecoder[] {
    return (entry.text = entry.message.columns.map((c) => this.types.decoder(c.typeOid, 0)));
  }

  private binaryDecoders(entry: RelationEntry): ValueDecoder[] {
    return (entry.binary = entry.message.columns.map((c) => binaryValueDecoder(this.types, c.typeOid)));
  }
}

function withXid(xid: number | undefined): { xid?: number } {
  return xid === undefined ? {} : { xid };
}

/** Reads an unsigned 64-bit integer (an LSN). */
function u64(r: ByteReader): bigint {
  const high = r.u32();
  const low = r.u32();
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Reads a signed 64-bit integer (a timestamp in microseconds). */
function u64Signed(r: ByteReader): bigint {
  return BigInt.asIntN(64, u64(r));
}

/** PostgreSQL microseconds since 2000-01-01 UTC -> Date (floored to the millisecond). */
function toDate(micros: bigint): Date {
  const unix = micros + PG_EPOCH_MICROS;
  let ms = unix / 1000n;
  if (unix % 1000n < 0n) ms -= 1n;
  return new Date(Number(ms));
}

function describeTag(tag: string): string {
  const code = tag.charCodeAt(0);
  return code >= 0x20 && code < 0x7f ? `'${tag}'` : `0x${code.toString(16).padStart(2, '0')}`;
}
