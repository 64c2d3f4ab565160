/**
 * ResultCollector: the {@link OpHandler} of one operation.
 *
 * Theory of operation. It decodes DataRows as they arrive (one pass,
 * decoders chosen once per RowDescription, or known in advance from the
 * statement cache's {@link RowShape}), remembers the command tag, and keeps
 * the first server error. When the operation's ReadyForQuery arrives it
 * hands a {@link QueryResult} or the error to its `done` callback. For a
 * simple Query holding several statements the last result set stays the
 * result's rows (as psycopg), the last command tag its command, and every
 * statement's own rows, columns and tag are listed in `results` (built
 * only once a second statement completes: a single statement allocates
 * nothing for it). What the describing messages (ParameterDescription,
 * RowDescription, NoData) said goes down to `done` with the outcome, so the
 * statement cache records a statement prepared in the same batch from its
 * completion: the collector never reaches up into the cache mid-read.
 */
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import type { BackendMessage, FieldDescription, FormatCode, RawFields, TransactionStatus } from '../protocol/messages';
import type { OpHandler } from './session';
import type { TypeRegistry } from '../types/registry';
import { utf8Decode } from '../util/bytes';
import type { Prelude } from './prelude';
import { rowCountOf, rowShape, type Column, type QueryResult, type RowFactory, type RowShape, type StatementResult } from './rows';

/** What a statement's describing messages said: its parameter types and result columns (null: not described). */
export interface Described {
  paramTypes: number[] | null;
  fields: FieldDescription[] | null;
}

/** Options of a {@link ResultCollector}. */
export interface CollectorOptions {
  registry: TypeRegistry;
  rowFactory: RowFactory;
  /** The SQL text, for error context. */
  sql: string;
  /** The row shape known in advance (a cached statement executed without Describe). */
  shape?: RowShape | null;
  /**
   * Called once with the result or the error; `status` is the transaction
   * status after the operation (absent when the session ended), `described`
   * what its describing messages said (null when there were none).
   */
  done: (error: Error | null, result: QueryResult | null, status?: TransactionStatus, described?: Described | null) => void;
  /** Called for each row instead of collecting it (streaming). */
  onRow?: (row: unknown) => void;
  /** Requested result formats for a statement-level RowDescription (which reports text). */
  resultFormats?: (columns: FieldDescription[]) => FormatCode[];
  /**
   * An interaction's BEGIN sent in front of the statement (`prelude.ts`):
   * its CommandComplete is told to it and is no result of the operation.
   */
  prelude?: Prelude | null;
  /** Characters of a simple Query sent in front of the caller's SQL (`BEGIN;`): subtracted from an error's position. */
  positionShift?: number;
}

/** Collects one operation's result; see the file comment. */
export class ResultCollector implements OpHandler {
  columns: Column[] | null = null;
  rows: unknown[] = [];
  command: string | null = null;
  error: Error | null = null;
  started?: () => void;
  serverError?: (fields: RawFields) => void;
  private decoders: Array<(b: Uint8Array) => unknown> = [];
  private build: ((values: unknown[]) => unknown) | null = null;
  private described: Described | null = null;
  /** Whether the statement running now described its own rows (a RowDescription, or a shape known in advance). */
  private ownRows = false;
  /** Statements completed so far (CommandComplete or EmptyQueryResponse). */
  private completed = 0;
  /** The first statement's result while it is the only one (kept without allocating). */
  private firstRows: unknown[] | null = null;
  private firstColumns: Column[] | null = null;
  private firstCommand: string | null = null;
  /** Every statement's result, once a second one has completed. */
  private results: StatementResult[] | null = null;
  /** The prelude whose CommandComplete is still to come (see {@link CollectorOptions.prelude}). */
  private prelude: Prelude | null;

  constructor(private readonly o: CollectorOptions) {
    this.prelude = o.prelude ?? null;
    if (o.shape) this.setShape(o.shape);
  }

  message(msg: BackendMessage): void {
    switch (msg.type) {
      case 'DataRow':
        return this.row(msg.fields);
      case 'RowDescription':
        this.describedAs().fields = msg.fields;
        return this.setShape(rowShape(this.columnsOf(msg.fields), this.o.registry, this.o.rowFactory));
      case 'CommandComplete':
        if (this.prelude !== null) return this.preludeCompleted();
        this.command = msg.tag;
        return this.statementCompleted();
      case 'EmptyQueryResponse':
        this.command = null;
        return this.statementCompleted();
      case 'ErrorResponse':
        if (this.error === null) this.error = databaseErrorFrom(this.o.positionShift ? shifted(msg.fields, this.o.positionShift) : msg.fields, { query: this.o.sql });
        return;
      case 'ParameterDescription':
        this.describedAs().paramTypes = msg.typeOids;
        return;
      case 'NoData':
        this.describedAs(); // described, without columns: a statement that returns no rows (description null)
        return;
      default:
        return;
    }
  }

  ready(status: TransactionStatus): void {
    if (this.error !== null) return this.o.done(this.error, null, status, this.described);
    const result: QueryResult = { rows: this.rows, columns: this.columns, command: this.command, rowCount: rowCountOf(this.command), transactionStatus: status };
    if (this.results !== null) result.results = this.results;
    this.o.done(null, result, status, this.described);
  }

  abort(error: Error): void {
    this.o.done(this.error ?? error, null);
  }

  /**
   * One statement of the operation completed: remembered without allocating
   * while it is the first; from the second on, every statement's result
   * goes into `results` (a statement that described no rows has none).
   */
  private statementCompleted(): void {
    const rows = this.ownRows ? this.rows : null;
    const columns = this.ownRows ? this.columns : null;
    this.ownRows = false;
    if (++this.completed === 1) {
      this.firstRows = rows;
      this.firstColumns = columns;
      this.firstCommand = this.command;
      return;
    }
    if (this.results === null) this.results = [statementResult(this.firstRows, this.firstColumns, this.firstCommand)];
    this.results.push(statementResult(rows, columns, this.command));
  }

  private preludeCompleted(): void {
    this.prelude!.completed();
    this.prelude = null;
  }

  private describedAs(): Described {
    return (this.described ??= { paramTypes: null, fields: null });
  }

  /** Decodes one DataRow in a single pass (the hot path). */
  private row(fields: Array<Uint8Array | null>): void {
    if (this.error !== null) return;
    const decoders = this.decoders;
    const values = new Array(fields.length);
    try {
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i];
        values[i] = f === null ? null : decoders[i] !== undefined ? decoders[i](f) : utf8Decode(f);
      }
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      return;
    }
    const row = this.build === null ? values : this.build(values);
    if (this.o.onRow) this.o.onRow(row);
    else this.rows.push(row);
  }

  private columnsOf(fields: FieldDescription[]): Column[] {
    const formats = this.o.resultFormats?.(fields);
    return fields.map((f, i) => ({ ...f, format: formats ? (formats.length === 1 ? formats[0] : formats[i] ?? 0) : f.format }));
  }

  private setShape(shape: RowShape): void {
    this.columns = shape.columns;
    this.rows = [];
    this.decoders = shape.decoders;
    this.build = shape.build;
    this.ownRows = true;
  }
}

/** `fields` with the error position (P) moved back by `shift` characters, when it points past them. */
function shifted(fields: RawFields, shift: number): RawFields {
  const p = Number(fields.P);
  return fields.P !== undefined && p > shift ? { ...fields, P: String(p - shift) } : fields;
}

function statementResult(rows: unknown[] | null, columns: Column[] | null, command: string | null): StatementResult {
  return { rows: rows ?? [], columns, command, rowCount: rowCountOf(command) };
}
