/**
 * Results of one statement, and the row factories that shape rows.
 *
 * A {@link ResultCollector} is the {@link OpHandler} of one operation: it
 * decodes DataRows as they arrive (one pass, decoders chosen once per
 * RowDescription), remembers the command tag, and keeps the first server
 * error. When the operation's ReadyForQuery arrives it hands a
 * {@link QueryResult} or the error to its `done` callback. For a simple
 * Query holding several statements the last result set wins (as psycopg).
 */
import { databaseErrorFrom } from './errors/sqlstate.generated';
import type { BackendMessage, FieldDescription, FormatCode, TransactionStatus } from './protocol/messages';
import type { OpHandler } from './session';
import type { TypeRegistry } from './types/registry';
import { utf8Decode } from './util/bytes';

/** A column of a result, as in DB-API's `cursor.description`. */
export interface Column {
  name: string;
  typeOid: number;
  tableOid: number;
  columnAttr: number;
  typeSize: number;
  typeModifier: number;
  format: FormatCode;
}

/**
 * Builds a row from its decoded values. The default makes objects keyed by
 * column name; {@link tupleRowFactory} makes arrays (psycopg2 style).
 */
export type RowFactory<R = unknown> = (columns: readonly Column[]) => (values: unknown[]) => R;

/** Rows as objects keyed by column name (a later duplicate name wins). */
export const objectRowFactory: RowFactory<Record<string, unknown>> = (columns) => {
  const names = columns.map((c) => c.name);
  return (values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
    return row;
  };
};

/** Rows as arrays of values, in column order (txpostgres/psycopg2 tuples). */
export const tupleRowFactory: RowFactory<unknown[]> = () => (values) => values;

/** The outcome of one statement. */
export interface QueryResult<R = unknown> {
  rows: R[];
  columns: Column[] | null;
  /** The command tag, e.g. 'INSERT 0 3' (psycopg's statusmessage). */
  command: string | null;
  /** Rows affected or returned, from the tag; -1 when the tag has no count. */
  rowCount: number;
  /** The transaction status after the statement. */
  transactionStatus: TransactionStatus;
}

/** Parses the row count from a command tag ('SELECT 5', 'INSERT 0 3'). */
export function rowCountOf(tag: string | null): number {
  if (tag === null) return -1;
  const space = tag.lastIndexOf(' ');
  if (space < 0) return -1;
  const n = Number(tag.slice(space + 1));
  return Number.isInteger(n) ? n : -1;
}

/** How to turn the DataRows of one column list into rows: computed once per statement and row factory. */
export interface RowShape {
  readonly columns: Column[];
  readonly decoders: Array<(b: Uint8Array) => unknown>;
  readonly build: (values: unknown[]) => unknown;
  readonly rowFactory: RowFactory;
}

/** Computes the {@link RowShape} of `columns`. */
export function rowShape(columns: Column[], registry: TypeRegistry, rowFactory: RowFactory): RowShape {
  const decoders = columns.map((c) => registry.decoder(c.typeOid, c.format));
  return { columns, decoders, build: rowFactory(columns), rowFactory };
}

/** Options of a {@link ResultCollector}. */
export interface CollectorOptions {
  registry: TypeRegistry;
  rowFactory: RowFactory;
  /** The SQL text, for error context. */
  sql: string;
  /** The row shape known in advance (a cached statement executed without Describe). */
  shape?: RowShape | null;
  /** Called with each RowDescription/ParameterDescription, for the statement cache. */
  describe?: (msg: BackendMessage) => void;
  /** Called once with the result or the error; `status` is the transaction status after the operation (absent when the session ended). */
  done: (error: Error | null, result: QueryResult | null, status?: TransactionStatus) => void;
  /** Called for each row instead of collecting it (streaming). */
  onRow?: (row: unknown) => void;
  /** Requested result formats for a statement-level RowDescription (which reports text). */
  resultFormats?: (columns: FieldDescription[]) => FormatCode[];
}

/** Collects one operation's result; see the file comment. */
export class ResultCollector implements OpHandler {
  columns: Column[] | null = null;
  rows: unknown[] = [];
  command: string | null = null;
  error: Error | null = null;
  started?: () => void;
  private decoders: Array<(b: Uint8Array) => unknown> = [];
  private build: ((values: unknown[]) => unknown) | null = null;

  constructor(private readonly o: CollectorOptions) {
    if (o.shape) this.setShape(o.shape);
  }

  message(msg: BackendMessage): void {
    switch (msg.type) {
      case 'DataRow':
        return this.row(msg.fields);
      case 'RowDescription':
        this.o.describe?.(msg);
        return this.setShape(rowShape(this.columnsOf(msg.fields), this.o.registry, this.o.rowFactory));
      case 'CommandComplete':
        this.command = msg.tag;
        return;
      case 'EmptyQueryResponse':
        this.command = null;
        return;
      case 'ErrorResponse':
        if (this.error === null) this.error = databaseErrorFrom(msg.fields, { query: this.o.sql });
        return;
      case 'ParameterDescription':
      case 'NoData':
        this.o.describe?.(msg);
        return;
      default:
        return;
    }
  }

  ready(status: TransactionStatus): void {
    if (this.error !== null) return this.o.done(this.error, null, status);
    const result = { rows: this.rows, columns: this.columns, command: this.command, rowCount: rowCountOf(this.command), transactionStatus: status };
    this.o.done(null, result, status);
  }

  abort(error: Error): void {
    this.o.done(this.error ?? error, null);
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
  }
}
