/**
 * tspostgres: the public surface.
 *
 * This entry is the only place that wires a default reactor (a NodeReactor),
 * so `new Connection()` just works; everything under `src/` takes its reactor
 * by injection. Reactors themselves are exported from `tspostgres/reactor`,
 * the sans-IO machine from `tspostgres/core`.
 */
import { NodeReactor } from '../reactor/node';
import { setDefaultReactorFactory } from './defaults';

import './rx/install';

setDefaultReactorFactory(() => new NodeReactor());

export { Connection } from './connection';
export type { ConnectionOptions, ConnectionState, QueryOptions, CursorFactory, Lease, DetectorLike } from './connection';
export { Cursor, quoteIdent } from './cursor';
export { ConnectionPool } from './pool';
export type { PoolOptions, PoolStats } from './pool';
export type { Interaction, InteractionOptions } from './interaction';
export { Notification, NotificationGap } from './notification';
export { objectRowFactory, tupleRowFactory } from './result';
export type { QueryResult, Column, RowFactory } from './result';
export { setDefaultReactorFactory, defaultReactor } from './defaults';
export * from './defer';
export * from './errors';
export * from './types';
export { backoffIterator, RetryingCall, gaussian, DEFAULT_JITTER } from './retrying';
export type { BackoffOptions, FailureTester, RetryingCallOptions } from './retrying';
export { DeadConnectionDetector } from './detector';
export type { DetectorOptions, Reconnectable, RecoveryHandler } from './detector';
export { defaultDeathChecker, HeartbeatTimeout, OperationDeadlineExceeded, DEATH_CODES, DEATH_SQLSTATES } from './death';
export type { DeathChecker } from './death';
export { Heartbeat } from './heartbeat';
export type { HeartbeatOptions } from './heartbeat';
export { parseDsn, resolveConfig, parsePgpass, lookupPgpass, passwordFor, redactDsn, describeTarget } from './dsn';
export type { ConnectInput, ConnectParams, DsnParams, HostSpec, Env, ResolveOptions, PgpassEntry, PgpassTarget } from './dsn';
export { loadConfig, PgpassPermissionError, SslKeyPermissionError } from './config';
export type { LoadedConfig, LoadOptions } from './config';
export { nodeAuthCrypto } from './auth-crypto-node';
export type { AuthCrypto } from './protocol/auth/crypto';
export type { ExecRequest } from './executor';
export type { OpHandler } from './session';
export { ProtocolMachine } from './core/machine';
export * from './rx';
export { RowStream, queryStream, queryIterator } from './stream';
export type { StreamOptions } from './stream';
export { CopyAborted, encodeCopyRow, parseCopyRow, copyToCallback } from './copy';
export type { CopyChunk } from './copy';
