/**
 * Reactor-level errors: what can go wrong while moving bytes.
 *
 * Theory of operation. The reactor layer knows nothing of PostgreSQL, so it
 * cannot use the library's `PgError` family (and must not import `src/`).
 * Instead every failure a reactor reports through
 * `TransportHandler.connectionLost` is a {@link ReactorError} with a stable
 * `code` (the errno name where one exists, as Node uses: `'ECONNREFUSED'`,
 * `'ECONNRESET'`; an `ERR_` name otherwise) and the underlying error, if any,
 * as `cause`. Upper layers classify by `code`, never by message text.
 */

/** Options accepted by every reactor error. */
export interface ReactorErrorOptions {
  /** The underlying error (for Node sockets, the `NodeJS.ErrnoException`). */
  cause?: unknown;
}

/** Base class of every error a reactor reports; `code` is stable. */
export class ReactorError extends Error {
  /** A stable identifier such as `'ECONNREFUSED'` or `'ERR_CONNECT_TIMEOUT'`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ReactorErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The peer actively refused the connection (nothing listens there). Code `ECONNREFUSED`. */
export class ConnectionRefused extends ReactorError {
  /** A description of the endpoint, e.g. `'127.0.0.1:5432'` or a socket path. */
  readonly target: string;
  constructor(target: string, options?: ReactorErrorOptions) {
    super('ECONNREFUSED', `connection to ${target} refused`, options);
    this.target = target;
  }
}

/** The connection was not established within `timeoutMs`. Code `ERR_CONNECT_TIMEOUT`. */
export class ConnectTimeout extends ReactorError {
  /** A description of the endpoint. */
  readonly target: string;
  /** The timeout that expired, in ms. */
  readonly timeoutMs: number;
  constructor(target: string, timeoutMs: number) {
    super('ERR_CONNECT_TIMEOUT', `connection to ${target} timed out after ${timeoutMs} ms`);
    this.target = target;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Connecting failed for another reason (DNS, unreachable network...).
 * Code `ERR_CONNECT_FAILED`; `errno` keeps the underlying code, e.g. `'ENOTFOUND'`.
 */
export class ConnectFailed extends ReactorError {
  /** A description of the endpoint. */
  readonly target: string;
  /** The underlying error code, when known. */
  readonly errno: string | undefined;
  constructor(target: string, errno: string | undefined, options?: ReactorErrorOptions) {
    super('ERR_CONNECT_FAILED', `connection to ${target} failed${errno ? ` (${errno})` : ''}`, options);
    this.target = target;
    this.errno = errno;
  }
}

/** The connect attempt was cancelled with `Connector.cancel()`. Code `ERR_CONNECT_CANCELLED`. */
export class ConnectCancelled extends ReactorError {
  constructor(target: string) {
    super('ERR_CONNECT_CANCELLED', `connection to ${target} cancelled`);
  }
}

/** The peer reset the connection (or the link dropped). Code `ECONNRESET`. */
export class ConnectionReset extends ReactorError {
  constructor(message = 'connection reset by peer', options?: ReactorErrorOptions) {
    super('ECONNRESET', message, options);
  }
}

/** Any other failure of an established transport. Code `ERR_TRANSPORT`; `errno` keeps the underlying code. */
export class TransportError extends ReactorError {
  /** The underlying error code, when known. */
  readonly errno: string | undefined;
  constructor(errno: string | undefined, options?: ReactorErrorOptions) {
    super('ERR_TRANSPORT', `transport failed${errno ? ` (${errno})` : ''}`, options);
    this.errno = errno;
  }
}

/** A TLS upgrade failed or is not possible. Code `ERR_TLS`. */
export class TlsError extends ReactorError {
  constructor(message: string, options?: ReactorErrorOptions) {
    super('ERR_TLS', message, options);
  }
}

/** A WebSocket relay refused to connect to the target (not on its allowlist). Code `ERR_RELAY_FORBIDDEN`. */
export class RelayForbidden extends ReactorError {
  /** A description of the endpoint. */
  readonly target: string;
  constructor(target: string, reason: string) {
    super('ERR_RELAY_FORBIDDEN', `relay refused target ${target}${reason ? `: ${reason}` : ''}`);
    this.target = target;
  }
}

/** Describes an endpoint for messages: `host:port` (IPv6 in brackets) or the socket path. */
export function describeEndpoint(endpoint: { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string }): string {
  if (endpoint.kind === 'unix') return endpoint.path;
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
