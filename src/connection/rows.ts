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

/**
 * Rows as objects keyed by column name (a later duplicate name wins, at the
 * first one's place; every name, `__proto__` too, is an own data property).
 *
 * The builder for a column list is compiled once (and cached by the list of
 * names) into one object literal, `{ "a": v[0], "b": v[1] }`: V8 then makes
 * each row from one prepared shape instead of adding the properties one by
 * one (bench: 10 columns 245 -> 110 ns per row, 2 columns 90 -> 27). Where
 * code generation is refused (a Content Security Policy without
 * 'unsafe-eval'), rows are built property by property, with the same result.
 */
export const objectRowFactory: RowFactory<Record<string, unknown>> = (columns) => {
  const names = columns.map((c) => c.name);
  return compiledBuilder(names) ?? loopBuilder(names);
};

type ObjectBuilder = (values: unknown[]) => Record<string, unknown>;

/** Builders compiled so far, by their names joined with NUL (which no column name holds). */
const compiled = new Map<string, ObjectBuilder>();
/** Distinct column lists kept compiled; past it the cache starts over. */
const MAX_COMPILED = 500;
/** Column counts beyond which rows are built in a loop (a literal that large gains nothing). */
const MAX_COMPILED_COLUMNS = 256;
let codegenRefused = false;

function compiledBuilder(names: readonly string[]): ObjectBuilder | null {
  if (codegenRefused || names.length > MAX_COMPILED_COLUMNS) return null;
  const key = names.join('\0');
  let build = compiled.get(key);
  if (build !== undefined) return build;
  // A computed key for __proto__ (a literal one would set the prototype); JSON.stringify quotes every name.
  const props = names.map((n, i) => `${n === '__proto__' ? `[${JSON.stringify(n)}]` : JSON.stringify(n)}: v[${i}]`);
  try {
    build = new Function('v', `"use strict"; return { ${props.join(', ')} };`) as ObjectBuilder;
  } catch {
    codegenRefused = true;
    return null;
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(key, build);
  return build;
}

function loopBuilder(names: readonly string[]): ObjectBuilder {
  return (values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name === '__proto__') Object.defineProperty(row, name, { value: values[i], writable: true, enumerable: true, configurable: true });
      else row[name] = values[i];
    }
    return row;
  };
}

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
  /**
   * Each statement's own result, in order, when one simple Query ran
   * several (`'SELECT 1; SELECT 2'`); absent for a single statement.
   */
  results?: StatementResult<R>[];
}

/** One statement's result: its rows, columns, command tag and row count. */
export interface StatementResult<R = unknown> {
  /** Its rows ([] for a statement that returns none). */
  readonly rows: R[];
  /** Its columns, or null for a statement that returns no rows. */
  readonly columns: Column[] | null;
  /** Its command tag, e.g. 'INSERT 0 3'; null for an empty query. */
  readonly command: string | null;
  /** Rows affected or returned, from the tag; -1 when the tag has no count. */
  readonly rowCount: number;
}

/**
 * What `runQuery` fires with besides the rows themselves: read-only,
 * non-enumerable properties of the rows array (so `toEqual`,
 * `JSON.stringify`, spreading and `console.log` see the rows only, and a
 * copy such as `rows.slice()` or `rows.map(...)` does not carry them).
 * For a string of several statements (simple Query) the rows are the last
 * result set's, as before, `command` and `rowCount` the last statement's,
 * and `results` lists every statement.
 */
export interface QueryResultInfo<R = unknown> {
  /** The command tag of the (last) statement, e.g. 'SELECT 5', 'UPDATE 3'; null for an empty query. */
  readonly command: string | null;
  /** Rows returned or affected by the (last) statement, from its tag; -1 when the tag has no count (e.g. 'CREATE TABLE'). */
  readonly rowCount: number;
  /** Every statement's result (its rows, columns, tag and count), in order: one entry for a single statement. */
  readonly results: readonly StatementResult<R>[];
}

/** The rows `runQuery<R>` fires with: an array of `R` carrying {@link QueryResultInfo}. */
export type ResultRows<R> = R[] & QueryResultInfo<R>;

/** One statement's summary in an {@link OperationResult}. */
export interface StatementSummary {
  /** Its command tag, e.g. 'INSERT 0 3'; null for an empty query. */
  readonly command: string | null;
  /** Rows affected or returned, from the tag; -1 when the tag has no count. */
  readonly rowCount: number;
}

/**
 * What `runOperation` fires with (it fired with `undefined` before):
 * the command tag and row count of the (last) statement and a summary of
 * each statement; the rows are not kept.
 */
export interface OperationResult extends StatementSummary {
  /** Every statement's summary, in order: one entry for a single statement. */
  readonly results: readonly StatementSummary[];
}

/**
 * The rows of `r` carrying its {@link QueryResultInfo} as non-enumerable
 * properties (defined on `r.rows` itself, which is returned). Three
 * `Object.defineProperty` calls: about a microsecond per query, the cost
 * postgres.js pays for the same convenience; the columns are reached
 * through `results` rather than a fourth property.
 *
 * Measured (issue 15, Node 20, min of 10 rounds): the three calls take
 * about 600 ns; one shared descriptor object, one `Object.defineProperties`
 * and defining them before the rows are pushed are no cheaper (690, 2,100
 * and 620 ns): the cost is V8's define itself. An `Array` subclass with
 * getters on its prototype costs about 230 ns, but its rows would be
 * observably different (`constructor`, `util.inspect`'s `Name(n) [...]`,
 * `hasOwnProperty`, `assert.deepStrictEqual`'s prototype check), so the own
 * properties stay.
 */
export function resultRows<R>(r: QueryResult): ResultRows<R> {
  const rows = r.rows;
  Object.defineProperty(rows, 'command', { value: r.command, configurable: true });
  Object.defineProperty(rows, 'rowCount', { value: r.rowCount, configurable: true });
  Object.defineProperty(rows, 'results', { value: r.results ?? [statementResult(r)], configurable: true });
  return rows as ResultRows<R>;
}

/** The {@link OperationResult} of `r` (its rows dropped). */
export function operationResult(r: QueryResult): OperationResult {
  const results = r.results === undefined ? [summaryOf(r)] : r.results.map(summaryOf);
  return { command: r.command, rowCount: r.rowCount, results };
}

function statementResult<R>(r: QueryResult<R>): StatementResult<R> {
  return { rows: r.rows, columns: r.columns, command: r.command, rowCount: r.rowCount };
}

function summaryOf(r: StatementSummary): StatementSummary {
  return { command: r.command, rowCount: r.rowCount };
}

/**
 * Parses the row count from a command tag ('SELECT 5', 'INSERT 0 3'): the
 * digits after its last space, read in place (this runs once per statement:
 * no lastIndexOf, slice or Number); -1 for a tag without one ('BEGIN').
 */
export function rowCountOf(tag: string | null): number {
  if (tag === null) return -1;
  let count = 0;
  let scale = 1;
  for (let i = tag.length - 1; i >= 0; i--) {
    const c = tag.charCodeAt(i);
    if (c === 32) return i < tag.length - 1 ? count : -1;
    if (c < 48 || c > 57) return -1;
    count += (c - 48) * scale;
    scale *= 10;
  }
  return -1;
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
