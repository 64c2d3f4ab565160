/**
 * Prelude: an interaction's BEGIN, deferred to its first statement.
 *
 * Theory of operation. An interaction does not send BEGIN on its own: it
 * hangs a Prelude on its lease, and the first statement sent on the lease
 * carries it in the same sync group (extended protocol: BEGIN's Parse, Bind
 * and Execute, then the statement's messages, then one Sync; simple
 * protocol: `BEGIN;` in front of the statement's text). The server skips
 * everything after an error up to the Sync (a simple Query stops at its
 * first error), so when BEGIN fails the statement it travels with never
 * runs, and never outside the transaction.
 *
 * States: `pending` (not sent: the next statement sent carries it), `sent`
 * (in flight with its statement), `done` (its CommandComplete arrived: the
 * transaction is open) and `failed` (the operation carrying it ended before
 * BEGIN completed: no transaction was opened, and the statement did not
 * run). While it is in flight the lease holds back its later statements
 * (they would run outside the transaction should BEGIN fail), and sends
 * them in order once it is done; once it has failed, later statements fail
 * without being sent ({@link Prelude.refusal}). A failed prelude is final:
 * the interaction fails, and ends nothing on the server.
 */
import { DatabaseError } from '../errors/database';
import { InFailedSqlTransaction } from '../errors/sqlstate.generated';

/** Where a prelude is; see the file comment. */
export type PreludeState = 'pending' | 'sent' | 'done' | 'failed';

/** An interaction's deferred BEGIN; see the file comment. */
export class Prelude {
  state: PreludeState = 'pending';
  /** Why it failed (the operation's first error), once `failed`. */
  error: Error | null = null;
  private waiting: Array<() => void> = [];

  /** @param sql the statement (BEGIN with its options): no parameters, no rows */
  constructor(readonly sql: string) {}

  /** Whether it was sent (a transaction is open, or may be: COMMIT or ROLLBACK must end it). */
  get sent(): boolean {
    return this.state === 'sent' || this.state === 'done';
  }

  /** The sender puts it in front of a statement now: it is in flight. Returns false (and sends nothing) unless pending. */
  take(): boolean {
    if (this.state !== 'pending') return false;
    this.state = 'sent';
    return true;
  }

  /** What took it was not sent after all (the session refused the command): pending again. */
  untake(): void {
    if (this.state === 'sent') this.state = 'pending';
  }

  /** Its CommandComplete arrived: the transaction is open. */
  completed(): void {
    if (this.state === 'sent') this.state = 'done';
  }

  /** The operation carrying it ended (`error`: its first error, or why it ended): failed unless it completed. */
  ended(error: Error | null): void {
    if (this.state !== 'sent') return;
    this.state = 'failed';
    this.error = error ?? new InFailedSqlTransaction({ sqlstate: InFailedSqlTransaction.sqlstate, severity: 'ERROR', message: 'BEGIN did not complete' });
  }

  /** Runs `fn` once the prelude is no longer in flight (at once when it is not). */
  whenSettled(fn: () => void): void {
    if (this.state === 'sent') this.waiting.push(fn);
    else fn();
  }

  /** Runs what waits for the prelude's outcome, in order (call after the carrying request was told). */
  release(): void {
    if (this.state === 'sent' || this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) fn();
  }

  /**
   * The error of a statement issued after the prelude failed: the link's own
   * error when the session ended (so a detector sees the death), else 25P02
   * caused by BEGIN's error, as a server in a failed transaction answers.
   */
  refusal(): Error {
    const cause = this.error!;
    if (!(cause instanceof DatabaseError)) return cause;
    return new InFailedSqlTransaction(
      { sqlstate: InFailedSqlTransaction.sqlstate, severity: 'ERROR', message: `the transaction did not begin: ${cause.message}` },
      { cause },
    );
  }
}
