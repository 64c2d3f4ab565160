/**
 * runInteraction: BEGIN; fn(cursor, ...args); COMMIT; or ROLLBACK.
 *
 * Theory of operation (txpostgres' `runInteraction`, adbapi's
 * `_runInteraction`). The interaction first takes the connection
 * exclusively (a {@link Lease}), so nothing else runs between its BEGIN and
 * its COMMIT. Any failure (BEGIN, the function, a cancellation, COMMIT)
 * leads to ROLLBACK and the *original* error; when the ROLLBACK fails too,
 * the result is `RollbackFailed` carrying the connection and the original
 * error. The steps form one Deferred chain, so cancelling the interaction's
 * Deferred cancels whichever step is running, which then rolls back.
 *
 * BEGIN costs no round trip of its own: it is a {@link Prelude} on the
 * lease, sent with the function's first statement in the same sync group
 * (its options with it), so the server skips that statement should BEGIN
 * fail, and later statements of the block are never sent then (see
 * `prelude.ts`). What the end of the block sends depends on how far BEGIN
 * got: nothing when no statement was issued (the function's value, or its
 * error, as it is: there is no transaction to end); nothing either when
 * BEGIN failed (the block fails: with the function's error, or, when the
 * function swallowed it, with 25P02 caused by BEGIN's error); else COMMIT,
 * or ROLLBACK, as below. When the function returns while BEGIN is still in
 * flight (it did not await its statements), that choice waits for BEGIN's
 * outcome.
 *
 * Nested inside another interaction (through the cursor it was given), an
 * interaction becomes a SAVEPOINT: released on success, rolled back to on
 * failure. Opt-in retries rerun the whole interaction after a serialization
 * failure or a deadlock (SQLSTATE 40001, 40P01), with bounded backoff.
 *
 * Success means the server committed. A statement of the block may fail and
 * the function may catch the error (or never await it) and return: the
 * transaction is then in the failed state, and the server answers COMMIT
 * with the tag `ROLLBACK` (or RELEASE SAVEPOINT with 25P02). The block then
 * fails with {@link InFailedSqlTransaction} (SQLSTATE 25P02) whose `cause`
 * is the block's first server error (recorded on the lease), never with the
 * function's value.
 *
 * Outcome unknown. A COMMIT handed to a live session whose answer never
 * comes (the session or the link ends first, or a cancel discards it) may
 * have committed: the interaction fails with {@link CommitOutcomeUnknown}
 * (cause: that error), which `retry` never reruns, and nothing is rolled
 * back. A COMMIT the server refused (an ERROR) rolled the transaction back,
 * and one that could not be sent (no session left) was never run: those
 * fail with their own error, as any other failure does.
 */
import type { ReactorTime } from '../../reactor/interfaces';
import type { Cursor, CursorFactory, CursorHost, Interaction, InteractionOptions } from './cursor';
import type { Lease } from './lease';
import { Prelude } from './prelude';
import { deferLater, Deferred, fail, maybeDeferred, succeed } from '../defer';
import { backoffIterator } from '../defer/retrying';
import { reportError } from '../defer/unhandled';
import { toError } from '../defer/failure';
import { CancelledError, CommitOutcomeUnknown, InterfaceError, RollbackFailed } from '../errors/base';
import { DatabaseError } from '../errors/database';
import { DeadlockDetected, InFailedSqlTransaction, SerializationFailure } from '../errors/sqlstate.generated';

export type { Interaction, InteractionOptions } from './cursor';

/** What an interaction needs of its connection (a Connection provides it). */
export interface InteractionHost extends CursorHost {
  /** Takes the connection exclusively. */
  acquire(): Deferred<Lease>;
  /** Builds the cursor handed to the function. */
  readonly cursorFactory: CursorFactory;
  /** No live session. */
  readonly closed: boolean;
  /** The clock of retry delays. */
  readonly reactor: ReactorTime;
}

/** The longest wait between two runs of a retried interaction. */
const MAX_RETRY_DELAY_MS = 1000;
let savepointCounter = 0;

/** Runs `fn` in a transaction (or a savepoint when `lease` is given); see the file comment. */
export function runInteraction<R, A extends unknown[]>(
  conn: InteractionHost,
  options: InteractionOptions,
  fn: Interaction<R, A>,
  args: A,
  lease?: Lease,
): Deferred<R> {
  const invalid = lease === undefined ? invalidOptions(options) : null;
  if (invalid !== null) return fail(invalid);
  const delayMs = options.retry?.delayMs ?? 10;
  const runs = Math.max(1, options.retry?.attempts ?? 1);
  if (runs === 1) return once(conn, options, fn, args, lease); // no retries: nothing to wait for between runs
  // the waits between runs: delayMs, then doubling, capped
  const delays: Iterator<number> = backoffIterator({ initialDelay: delayMs / 2, factor: 2, maxDelay: MAX_RETRY_DELAY_MS, jitter: 0, maxRetries: runs - 1, now: false });
  const attempt = (): Deferred<R> =>
    once(conn, options, fn, args, lease).addErrback((e: Error) => {
      const next = delays.next();
      if (next.done === true || !retryable(e)) throw e;
      return deferLater(conn.reactor, next.value, attempt);
    });
  return attempt();
}

/** One run: take the connection (or a savepoint), BEGIN, fn, COMMIT | ROLLBACK. */
function once<R, A extends unknown[]>(conn: InteractionHost, options: InteractionOptions, fn: Interaction<R, A>, args: A, outer?: Lease): Deferred<R> {
  const acquired: Deferred<Lease> = outer ? succeed(outer) : conn.acquire();
  return acquired.addCallback((lease: Lease) => {
    const nested = outer !== undefined;
    const sp = nested ? `tsp_sp_${++savepointCounter}` : '';
    const cursor = conn.cursorFactory(conn, lease);
    const begin = nested ? `SAVEPOINT ${sp}` : beginStatement(options);
    const commit = nested ? `RELEASE SAVEPOINT ${sp}` : 'COMMIT';
    const rollback = nested ? `ROLLBACK TO SAVEPOINT ${sp}` : 'ROLLBACK';
    const firstError = lease.errors.length;
    const blockFailed = (serverError?: Error): Error => inFailedTransaction(lease.errors[firstError] ?? serverError, nested);
    // a transaction's BEGIN goes out with its first statement (prelude.ts); a savepoint is set at once
    const prelude = nested ? null : (lease.prelude = new Prelude(begin));
    const call = (): Deferred<R> => maybeDeferred(fn, cursor, ...args);
    // a savepoint runs the function once it is set; a transaction's BEGIN waits for the first statement, so the function runs now
    const run = (nested ? cursor.execute(begin).addCallback(call) : call())
      .addCallbacks(
        (value: R) =>
          afterPrelude(conn.reactor, prelude, () => {
            if (prelude?.state === 'failed') throw beginFailed(prelude, blockFailed); // no transaction was opened: nothing to end
            if (prelude?.state === 'pending') return value; // no statement was sent: nothing to commit
            const sent = !conn.closed; // without a session, COMMIT is refused unsent: the server rolled back
            return cursor.execute(commit).addCallbacks(
              (c) => {
                if (c.statusmessage === 'ROLLBACK') throw blockFailed(); // the server ended the transaction: nothing to roll back
                return value;
              },
              (e: Error) => {
                if (!nested && sent && !answeredByServer(e)) throw new CommitOutcomeUnknown(e); // nothing left to roll back
                return rollbackAfter(conn, cursor, rollback, nested && isInFailed(e) ? blockFailed(e) : e);
              },
            );
          }),
        (original: Error) => {
          if (original instanceof CancelledError) lease.cancelRunning(); // a Promise-returning fn cannot pass the cancel on
          return afterPrelude(conn.reactor, prelude, () => {
            if (prelude !== null && !prelude.sent) throw original; // no transaction was opened: nothing to roll back
            return rollbackAfter(conn, cursor, rollback, original);
          });
        },
      );
    if (!nested) run.addFinally(() => lease.release());
    return run;
  });
}

/**
 * Runs `next` once the prelude is no longer in flight: at once when there is
 * none, or it is not (the function awaited its statements); else from the
 * reactor once it has settled (never inside the read handler that saw it).
 */
function afterPrelude<T>(reactor: ReactorTime, prelude: Prelude | null, next: () => T | Deferred<T>): Deferred<T> {
  if (prelude === null || prelude.state !== 'sent') return maybeDeferred(next);
  const settled = new Deferred<void>();
  prelude.whenSettled(() => reactor.callSoon(() => settled.callback(undefined)));
  return settled.addCallback(next);
}

/**
 * The error of a block whose function returned although BEGIN failed (it
 * swallowed the error of the statement that carried it): 25P02 caused by
 * BEGIN's error, or the link's own error when the session ended.
 */
function beginFailed(prelude: Prelude, blockFailed: (serverError?: Error) => Error): Error {
  return prelude.error instanceof DatabaseError ? blockFailed(prelude.error) : prelude.error!;
}

/** The error of a block the server did not commit: 25P02, caused by the block's first error. */
function inFailedTransaction(first: Error | undefined, nested: boolean): InFailedSqlTransaction {
  const what = nested ? 'the savepoint block' : 'the transaction';
  const why = first === undefined ? '' : `: ${first.message}`;
  return new InFailedSqlTransaction(
    { sqlstate: InFailedSqlTransaction.sqlstate, severity: 'ERROR', message: `${what} was rolled back by the server, since a statement in it failed${why}` },
    { cause: first },
  );
}

function isInFailed(e: Error): boolean {
  return e instanceof InFailedSqlTransaction;
}

/**
 * Whether a failed COMMIT was refused by the server (an ErrorResponse of
 * severity ERROR: the transaction was rolled back), as opposed to a COMMIT
 * whose answer never came (the link or the session ended: FATAL, end of
 * stream, socket error) or was discarded (cancelled, but the server did not
 * confirm stopping it). Only a refusal is a known outcome.
 */
function answeredByServer(e: Error): boolean {
  const refusal = (x: unknown): boolean => x instanceof DatabaseError && (x.severityNonLocalized ?? x.severity) === 'ERROR';
  return refusal(e) || (e instanceof CancelledError && refusal(e.cause));
}

/** A serialization failure or deadlock, itself or as the first error of a block the server rolled back. */
function retryable(e: Error): boolean {
  const conflict = (x: unknown): boolean => x instanceof SerializationFailure || x instanceof DeadlockDetected;
  return conflict(e) || (e instanceof InFailedSqlTransaction && conflict(e.cause));
}

/**
 * ROLLBACK, then the original error; RollbackFailed when ROLLBACK fails.
 * When the session is already gone there is nothing to roll back (the server
 * ended the transaction with the session): the original error, unchanged.
 */
function rollbackAfter(conn: InteractionHost, cursor: Cursor, rollback: string, original: Error): Deferred<never> {
  if (conn.closed) return fail(original);
  return maybeDeferred(() => cursor.execute(rollback)).addCallbacks(
    () => {
      throw original;
    },
    (rollbackError: Error) => {
      reportError(toError(rollbackError), undefined);
      throw new RollbackFailed(conn, original, rollbackError);
    },
  );
}

const ISOLATION_LEVELS: ReadonlySet<string> = new Set(['serializable', 'repeatable read', 'read committed', 'read uncommitted']);

/**
 * The error of transaction options the BEGIN could not carry (checked when
 * the interaction is called: BEGIN is sent only with the first statement,
 * and an interaction that issues none sends nothing), or null.
 */
function invalidOptions(o: InteractionOptions): InterfaceError | null {
  const bad = (what: string, value: unknown): InterfaceError =>
    new InterfaceError(`runInteraction: ${what} must be ${what === 'isolationLevel' ? "'serializable', 'repeatable read', 'read committed' or 'read uncommitted'" : 'a boolean'}, not ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`, { code: 'ERR_INVALID_OPTION' });
  if (o === null || typeof o !== 'object') return new InterfaceError('runInteraction: the options must be an object', { code: 'ERR_INVALID_OPTION' });
  if (o.isolationLevel !== undefined && !(typeof o.isolationLevel === 'string' && ISOLATION_LEVELS.has(o.isolationLevel.toLowerCase()))) return bad('isolationLevel', o.isolationLevel);
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') return bad('readOnly', o.readOnly);
  if (o.deferrable !== undefined && typeof o.deferrable !== 'boolean') return bad('deferrable', o.deferrable);
  return null;
}

/** The BEGIN statement for the options. */
export function beginStatement(o: InteractionOptions): string {
  const parts = ['BEGIN'];
  if (o.isolationLevel) parts.push(`ISOLATION LEVEL ${o.isolationLevel.toUpperCase()}`);
  if (o.readOnly !== undefined) parts.push(o.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (o.deferrable !== undefined) parts.push(o.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return parts.join(' ');
}
