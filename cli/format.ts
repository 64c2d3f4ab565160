/**
 * How `query` prints a result: an aligned table (for a terminal), JSON lines
 * (one object per row, keyed by column name, for pipes) or CSV (RFC 4180).
 *
 * Theory of operation. Decoded values are first brought to one of two
 * shapes: text ({@link toText}: what the table and CSV show; NULL is null)
 * or JSON ({@link toJson}: numbers, booleans and arrays stay themselves,
 * bigints and dates become strings, bytea becomes `\x` hex as PostgreSQL
 * prints it). The table follows psql: a header, a rule, left-aligned cells,
 * NULL as empty, a `(N rows)` footer; control characters in a cell are
 * escaped so that every row stays on one line. CSV quotes a field when it
 * holds a comma, a quote, CR or LF (quotes doubled), writes NULL as an empty
 * unquoted field and an empty string as `""`, and ends lines with CRLF.
 */

/** One value in JSON form: what a JSON line holds for it. */
export function toJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

/** One value as text; null for SQL NULL. */
export function toText(value: unknown): string | null {
  const json = toJson(value);
  if (json === null) return null;
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/** A JSON line per row: `{"column": value, ...}` (a later duplicate column name wins). */
export function jsonLines(names: readonly string[], rows: readonly unknown[][]): string {
  return rows.map((row) => `${JSON.stringify(Object.fromEntries(names.map((n, i) => [n, toJson(row[i])])))}\n`).join('');
}

/** One CSV field (RFC 4180); NULL is an empty unquoted field. */
export function csvField(text: string | null): string {
  if (text === null) return '';
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: the header line, then one line per row, CRLF-terminated. */
export function csv(names: readonly string[], rows: readonly unknown[][]): string {
  const line = (fields: (string | null)[]): string => `${fields.map(csvField).join(',')}\r\n`;
  return line([...names]) + rows.map((row) => line(row.map(toText))).join('');
}

/** A cell of the table: control characters escaped, NULL empty. */
function cell(value: unknown): string {
  const text = toText(value) ?? '';
  return text.replace(/\p{Cc}/gu, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** An aligned table in psql's style, with a `(N rows)` footer. */
export function table(names: readonly string[], rows: readonly unknown[][]): string {
  const cells = rows.map((row) => row.map(cell));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i].length)));
  const line = (fields: readonly string[]): string => ` ${fields.map((f, i) => f.padEnd(widths[i])).join(' | ')}`.trimEnd();
  const rule = widths.map((w) => '-'.repeat(w + 2)).join('+');
  const footer = `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return [line(names), rule, ...cells.map(line), footer, ''].join('\n');
}
