/**
 * The vocabulary of the fake backend's scripts: columns, cells, results, and
 * the small pieces of server behaviour the emulation needs (command tags,
 * splitting a simple Query into statements, the types of `$n` parameters,
 * cells in the binary format a client asks for).
 *
 * Cells are written as text, the way psql shows them; when the client asks
 * for a column in binary (as the driver does for integers, floats, booleans,
 * bytea and timestamps), {@link cellBytes} converts the text for the column's
 * type. Raw `Uint8Array` cells are sent as they are.
 */
import type { BackendMessage, FieldDescription, FormatCode, RawFields } from '../protocol/messages';
import { ArrayOid, Oid } from '../types/oids';
import { fromHex, utf8Encode } from '../util/bytes';

/** The name of a built-in type, for {@link FieldSpec}'s `type` (e.g. `'int4'`, `'timestamptz'`). */
export type TypeName = keyof typeof Oid;

/**
 * A column: a bare name (a `text` column), or a partial description with a
 * `name` and either a `type` name or a `typeOid`.
 */
export type FieldSpec = string | (Partial<FieldDescription> & { name: string; type?: TypeName });

/** A cell: text (sent as UTF-8, or converted when the client asked for binary), raw bytes, or NULL. */
export type Cell = string | Uint8Array | null;

/** Where a scripted error happens in the extended protocol: at Parse, at Bind, or (default) at Execute. */
export type ErrorPhase = 'parse' | 'bind' | 'execute';

/** A successful result: columns, rows, command tag, and (extended protocol) the parameter types. */
export interface RowsSpec {
  /** The columns; none means the statement returns no rows (NoData). */
  fields?: FieldSpec[];
  /** The rows, one cell per column. */
  rows?: Cell[][];
  /** The CommandComplete tag (default from the SQL: `SELECT n`, `INSERT 0 n`, `CREATE TABLE`, ...). */
  tag?: string;
  /** The parameter types the server reports (default: from `$n::type` casts in the SQL, else text). */
  paramTypes?: number[];
}

/** A failing result: the ErrorResponse fields (`C` the SQLSTATE, `M` the message, ...). */
export interface ErrorSpec {
  error: RawFields;
  /** When to fail in the extended protocol (default `'execute'`). */
  at?: ErrorPhase;
  /** Columns the statement describes as (so it can be prepared before failing at Execute). */
  fields?: FieldSpec[];
  /** The parameter types the server reports. */
  paramTypes?: number[];
}

/** One statement's result: rows or an error. */
export type ResultSpec = RowsSpec | ErrorSpec;

/** Whether `r` is an {@link ErrorSpec}. */
export function isError(r: ResultSpec): r is ErrorSpec {
  return 'error' in r && r.error !== undefined;
}

/**
 * Builds a full FieldDescription; a bare name is a text column (OID 25).
 * @example field({ name: 'n', type: 'int4' })
 */
export function field(f: FieldSpec): FieldDescription {
  if (typeof f === 'string') return { name: f, tableOid: 0, columnAttr: 0, typeOid: Oid.text, typeSize: -1, typeModifier: -1, format: 0 };
  const { type, ...rest } = f;
  const typeOid = rest.typeOid ?? (type !== undefined ? Oid[type] : Oid.text);
  return { tableOid: 0, columnAttr: 0, typeSize: TYPE_SIZE.get(typeOid) ?? -1, typeModifier: -1, format: 0, ...rest, typeOid };
}

/**
 * An ErrorResponse with sensible defaults (severity ERROR, SQLSTATE XX000,
 * message "error"); `fields` override them.
 */
export function errorResponse(fields: RawFields): BackendMessage {
  return { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: 'XX000', M: 'error', ...fields } };
}

/** The SQLSTATE 57014 fields a server sends for a statement stopped by a CancelRequest. */
export const QUERY_CANCELED: RawFields = { C: '57014', M: 'canceling statement due to user request' };

const TYPE_SIZE = new Map<number, number>([
  [Oid.bool, 1], [Oid.int2, 2], [Oid.int4, 4], [Oid.int8, 8], [Oid.oid, 4], [Oid.float4, 4], [Oid.float8, 8],
  [Oid.timestamp, 8], [Oid.timestamptz, 8], [Oid.date, 4], [Oid.uuid, 16],
]);

/**
 * The bytes of one cell in `format` for a column of `typeOid`: text as UTF-8;
 * binary converted from the text for bool, int2, int4, int8, oid, float4,
 * float8, bytea, timestamp and timestamptz. Raw bytes and NULL pass through.
 * @throws Error when binary is asked for a type without a converter (send raw bytes then).
 */
export function cellBytes(c: Cell, typeOid: number, format: FormatCode): Uint8Array | null {
  if (c === null || c instanceof Uint8Array) return c;
  if (format === 0) return utf8Encode(c);
  const convert = BINARY.get(typeOid);
  if (convert === undefined) throw new Error(`FakeBackend: cannot send "${c}" in binary for type oid ${typeOid}; give the cell as a Uint8Array`);
  return convert(c);
}

function fixed(size: number, write: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  write(new DataView(out.buffer));
  return out;
}

function float(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'infinity') return Infinity;
  if (t === '-infinity') return -Infinity;
  return Number(text);
}

const POSTGRES_EPOCH_MS = 946_684_800_000;
const TIMESTAMP_RE = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/i;

/** Microseconds since 2000-01-01 UTC, the binary timestamp; a zone-less text is read as UTC. */
function timestampMicros(text: string): bigint {
  const t = text.trim().toLowerCase();
  if (t === 'infinity') return 0x7fffffffffffffffn;
  if (t === '-infinity') return -0x8000000000000000n;
  const m = TIMESTAMP_RE.exec(text.trim());
  if (m === null) throw new Error(`FakeBackend: cannot read "${text}" as a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]])`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const micros = BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  const offsetS = m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (+m[10] * 3600 + +(m[11] ?? 0) * 60 + +(m[12] ?? 0));
  return (BigInt(ms - POSTGRES_EPOCH_MS) - BigInt(offsetS) * 1000n) * 1000n + micros;
}

const BINARY = new Map<number, (text: string) => Uint8Array>([
  [Oid.bool, (t) => Uint8Array.of(/^(t|true|y|yes|on|1)$/i.test(t.trim()) ? 1 : 0)],
  [Oid.int2, (t) => fixed(2, (v) => v.setInt16(0, Number(t)))],
  [Oid.int4, (t) => fixed(4, (v) => v.setInt32(0, Number(t)))],
  [Oid.oid, (t) => fixed(4, (v) => v.setUint32(0, Number(t)))],
  [Oid.int8, (t) => fixed(8, (v) => v.setBigInt64(0, BigInt(t.trim())))],
  [Oid.float4, (t) => fixed(4, (v) => v.setFloat32(0, float(t)))],
  [Oid.float8, (t) => fixed(8, (v) => v.setFloat64(0, float(t)))],
  [Oid.bytea, (t) => (t.startsWith('\\x') ? fromHex(t.slice(2)) : utf8Encode(t))],
  [Oid.timestamp, (t) => fixed(8, (v) => v.setBigInt64(0, timestampMicros(t)))],
  [Oid.timestamptz, (t) => fixed(8, (v) => v.setBigInt64(0, timestampMicros(t)))],
]);

const TYPE_ALIASES: Record<string, TypeName> = {
  int: 'int4', integer: 'int4', smallint: 'int2', bigint: 'int8', boolean: 'bool', real: 'float4',
  float: 'float8', decimal: 'numeric', character: 'bpchar', timestamp: 'timestamp', timestamptz: 'timestamptz',
};

/** The OID of a type name as written in a cast (`int`, `int4`, `text[]`, ...); text when unknown. */
export function typeOidOf(name: string): number {
  const lower = name.toLowerCase();
  const isArray = lower.endsWith('[]');
  const base = isArray ? lower.slice(0, -2) : lower;
  const canonical = (TYPE_ALIASES[base] ?? base) as TypeName;
  if (isArray) return (ArrayOid as Record<string, number>)[canonical] ?? ArrayOid.text;
  return (Oid as Record<string, number>)[canonical] ?? Oid.text;
}

/**
 * The parameter types a server would infer for `sql`: one per `$n` up to the
 * highest n, the type of a `$n::type` cast when there is one, else text.
 */
export function inferParamTypes(sql: string): number[] {
  const types: number[] = [];
  for (const m of sql.matchAll(/\$(\d+)(?:\s*::\s*([A-Za-z_][\w]*(?:\[\])?))?/g)) {
    const i = Number(m[1]) - 1;
    while (types.length <= i) types.push(0);
    if (m[2] !== undefined) types[i] = typeOidOf(m[2]);
  }
  return types.map((t) => (t === 0 ? Oid.text : t));
}

/** The SQL with surrounding space trimmed and inner runs of whitespace collapsed (how scripts match SQL). */
export function normalizeSql(sql: string): string {
  return sql.trim().replace(/\s+/g, ' ');
}

/**
 * Splits a simple-Query string into its statements at top-level semicolons
 * (quotes, double quotes, dollar quotes and comments respected); empty
 * statements are dropped.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number): void => {
    const s = sql.slice(start, end).trim();
    if (stripComments(s) !== '') out.push(s);
  };
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      i = close < 0 ? sql.length : close + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]?\w*\$/.exec(sql.slice(i));
      if (tag === null) i++;
      else {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? sql.length : close + tag[0].length;
      }
    } else if (c === ';') {
      push(i);
      start = ++i;
    } else i++;
  }
  push(sql.length);
  return out;
}

function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim();
}

/** The leading keywords of a statement, upper-cased (`'ROLLBACK TO SAVEPOINT'`, `'SELECT'`). */
export function words(sql: string): string[] {
  return stripComments(sql).split(/[\s;(]+/).filter((w) => w !== '').map((w) => w.toUpperCase());
}

const COUNTED = new Set(['SELECT', 'UPDATE', 'DELETE', 'MERGE', 'FETCH', 'MOVE', 'COPY']);
const TWO_WORDS = new Set(['CREATE', 'DROP', 'ALTER', 'DISCARD', 'START', 'REFRESH', 'GRANT', 'REVOKE']);

/**
 * The CommandComplete tag a server sends for `sql` returning `rows` rows:
 * `INSERT 0 n`, `SELECT n` (also for any statement with columns),
 * `UPDATE n`, ..., `CREATE TABLE`, or the first keyword.
 */
export function defaultTag(sql: string, rows: number, hasFields: boolean): string {
  const w = words(sql);
  const first = w[0] ?? '';
  if (first === 'INSERT') return `INSERT 0 ${rows}`;
  if (COUNTED.has(first)) return `${first} ${rows}`;
  if (hasFields) return `SELECT ${rows}`;
  if (first === 'END') return 'COMMIT';
  if (first === 'ABORT') return 'ROLLBACK';
  if (TWO_WORDS.has(first) && w[1] !== undefined) {
    if (first === 'CREATE' && (w[1] === 'UNIQUE' || w[1] === 'OR' || w[1] === 'TEMP' || w[1] === 'TEMPORARY')) return `CREATE ${w[w[1] === 'OR' ? 3 : 2] ?? ''}`.trim();
    return `${first} ${w[1]}`;
  }
  return first;
}
