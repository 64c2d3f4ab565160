/**
 * Rows: the result of one statement as callers see it ({@link QueryResult},
 * {@link Column}), the row factories that shape rows, and the
 * {@link RowShape} (decoders and row builder) computed once per column list
 * and row factory. The collector that fills them from the wire lives in
 * `collector.ts`.
 */
import type { FormatCode, TransactionStatus } from '../protocol/messages';
import type { TypeRegistry } from '../types/registry';

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

/** The row factory an option names: objects by default, tuples, or a custom factory. */
export function resolveRowFactory(f: RowFactory | 'object' | 'tuple' | undefined): RowFactory {
  if (f === undefined || f === 'object') return objectRowFactory;
  if (f === 'tuple') return tupleRowFactory;
  return f;
}
