/**
 * Death checking: which failures mean the connection is gone.
 *
 * Theory of operation. A {@link DeadConnectionDetector} asks its death
 * checker about every failure of a call it routes, and about the error that
 * ended a live session. {@link defaultDeathChecker} answers by the *cause*,
 * not by a broad error type (txpostgres' default reconnects on any
 * psycopg2 OperationalError, deadlocks included; we do not):
 *
 * - the link failed: end of stream or a socket error (`ERR_CONNECTION_LOST`,
 *   reactor codes such as `ECONNRESET`, `EPIPE`, `ERR_TRANSPORT`);
 * - the server broke the protocol (`ERR_PROTOCOL_VIOLATION`, `ERR_MESSAGE_TOO_LARGE`);
 * - a liveness deadline declared death ({@link HeartbeatTimeout},
 *   {@link OperationDeadlineExceeded});
 * - the server said so: SQLSTATE class 08 (connection exception) or
 *   57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now;
 * - a `RollbackFailed` whose rollback error (or original error) is a death;
 * - a `ConnectionFailed` (connecting failed) holding a host error that is a death.
 *
 * Everything else is not a death: a user `close()` (`ConnectionClosed`), a
 * deadlock (40P01), a serialization failure (40001), constraint violations
 * (23xxx), a statement timeout or cancel (57014), syntax and permission
 * errors, client-side per-query timeouts. Classification is by `code`
 * strings, so `src/` needs no runtime import of `reactor/`.
 */
import { TimeoutError } from '../errors/base';
import { AdminShutdown, CannotConnectNow, CrashShutdown } from '../errors/sqlstate.generated';

/** Decides whether a failure means the connection is dead. */
export type DeathChecker = (error: unknown) => boolean;

/** Library and reactor codes that mean the link or the session is gone. */
export const DEATH_CODES: ReadonlySet<string> = new Set([
  'ERR_CONNECTION_LOST',
  'ERR_PROTOCOL_VIOLATION',
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_HEARTBEAT_TIMEOUT',
  'ERR_OPERATION_DEADLINE',
  'ERR_TRANSPORT',
  'ERR_TLS',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** SQLSTATEs outside class 08 that mean the server ended the session. */
export const DEATH_SQLSTATES: ReadonlySet<string> = new Set([AdminShutdown.sqlstate, CrashShutdown.sqlstate, CannotConnectNow.sqlstate]);

/**
 * The heartbeat probe got no answer within its deadline: the link is
 * stalled or the server is frozen. Code `ERR_HEARTBEAT_TIMEOUT`; a death.
 */
export class HeartbeatTimeout extends TimeoutError {
  constructor(timeoutMs: number) {
    super(timeoutMs, `the heartbeat got no answer within ${timeoutMs} ms`);
    (this as { code: string }).code = 'ERR_HEARTBEAT_TIMEOUT';
  }
}

/**
 * A call routed through the detector took longer than `operationDeadlineMs`.
 * Code `ERR_OPERATION_DEADLINE`; a death (the session is aborted).
 */
export class OperationDeadlineExceeded extends TimeoutError {
  constructor(timeoutMs: number) {
    super(timeoutMs, `the operation did not finish within its deadline of ${timeoutMs} ms`);
    (this as { code: string }).code = 'ERR_OPERATION_DEADLINE';
  }
}

/**
 * The default death checker (see the file comment for the table).
 * @example
 * defaultDeathChecker(new ConnectionLost()) // true
 * defaultDeathChecker(deadlockError)        // false (SQLSTATE 40P01)
 */
export function defaultDeathChecker(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_ROLLBACK_FAILED') return rollbackFailedIsDeath(error);
  if (code === 'ERR_COMMIT_OUTCOME_UNKNOWN') return defaultDeathChecker(error.cause); // the link died under the COMMIT
  if (code === 'ERR_CONNECTION_FAILED') return ((error as { errors?: unknown[] }).errors ?? []).some(defaultDeathChecker);
  const sqlstate = (error as { sqlstate?: unknown }).sqlstate;
  if (typeof sqlstate === 'string') return sqlstate.startsWith('08') || DEATH_SQLSTATES.has(sqlstate);
  return typeof code === 'string' && DEATH_CODES.has(code);
}

function rollbackFailedIsDeath(error: Error): boolean {
  const original = (error as { originalError?: unknown }).originalError;
  return defaultDeathChecker(error.cause) || defaultDeathChecker(original);
}
