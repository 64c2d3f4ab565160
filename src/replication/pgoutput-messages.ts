/**
 * The messages of the `pgoutput` logical decoding plugin, as
 * {@link PgoutputDecoder} returns them: one typed object per XLogData
 * payload, a discriminated union on `tag`.
 *
 * Theory of operation. pgoutput (PostgreSQL's own plugin, the one logical
 * replication subscribers use) writes one binary message per change or
 * transaction boundary (the "Logical Replication Message Formats" chapter of
 * the PostgreSQL manual). Every message here carries `lsn`, the WAL position
 * of the XLogData that brought it (what a consumer acknowledges). Positions
 * inside a message (`finalLsn`, `commitLsn`, `endLsn`, ...) are `bigint`s;
 * times are PostgreSQL microseconds since 2000-01-01 UTC, exposed both as a
 * `Date` (millisecond precision) and as the exact `bigint` (`...Micros`).
 * `xid` is an unsigned 32-bit transaction id.
 *
 * Rows are objects keyed by column name in the relation's column order,
 * each value decoded through the connection's `TypeRegistry`; SQL NULL is
 * `null`, and a TOASTed value the change did not touch (the server did not
 * send it) is {@link UNCHANGED_TOAST}.
 */

/** A column value the server did not send because it is TOASTed and unchanged ('u' in the tuple). */
export const UNCHANGED_TOAST: unique symbol = Symbol('tspostgres.unchangedToast');

/** The type of {@link UNCHANGED_TOAST}. */
export type UnchangedToast = typeof UNCHANGED_TOAST;

/** A decoded row: column name -> value (`null` for NULL, {@link UNCHANGED_TOAST} for an unsent TOASTed value). */
export type PgoutputRow = Record<string, unknown>;

/** What every message has: its tag and the LSN of the XLogData that carried it. */
interface Base<T extends string> {
  readonly tag: T;
  /** The WAL position of the XLogData carrying this message (`dataStart`). */
  readonly lsn: bigint;
}

/** Inside a streamed in-progress transaction (protocol 2+), data messages carry their transaction's xid. */
interface MaybeStreamed {
  /** The xid of the streamed transaction this message belongs to, or undefined outside a stream. */
  readonly xid?: number;
}

/** 'B': a transaction starts. */
export interface BeginMessage extends Base<'begin'> {
  /** The LSN of the transaction's commit record. */
  readonly finalLsn: bigint;
  readonly commitTime: Date;
  readonly commitTimeMicros: bigint;
  readonly xid: number;
}

/** 'C': a transaction committed. */
export interface CommitMessage extends Base<'commit'> {
  /** Currently always 0. */
  readonly flags: number;
  readonly commitLsn: bigint;
  /** The end of the transaction's WAL: where a consumer resumes after it. */
  readonly endLsn: bigint;
  readonly commitTime: Date;
  readonly commitTimeMicros: bigint;
}

/** 'O': the transaction came from another node (replication origin). */
export interface OriginMessage extends Base<'origin'> {
  /** The commit LSN on the origin server. */
  readonly originLsn: bigint;
  readonly name: string;
}

/** One column of a {@link RelationMessage}. */
export interface RelationColumn {
  readonly name: string;
  /** The column's type oid. */
  readonly typeOid: number;
  /** The type modifier (atttypmod), -1 when none. */
  readonly typeMod: number;
  /** Part of the replica identity key (flag bit 1). */
  readonly isKey: boolean;
  /** The raw flags byte. */
  readonly flags: number;
}

/** The REPLICA IDENTITY setting: 'd' default, 'n' nothing, 'f' full, 'i' index. */
export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i';

/** 'R': describes a table; row messages refer to it by `relationOid`. Replaces an earlier one with the same oid. */
export interface RelationMessage extends Base<'relation'>, MaybeStreamed {
  readonly relationOid: number;
  readonly namespace: string;
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
}

/** 'Y': describes a non-built-in type used by a relation's column. */
export interface TypeMessage extends Base<'type'>, MaybeStreamed {
  readonly typeOid: number;
  readonly namespace: string;
  readonly name: string;
}

/** What every row message has: the relation it changes (as last described) and its column list. */
interface RowChange<T extends string> extends Base<T>, MaybeStreamed {
  readonly relation: RelationMessage;
  /** The relation's column names, in order (the keys of the rows). */
  readonly columns: readonly string[];
}

/** 'I': a row was inserted. */
export interface InsertMessage extends RowChange<'insert'> {
  readonly new: PgoutputRow;
}

/**
 * How the old values of an Update or Delete were sent: `'key'` ('K', the
 * replica identity key columns only, other columns omitted from the row) or
 * `'full'` ('O', the whole old row, REPLICA IDENTITY FULL).
 */
export type OldKind = 'key' | 'full';

/** 'U': a row was updated. `old` is present when the key changed, or always under REPLICA IDENTITY FULL. */
export interface UpdateMessage extends RowChange<'update'> {
  readonly old: PgoutputRow | null;
  readonly oldKind: OldKind | null;
  readonly new: PgoutputRow;
}

/** 'D': a row was deleted; `old` holds its key (or the whole row under REPLICA IDENTITY FULL). */
export interface DeleteMessage extends RowChange<'delete'> {
  readonly old: PgoutputRow;
  readonly oldKind: OldKind;
}

/** 'T': tables were truncated. `relations` are as last described (every oid is known). */
export interface TruncateMessage extends Base<'truncate'>, MaybeStreamed {
  readonly relations: readonly RelationMessage[];
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
  /** The raw option bits (1 cascade, 2 restart identity). */
  readonly options: number;
}

/** 'M': a logical decoding message (`pg_logical_emit_message`), sent with `messages 'true'`. */
export interface LogicalMessage extends Base<'message'>, MaybeStreamed {
  readonly transactional: boolean;
  /** The LSN of the message itself. */
  readonly messageLsn: bigint;
  readonly prefix: string;
  /** The content, copied out of the payload. */
  readonly content: Uint8Array;
}

/** 'S': a block of a streamed in-progress transaction starts (protocol 2+). */
export interface StreamStartMessage extends Base<'streamStart'> {
  readonly xid: number;
  /** True for the transaction's first block. */
  readonly firstSegment: boolean;
}

/** 'E': the current block of a streamed transaction ends. */
export type StreamStopMessage = Base<'streamStop'>;

/** 'c': a streamed transaction committed. */
export interface StreamCommitMessage extends Base<'streamCommit'> {
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: bigint;
  readonly endLsn: bigint;
  readonly commitTime: Date;
  readonly commitTimeMicros: bigint;
}

/** 'A': a streamed (sub)transaction aborted; `subXid === xid` for the top-level transaction. */
export interface StreamAbortMessage extends Base<'streamAbort'> {
  readonly xid: number;
  readonly subXid: number;
  /** Protocol 4 with `streaming 'parallel'`: the abort's LSN and time; otherwise undefined. */
  readonly abortLsn?: bigint;
  readonly abortTime?: Date;
  readonly abortTimeMicros?: bigint;
}

/** What the two-phase messages (protocol 3+) have in common. */
interface TwoPhase<T extends string> extends Base<T> {
  readonly xid: number;
  /** The global transaction identifier given to PREPARE TRANSACTION. */
  readonly gid: string;
}

/** 'b': a prepared transaction starts (two-phase decoding). */
export interface BeginPrepareMessage extends TwoPhase<'beginPrepare'> {
  readonly prepareLsn: bigint;
  readonly endLsn: bigint;
  readonly prepareTime: Date;
  readonly prepareTimeMicros: bigint;
}

/** 'P': a transaction was prepared. */
export interface PrepareMessage extends TwoPhase<'prepare'> {
  readonly flags: number;
  readonly prepareLsn: bigint;
  readonly endLsn: bigint;
  readonly prepareTime: Date;
  readonly prepareTimeMicros: bigint;
}

/** 'K': a prepared transaction was committed (COMMIT PREPARED). */
export interface CommitPreparedMessage extends TwoPhase<'commitPrepared'> {
  readonly flags: number;
  readonly commitLsn: bigint;
  readonly endLsn: bigint;
  readonly commitTime: Date;
  readonly commitTimeMicros: bigint;
}

/** 'r': a prepared transaction was rolled back (ROLLBACK PREPARED). */
export interface RollbackPreparedMessage extends TwoPhase<'rollbackPrepared'> {
  readonly flags: number;
  /** The end of the prepared transaction's WAL. */
  readonly prepareEndLsn: bigint;
  /** The end of the rollback's WAL. */
  readonly rollbackEndLsn: bigint;
  readonly prepareTime: Date;
  readonly prepareTimeMicros: bigint;
  readonly rollbackTime: Date;
  readonly rollbackTimeMicros: bigint;
}

/** 'p': a streamed transaction was prepared. */
export interface StreamPrepareMessage extends TwoPhase<'streamPrepare'> {
  readonly flags: number;
  readonly prepareLsn: bigint;
  readonly endLsn: bigint;
  readonly prepareTime: Date;
  readonly prepareTimeMicros: bigint;
}

/** Every pgoutput message, told apart by `tag`. */
export type PgoutputMessage =
  | BeginMessage | CommitMessage | OriginMessage | RelationMessage | TypeMessage
  | InsertMessage | UpdateMessage | DeleteMessage | TruncateMessage | LogicalMessage
  | StreamStartMessage | StreamStopMessage | StreamCommitMessage | StreamAbortMessage
  | BeginPrepareMessage | PrepareMessage | CommitPreparedMessage | RollbackPreparedMessage
  | StreamPrepareMessage;

/** The `tag` of every {@link PgoutputMessage}. */
export type PgoutputTag = PgoutputMessage['tag'];
