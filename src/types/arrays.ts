/**
 * PostgreSQL array literals: `{1,2,NULL}`, `{{"a b","c\"d"},{e,f}}`,
 * `[0:1]={7,8}`.
 *
 * Theory of operation. The parser is one left-to-right pass with an explicit
 * stack of open sub-arrays (no recursion, so deep nesting cannot overflow the
 * call stack). Elements are quoted (`"..."`, backslash escapes any
 * character) or bare (up to the next delimiter or `}`, surrounding blanks
 * trimmed; a bare `NULL` in any case is SQL NULL, a quoted `"NULL"` is the
 * string). An optional dimension prefix `[lo:hi]...=` is skipped: JS arrays
 * start at 0. The delimiter is `,` for every built-in type except box (`;`).
 * Malformed text raises {@link TypeParseError}, never another error.
 *
 * The serializer always quotes elements, escaping `"` and `\`; that is valid
 * for every element type and never confuses `NULL` with the string 'NULL'.
 */
import { TypeParseError, badParam } from './errors';
import type { TypeOptions } from './record';

/** Parses one element's text (never called for NULL). */
export type ElementParser = (text: string, options: TypeOptions) => unknown;
/** Serializes one non-null element as text. */
export type ElementSerializer = (value: unknown) => string;

const START = 0, AFTER_ELEMENT = 1, AFTER_DELIMITER = 2;
const QUOTE = 34, BACKSLASH = 92, OPEN = 123, CLOSE = 125, BRACKET = 91;

function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Parser state for one literal. */
class Cursor {
  i = 0;
  constructor(readonly text: string, readonly typeName: string) {}
  fail(reason: string): never {
    throw new TypeParseError(this.typeName, this.text, `${reason} at offset ${this.i}`);
  }
  skipBlanks(): void {
    while (this.i < this.text.length && isBlank(this.text.charCodeAt(this.i))) this.i++;
  }
}

/**
 * Parses an array literal into nested JS arrays, each element through
 * `parseElement` (NULL elements become `null`).
 */
export function parseArray(
  text: string,
  parseElement: ElementParser,
  options: TypeOptions,
  delimiter = ',',
  typeName = 'array',
): unknown[] {
  const c = new Cursor(text, typeName);
  skipDimensions(c);
  c.skipBlanks();
  if (text.charCodeAt(c.i) !== OPEN) c.fail("expected '{'");
  c.i++;
  const root: unknown[] = [];
  const stack: unknown[][] = [root];
  const delim = delimiter.charCodeAt(0);
  // What may come next: an element or '}' (after '{'), a delimiter or '}'
  // (after an element), an element only (after a delimiter).
  let next = START;
  while (stack.length > 0) {
    c.skipBlanks();
    if (c.i >= text.length) c.fail('unexpected end');
    const ch = text.charCodeAt(c.i);
    const top = stack[stack.length - 1];
    if (ch === CLOSE && next !== AFTER_DELIMITER) {
      stack.pop();
      c.i++;
      next = AFTER_ELEMENT;
    } else if (next === AFTER_ELEMENT) {
      if (ch !== delim) c.fail(`expected '${delimiter}' or '}'`);
      c.i++;
      next = AFTER_DELIMITER;
    } else if (ch === OPEN) {
      const child: unknown[] = [];
      top.push(child);
      stack.push(child);
      c.i++;
      next = START;
    } else {
      top.push(ch === QUOTE ? parseElement(readQuoted(c), options) : readBare(c, delim, parseElement, options));
      next = AFTER_ELEMENT;
    }
  }
  c.skipBlanks();
  if (c.i !== text.length) c.fail('text after the array');
  return root;
}

function skipDimensions(c: Cursor): void {
  if (c.text.charCodeAt(0) !== BRACKET) return;
  const eq = c.text.indexOf('=');
  if (eq < 0 || !/^(\[-?\d+:-?\d+\])+$/.test(c.text.slice(0, eq).trim())) c.fail('bad dimension prefix');
  c.i = eq + 1;
}

function readQuoted(c: Cursor): string {
  const text = c.text;
  let out = '';
  let start = ++c.i;
  for (;;) {
    if (c.i >= text.length) c.fail('unterminated quoted element');
    const ch = text.charCodeAt(c.i);
    if (ch === QUOTE) break;
    if (ch === BACKSLASH) {
      out += text.slice(start, c.i);
      start = ++c.i;
      if (c.i >= text.length) c.fail('unterminated quoted element');
    }
    c.i++;
  }
  out += text.slice(start, c.i++);
  return out;
}

function readBare(c: Cursor, delim: number, parseElement: ElementParser, options: TypeOptions): unknown {
  const text = c.text;
  let out = '';
  let start = c.i;
  let escaped = false;
  while (c.i < text.length) {
    const ch = text.charCodeAt(c.i);
    if (ch === delim || ch === CLOSE) break;
    if (ch === OPEN || ch === QUOTE) c.fail('unexpected character in an element');
    if (ch === BACKSLASH) {
      out += text.slice(start, c.i);
      start = ++c.i;
      escaped = true;
    }
    c.i++;
  }
  if (c.i > text.length) c.fail('unterminated element');
  const raw = escaped ? out + text.slice(start, c.i) : text.slice(start, c.i).trimEnd();
  if (!escaped && raw.length === 4 && raw.toUpperCase() === 'NULL') return null;
  if (raw === '') c.fail('empty element');
  return parseElement(raw, options);
}

/**
 * Writes a JS array (nested for several dimensions) as an array literal;
 * `null`/`undefined` elements become NULL, others go through
 * `serializeElement` and are quoted.
 */
export function serializeArray(
  value: unknown,
  serializeElement: ElementSerializer,
  delimiter = ',',
  typeName = 'array',
): string {
  if (!Array.isArray(value)) throw badParam(typeName, value, 'expected an array');
  let out = '{';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += delimiter;
    const v: unknown = value[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (Array.isArray(v)) out += serializeArray(v, serializeElement, delimiter, typeName);
    else out += quoteElement(serializeElement(v));
  }
  return out + '}';
}

/** Quotes one element for an array literal, escaping `"` and `\`. */
export function quoteElement(text: string): string {
  // most elements (numbers, plain words) have nothing to escape: skip the regex
  if (text.indexOf('"') === -1 && text.indexOf('\\') === -1) return `"${text}"`;
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
