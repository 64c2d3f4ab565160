/**
 * tspostgres: the public surface.
 *
 * This entry is the only place that wires a default reactor (a NodeReactor),
 * so `new Connection()` just works; everything under `src/` takes its reactor
 * by injection. Reactors themselves are exported from `tspostgres/reactor`,
 * the sans-IO machine from `tspostgres/core`.
 *
 * `Connection` and `ConnectionPool` are the Observable-bearing subclasses of
 * src/rx (the driver's classes in src/connection and src/pool know nothing of
 * rxjs); see docs/api/Observables.md. Nothing here is installed by a side
 * effect but the default reactor factory.
 */
import { NodeReactor } from '../reactor/node/node';
import { setDefaultReactorFactory } from './connection/default-reactor';

setDefaultReactorFactory(() => new NodeReactor());

export { Connection } from './rx/connection';
export type { ConnectionOptions, ConnectionState, DetectorLike, CloseOptions } from './connection/connection';
export type { QueryOptions, Lease } from './connection/lease';
export type { CursorFactory, CursorHost } from './connection/cursor';
export { Cursor } from './connection/cursor';
export { quoteIdent, quoteQualified, literal, sql, toStatement, Sql, Raw, Identifier, Literal, Param, Composed } from './sql/compose';
export type { Statement } from './sql/compose';
export { ConnectionPool } from './rx/pool';
export type { PoolOptions, PoolStats } from './pool/pool';
export type { Interaction, InteractionOptions } from './connection/interaction';
export { Notification, NotificationGap } from './connection/notification';
export { objectRowFactory, tupleRowFactory } from './connection/rows';
export type { QueryResult, Column, RowFactory, QueryResultInfo, ResultRows, StatementResult, StatementSummary, OperationResult } from './connection/rows';
export { setDefaultReactorFactory, defaultReactor } from './connection/default-reactor';
export * from './defer';
export * from './errors';
export * from './types';
export { backoffIterator, RetryingCall, gaussian, DEFAULT_JITTER } from './defer/retrying';
export type { BackoffOptions, FailureTester, RetryingCallOptions } from './defer/retrying';
export { DeadConnectionDetector, DEFAULT_DEMAND_RETRY_MS } from './reconnect/detector';
export type { DetectorOptions, Reconnectable, RecoveryHandler } from './reconnect/detector';
export { defaultDeathChecker, HeartbeatTimeout, OperationDeadlineExceeded, DEATH_CODES, DEATH_SQLSTATES } from './reconnect/death';
export type { DeathChecker } from './reconnect/death';
export { Heartbeat } from './reconnect/heartbeat';
export type { HeartbeatOptions } from './reconnect/heartbeat';
export { parseDsn, resolveConfig, parsePgpass, lookupPgpass, passwordFor, redactDsn, describeTarget } from './dsn';
export type { ConnectInput, ConnectParams, DsnParams, HostSpec, Env, ResolveOptions, PgpassEntry, PgpassTarget, SslMode, TargetSessionAttrs, ChannelBinding } from './dsn';
export { loadConfig, PgpassPermissionError, SslKeyPermissionError } from './config';
export type { LoadedConfig, LoadOptions } from './config';
export { nodeAuthCrypto } from './connection/node-crypto';
export type { AuthCrypto } from './protocol/auth/crypto';
export type { ExecRequest } from './connection/statements';
export type { OpHandler } from './connection/session';
export { ProtocolMachine } from './core/machine';
export { ProtocolVersionUnsupported } from './core/negotiation';
export { MAX_SERVER_PARAMETERS } from './core/machine';
export { MAX_HOSTS } from './dsn/hosts';
export { MAX_NOTIFY_BACKLOG, NotificationsDropped } from './connection/notify';
export * from './rx';
export { RowStream, queryStream, queryIterator } from './streaming/row-stream';
export type { StreamOptions } from './streaming/row-stream';
export {
  CopyAborted, encodeCopyRow, parseCopyRow, copyToCallback, copyToIterator, copyFromSource,
  COPY_OUT_HIGH_WATER_MARK, COPY_OUT_LOW_WATER_MARK,
} from './streaming/copy';
export type { CopyChunk, ChunkSource, CopyConsumerResult, CopyToCallbackOptions } from './streaming/copy';
export { TRACING_CHANNELS, setTracingOptions } from './connection/tracing';
export type { TracingOptions, QueryTarget, QueryStartEvent, QueryEndEvent, QueryErrorEvent, ConnectionStateEvent, ReconnectAttemptEvent, ReconnectEndEvent, PoolAcquireEvent, PoolReleaseEvent, ReplicationStatusEvent } from './connection/tracing';
export { PgoutputDecoder } from './replication/pgoutput';
export type { PgoutputDecoderOptions, PgoutputProtoVersion } from './replication/pgoutput';
export { PgoutputError } from './replication/pgoutput-error';
export type { PgoutputErrorReason } from './replication/pgoutput-error';
export { UNCHANGED_TOAST } from './replication/pgoutput-messages';
export type {
  PgoutputMessage, PgoutputTag, PgoutputRow, UnchangedToast, RelationColumn, ReplicaIdentity, OldKind,
  BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage, InsertMessage, UpdateMessage, DeleteMessage,
  TruncateMessage, LogicalMessage, StreamStartMessage, StreamStopMessage, StreamCommitMessage, StreamAbortMessage,
  BeginPrepareMessage, PrepareMessage, CommitPreparedMessage, RollbackPreparedMessage, StreamPrepareMessage,
} from './replication/pgoutput-messages';
export { ReplicationConnection, ReplicationStream } from './rx/replication';
export type { PgoutputChange } from './rx/replication';
export type {
  ReplicationConnectionOptions, ReplicationConnectOptions, IdentifySystemResult, CreateSlotOptions, CreateSlotResult, ReadSlotResult,
  TimelineHistoryResult, StartReplicationOptions,
} from './replication/connection';
export { ReplicationGap } from './replication/stream';
export type { ReplicationStreamState, ReplicationStats, FeedbackOptions, StreamTuning, TimelineEnd, MessageConsumer } from './replication/stream';
export { ReplicationMessage } from './replication/message';
export { parseLsn, formatLsn, INVALID_LSN, MAX_LSN } from './replication/lsn';
export type { LsnInput } from './replication/lsn';
export { parseReplication } from './dsn/replication';
export type { ReplicationMode } from './dsn/replication';
