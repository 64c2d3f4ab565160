/**
 * Cursor: DB-API style access to the result of one statement at a time.
 *
 * `execute` fires with the cursor itself (txpostgres), after which the
 * `fetch*` methods read the buffered rows synchronously. A cursor made by
 * `conn.cursor()` queues its statements with the connection's other work; a
 * cursor handed to an interaction runs on the interaction's lease, so its
 * statements run inside the transaction. Subclass it (and pass a
 * `cursorFactory`) to add behaviour such as logging.
 */
import type { Lease, QueryOptions } from './lease';
import { Deferred, gatherResults } from '../defer';
import { InterfaceError } from '../errors/base';
import type { Column, QueryResult } from './rows';
import { quoteQualified, type Sql } from '../sql/compose';
import type { TypeRegistry } from '../types/registry';

/** The function run inside a transaction. */
export type Interaction<R, A extends unknown[]> = (cursor: Cursor, ...args: A) => R | PromiseLike<R>;

/** Transaction characteristics and retry policy. */
export interface InteractionOptions {
  isolationLevel?: 'serializable' | 'repeatable read' | 'read committed' | 'read uncommitted';
  readOnly?: boolean;
  deferrable?: boolean;
  /** Rerun after 40001/40P01: up to `attempts` runs in all, waiting `delayMs` × 2^n (capped at 1 s) between. */
  retry?: { attempts: number; delayMs?: number };
}

/** What a cursor needs of its connection (a Connection provides it). */
export interface CursorHost {
  /** The connection's type registry (a cursor's own types start as its clone). */
  readonly types: TypeRegistry;
  /** @internal Runs a statement through the queue, or on `lease`; fires with the full result. */
  query(sql: string | Sql, params: readonly unknown[], options: QueryOptions, lease: Lease | null): Deferred<QueryResult>;
  /** @internal An interaction on the connection (`lease` null), or a savepoint block on `lease`. */
  runInteractionOn<R, A extends unknown[]>(lease: Lease | null, options: InteractionOptions, fn: Interaction<R, A>, args: A): Deferred<R>;
}

/** Builds cursors; override to use a Cursor subclass (txpostgres' `cursorFactory`). */
export type CursorFactory = (connection: CursorHost, lease: Lease | null) => Cursor;

/** A cursor over one connection; see the file comment. */
export class Cursor {
  /** The rows of the last statement not fetched yet. */
  private rows: unknown[] = [];
  private position = 0;
  private result: QueryResult | null = null;
  private _closed = false;
  private ownTypes: TypeRegistry | null = null;

  /**
   * @param connection the connection the cursor runs on
   * @param lease the exclusive hold of an interaction, or null for a free-standing cursor
   */
  constructor(
    readonly connection: CursorHost,
    readonly lease: Lease | null = null,
  ) {}

  /** Columns of the last result (DB-API `description`), or null when it had none. */
  get description(): Column[] | null {
    return this.result?.columns ?? null;
  }

  /** Rows returned or affected by the last statement; -1 when unknown. */
  get rowcount(): number {
    return this.result?.rowCount ?? -1;
  }

  /** The command tag of the last statement (psycopg's `statusmessage`). */
  get statusmessage(): string | null {
    return this.result?.command ?? null;
  }

  /**
   * This cursor's own types (psycopg2's per-cursor scope): a clone of the
   * connection's registry, made on first access; registrations on it
   * (`registerType(record, cursor)`) apply to this cursor's statements only.
   */
  get types(): TypeRegistry {
    return (this.ownTypes ??= this.connection.types.clone());
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this._closed;
  }

  /** Runs one statement (`$1` placeholders); fires with this cursor. */
  execute(sql: string | Sql, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<this> {
    const early = this.check();
    if (early) return early;
    return this.connection.query(sql, params, this.withTypes(options), this.lease).addCallback((r) => this.take(r));
  }

  /** Runs one statement once per parameter list, all pipelined; fires with this cursor (the last result kept). */
  executemany(sql: string, paramsList: ReadonlyArray<readonly unknown[]>, options: QueryOptions = {}): Deferred<this> {
    const early = this.check();
    if (early) return early;
    const runs = paramsList.map((p) => this.connection.query(sql, p, this.withTypes(options), this.lease));
    return gatherResults(runs as Deferred<unknown>[], true).addCallback((all: unknown[]) => {
      const results = all as QueryResult[];
      const last = results[results.length - 1];
      this.take(last ?? emptyResult());
      if (this.result) this.result.rowCount = results.reduce((n, r) => n + Math.max(r.rowCount, 0), 0);
      return this;
    });
  }

  /** Calls a function by name with the given arguments (DB-API `callproc`); fires with this cursor. */
  callproc(name: string, params: readonly unknown[] = []): Deferred<this> {
    const args = params.map((_, i) => `$${i + 1}`).join(', ');
    return this.execute(`SELECT * FROM ${quoteQualified(name)}(${args})`, params);
  }

  /** The next row, or null when none is left. */
  fetchone<R = unknown>(): R | null {
    this.assertResult();
    return this.position < this.rows.length ? (this.rows[this.position++] as R) : null;
  }

  /** Up to `size` next rows (default 1). */
  fetchmany<R = unknown>(size = 1): R[] {
    this.assertResult();
    const out = this.rows.slice(this.position, this.position + size);
    this.position += out.length;
    return out as R[];
  }

  /** All remaining rows. */
  fetchall<R = unknown>(): R[] {
    this.assertResult();
    const out = this.position === 0 ? this.rows : this.rows.slice(this.position);
    this.position = this.rows.length;
    return out as R[];
  }

  /** Closes the cursor; later calls fail. Idempotent. */
  close(): void {
    this._closed = true;
    this.rows = [];
  }

  /**
   * A nested interaction on this cursor's transaction: a SAVEPOINT, released
   * on success and rolled back to on failure. Outside an interaction it is a
   * normal runInteraction on the connection.
   */
  runInteraction<R, A extends unknown[]>(fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.runInteractionWith({}, fn, ...args);
  }

  /** {@link runInteraction} with options (ignored for savepoints, except `retry`). */
  runInteractionWith<R, A extends unknown[]>(options: InteractionOptions, fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.connection.runInteractionOn(this.lease, options, fn, args);
  }

  /** `options` with this cursor's own types, when it has any. */
  private withTypes(options: QueryOptions): QueryOptions {
    if (this.ownTypes === null || typeof options !== 'object' || options === null || options.types !== undefined) return options;
    return { ...options, types: this.ownTypes };
  }

  private take(r: QueryResult): this {
    this.result = r;
    this.rows = r.rows;
    this.position = 0;
    return this;
  }

  private check(): Deferred<this> | null {
    if (!this._closed) return null;
    const d = new Deferred<this>();
    d.errback(new InterfaceError('the cursor is closed', { code: 'ERR_CURSOR_CLOSED' }));
    return d;
  }

  private assertResult(): void {
    if (this._closed) throw new InterfaceError('the cursor is closed', { code: 'ERR_CURSOR_CLOSED' });
    if (this.result === null) throw new InterfaceError('no results: execute a statement first', { code: 'ERR_NO_RESULTS' });
    if (this.result.columns === null) throw new InterfaceError('the last statement returned no rows', { code: 'ERR_NO_RESULTS' });
  }
}

function emptyResult(): QueryResult {
  return { rows: [], columns: null, command: null, rowCount: 0, transactionStatus: 'I' };
}
