/**
 * The options of a Connection, and what it asks of its detector.
 */
import type { Reactor } from '../../reactor/interfaces';
import type { Deferred } from '../defer';
import type { AuthCrypto } from '../protocol/auth/crypto';
import type { TypeRegistry } from '../types/registry';
import type { CursorFactory } from './cursor';
import type { RowFactory } from './rows';

/** What the connection asks of its DeadConnectionDetector (the two touch points). */
export interface DetectorLike {
  /** Called on every user `connect()` with the connection and the connect input. */
  setReconnectable(reconnectable: object, ...args: unknown[]): void;
  /** Runs a run* call, or fails it at once while the connection is dead. */
  callChecking<T>(fn: () => Deferred<T>): Deferred<T>;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  /** The reactor; the package entry supplies a NodeReactor by default. */
  reactor?: Reactor;
  /** A DeadConnectionDetector that reconnects this connection. */
  detector?: DetectorLike;
  /** Row shape: 'object' (default, keyed by column name), 'tuple', or a custom factory. */
  rowFactory?: RowFactory | 'object' | 'tuple';
  /** Builds the cursors of `cursor()` and of interactions. */
  cursorFactory?: CursorFactory;
  /** The registry to clone (default `TypeRegistry.default()`, so earlier global registrations apply). */
  types?: TypeRegistry;
  /** Crypto for SCRAM and MD5 (defaults to node:crypto). */
  crypto?: AuthCrypto;
  /** Environment for PG* variables (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Allow a cleartext password over a link without TLS (default false). */
  allowCleartextPassword?: boolean;
  /** Connect timeout per host in ms, when the connection string gives none. */
  connectTimeoutMs?: number;
  /**
   * The most SCRAM iterations a server may ask for (an integer from 1 to
   * 2,147,483,647; default 1,000,000). A server asking for more is refused
   * with `ERR_SCRAM_ITERATIONS` before anything is computed. The key is
   * derived off the event loop (`crypto.pbkdf2Sha256Async`) either way.
   */
  maxScramIterations?: number;
  /**
   * Prepare and cache statements (default true). False: every statement
   * runs on the unnamed statement in one batch and nothing is cached, as a
   * pooler in transaction mode (PgBouncer) needs; parameters are then
   * encoded from their JS values and results come back in text.
   */
  prepare?: boolean;
}
