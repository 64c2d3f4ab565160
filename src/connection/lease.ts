/**
 * Lease and query options: the vocabulary the connection, its cursors and
 * interactions share, kept below all three so their imports go one way
 * (connection -> interaction -> cursor -> lease).
 *
 * A {@link Lease} is the exclusive use of a connection, held by an
 * interaction, a COPY or a stream: its statements bypass the connection's
 * queue, keep their own call order, and record their server errors (an
 * interaction reads its block's first error there).
 */
import type { Command } from '../core/commands';
import type { Deferred } from '../defer';
import type { TypeRegistry } from '../types/registry';
import type { CompletionOrder } from './completion-order';
import type { RowFactory } from './rows';
import type { Prelude } from './prelude';
import type { OpHandler } from './session';
import type { ExecRequest } from './statements';

/** Per-call options of runQuery/runOperation/execute. */
export interface QueryOptions {
  /** Aborting the signal cancels the query (a real CancelRequest when it runs). */
  signal?: AbortSignal;
  /** Client-side deadline in ms: the query is cancelled and fails with `TimeoutError`. */
  timeout?: number;
  /** Overrides the connection's row factory for this call. */
  rowFactory?: RowFactory | 'object' | 'tuple';
  /** Use the simple Query protocol (no parameters; several statements allowed). */
  simple?: boolean;
  /** Types for this call only (a cursor's own registry); the connection's by default. */
  types?: TypeRegistry;
}

/** The exclusive use of a connection, held by an interaction, a COPY or a stream. */
export interface Lease {
  /** Runs a request now, bypassing the queue. */
  execute(req: ExecRequest): void;
  /**
   * @internal Sends a raw protocol command on the held session (portals, COPY); each
   * handler receives one operation's messages. Throws when closed.
   */
  send(command: Command, ...handlers: OpHandler[]): void;
  /** Gives the connection back. */
  release(): void;
  /** The server errors of the statements run on this lease, in the order they happened. */
  readonly errors: readonly Error[];
  /** The call order of the lease's own statements (independent of the connection's queue). */
  readonly order: CompletionOrder;
  /** Cancels every statement of the lease still running or waiting (a cancelled interaction calls it before ROLLBACK). */
  cancelRunning(): void;
  /**
   * @internal An interaction's deferred BEGIN (`prelude.ts`), set when the
   * interaction starts: the lease's first statement carries it, later ones
   * wait while it is in flight and fail once it has failed. Null: none.
   */
  prelude: Prelude | null;
}

/** A lease's internal side: the Deferreds of its statements still pending, in call order (see `util/in-order.ts`). */
export interface LeaseState extends Lease {
  readonly pending: Array<Deferred<unknown>>;
}
