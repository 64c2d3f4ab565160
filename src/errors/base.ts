/**
 * Library errors: every error tspostgres raises itself.
 *
 * Errors are named by who is at fault (h11's split): {@link InterfaceError}
 * when the caller misused the API, {@link ProtocolViolation} when the server
 * sent bytes we cannot accept, connection errors when the link failed. Each
 * has a stable `code` starting with `ERR_`, chains its cause with
 * `{ cause }`, and carries context as fields. No message ever contains a
 * password. Server errors are {@link DatabaseError}s (see `database.ts`).
 */

/** Options accepted by every library error. */
export interface PgErrorOptions {
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error tspostgres raises; `code` is stable and machine-readable. */
export class PgError extends Error {
  /** A stable identifier, e.g. `ERR_CONNECTION_DEAD`. */
  readonly code: string;

  constructor(code: string, message: string, options?: PgErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The API was used wrongly (bad arguments, a command illegal in the current state). */
export class InterfaceError extends PgError {
  constructor(message: string, options?: PgErrorOptions & { code?: string }) {
    super(options?.code ?? 'ERR_INTERFACE', message, options);
  }
}

/** The server sent something the protocol does not allow; the connection is unusable. */
export class ProtocolViolation extends PgError {
  constructor(message: string, options?: PgErrorOptions) {
    super('ERR_PROTOCOL_VIOLATION', message, options);
  }
}

/** A message exceeded the configured maximum size. */
export class MessageTooLarge extends ProtocolViolation {
  /** The announced length in bytes. */
  readonly length: number;
  /** The configured limit in bytes. */
  readonly limit: number;
  constructor(length: number, limit: number) {
    super(`message of ${length} bytes exceeds the limit of ${limit} bytes`);
    (this as { code: string }).code = 'ERR_MESSAGE_TOO_LARGE';
    this.length = length;
    this.limit = limit;
  }
}

/** A connection string or parameter set is invalid. */
export class ConfigurationError extends PgError {
  constructor(message: string, options?: PgErrorOptions) {
    super('ERR_INVALID_CONFIG', message, options);
  }
}

/** Base class of errors about the link to the server. */
export class ConnectionError extends PgError {
  constructor(message: string, options?: PgErrorOptions & { code?: string }) {
    super(options?.code ?? 'ERR_CONNECTION', message, options);
  }
}

/** The connection was closed (by `close()`) and cannot run anything. */
export class ConnectionClosed extends ConnectionError {
  constructor(message = 'the connection is closed', options?: PgErrorOptions) {
    super(message, { ...options, code: 'ERR_CONNECTION_CLOSED' });
  }
}

/** The link to the server was lost (end of stream, socket error) while it was in use. */
export class ConnectionLost extends ConnectionError {
  constructor(message = 'the connection to the server was lost', options?: PgErrorOptions) {
    super(message, { ...options, code: 'ERR_CONNECTION_LOST' });
  }
}

/** Connecting took longer than the connect timeout. */
export class ConnectTimeout extends ConnectionError {
  constructor(message = 'timed out connecting to the server', options?: PgErrorOptions) {
    super(message, { ...options, code: 'ERR_CONNECT_TIMEOUT' });
  }
}

/**
 * Connecting failed at the transport level (refused, unreachable, reset, TLS)
 * or on every host of a multi-host list; `errors` holds each attempt's error
 * in order, `hosts` the host (`host:port` or socket path) each was about when
 * known, and `cause` is the last error. The message names each host with why
 * it was refused.
 */
export class ConnectionFailed extends ConnectionError {
  readonly errors: readonly Error[];
  readonly hosts: readonly string[];
  constructor(errors: readonly Error[], hosts: readonly string[] = []) {
    const what = errors.length === 1 ? 'could not connect to the server' : 'could not connect to any host';
    const each = errors.map((e, i) => (hosts[i] === undefined || e.message.includes(hosts[i]) ? e.message : `${hosts[i]}: ${e.message}`));
    super(`${what}: ${each.join('; ')}`, {
      code: 'ERR_CONNECTION_FAILED',
      cause: errors[errors.length - 1],
    });
    this.errors = errors;
    this.hosts = hosts;
  }
}

/**
 * A server accepted the connection but is not what `target_session_attrs`
 * asks for (a standby when `read-write` was asked, ...). The connector told
 * it Terminate and tried the next host; this error is one entry of the
 * {@link ConnectionFailed} when no host fitted. `reason` is libpq's wording
 * ("session is read-only", "server is in hot standby mode", ...).
 */
export class UnsuitableServer extends ConnectionError {
  constructor(
    readonly host: string,
    readonly targetSessionAttrs: string,
    readonly reason: string,
  ) {
    super(`${host}: ${reason} (target_session_attrs=${targetSessionAttrs})`, { code: 'ERR_UNSUITABLE_SERVER' });
  }
}

/** The detector believes the connection is dead; the call was not run. */
export class ConnectionDead extends ConnectionError {
  constructor(message = 'the connection is dead; a reconnection is under way', options?: PgErrorOptions) {
    super(message, { ...options, code: 'ERR_CONNECTION_DEAD' });
  }
}

/** `connect()` was called on a connection that is already connected. */
export class AlreadyConnected extends InterfaceError {
  constructor() {
    super('the connection is already connected', { code: 'ERR_ALREADY_CONNECTED' });
  }
}

/** A Deferred was fired twice. */
export class AlreadyCalledError extends InterfaceError {
  constructor(message = 'the Deferred has already been called') {
    super(message, { code: 'ERR_ALREADY_CALLED' });
  }
}

/**
 * A Deferred was cancelled. `serverCancelled` is true when the server
 * confirmed it stopped the statement (SQLSTATE 57014 after our CancelRequest).
 */
export class CancelledError extends PgError {
  serverCancelled: boolean;
  constructor(message = 'the operation was cancelled', options?: PgErrorOptions & { serverCancelled?: boolean }) {
    super('ERR_CANCELLED', message, options);
    this.serverCancelled = options?.serverCancelled ?? false;
  }
}

/** A client-side deadline passed (`addTimeout`, a per-query `timeout`). */
export class TimeoutError extends PgError {
  /** The deadline in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message = `timed out after ${timeoutMs} ms`, options?: PgErrorOptions) {
    super('ERR_TIMEOUT', message, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * ROLLBACK failed after a failure inside `runInteraction`.
 * `connection` is the connection the interaction ran on; `originalError` the failure that caused the rollback.
 */
export class RollbackFailed extends PgError {
  readonly connection: unknown;
  readonly originalError: unknown;
  constructor(connection: unknown, originalError: unknown, rollbackError?: unknown) {
    super('ERR_ROLLBACK_FAILED', `<RollbackFailed, original error: ${describe(originalError)}>`, { cause: rollbackError });
    this.connection = connection;
    this.originalError = originalError;
  }
  /** txpostgres' name for {@link originalError}. */
  get originalFailure(): unknown {
    return this.originalError;
  }
}

/**
 * The connection failed after COMMIT was sent and before its answer came:
 * the transaction may have committed or not, and only the database can
 * tell. Never retried automatically (a rerun may apply the work twice);
 * `cause` is the connection's error. Not a {@link ConnectionError}, so code
 * that retries connection errors does not retry this by accident.
 */
export class CommitOutcomeUnknown extends PgError {
  /** Always true: the marker of errors whose outcome is unknown. */
  readonly outcomeUnknown = true;
  constructor(cause: unknown) {
    super('ERR_COMMIT_OUTCOME_UNKNOWN', `the connection failed after COMMIT was sent; the transaction may or may not have committed: ${describe(cause)}`, { cause });
  }
}

/** A pool could not hand out a connection within its acquire timeout. */
export class PoolTimeout extends PgError {
  constructor(timeoutMs: number) {
    super('ERR_POOL_TIMEOUT', `no pooled connection became available within ${timeoutMs} ms`);
  }
}

/** The pool is closed. */
export class PoolClosed extends PgError {
  constructor() {
    super('ERR_POOL_CLOSED', 'the pool is closed');
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
