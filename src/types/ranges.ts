/**
 * Range<T>: PostgreSQL's range types (int4range, int8range, numrange,
 * tsrange, tstzrange, daterange, and user ranges over any registered type).
 *
 * Theory of operation. Text form: `empty`, or a bound character `[`/`(`,
 * the lower bound, a comma, the upper bound, and `]`/`)`. A missing bound is
 * unbounded (`null` here); a bound may be quoted (`"..."`, with `""` or a
 * backslash escaping a quote). Bounds go through the element type's codec.
 * The server canonicalizes discrete ranges (`[1,5]` comes back `[1,6)`).
 */
import { TypeParseError, badParam } from './errors';
import type { ElementParser, ElementSerializer } from './arrays';
import type { TypeOptions } from './record';
import { inferText } from './infer';

/** Bound flags: `[` / `]` inclusive, `(` / `)` exclusive. */
export type RangeBounds = '[)' | '[]' | '(]' | '()';

/** A range of `T`; `null` bounds are unbounded. */
export class Range<T> {
  constructor(
    readonly lower: T | null,
    readonly upper: T | null,
    readonly bounds: RangeBounds = '[)',
    readonly isEmpty = false,
  ) {}

  /** The empty range. */
  static empty<T>(): Range<T> {
    return new Range<T>(null, null, '()', true);
  }

  /** Whether the lower bound is included (false when unbounded). */
  get lowerInc(): boolean {
    return !this.isEmpty && this.lower !== null && this.bounds[0] === '[';
  }

  /** Whether the upper bound is included (false when unbounded). */
  get upperInc(): boolean {
    return !this.isEmpty && this.upper !== null && this.bounds[1] === ']';
  }

  /** Whether there is no lower bound. */
  get lowerInf(): boolean {
    return !this.isEmpty && this.lower === null;
  }

  /** Whether there is no upper bound. */
  get upperInf(): boolean {
    return !this.isEmpty && this.upper === null;
  }

  /** The text form, bounds written by `serializeElement` (by default inferred from the JS value) and quoted. */
  toPostgres(serializeElement: ElementSerializer = inferText): string {
    if (this.isEmpty) return 'empty';
    const bound = (v: T | null): string => (v === null ? '' : quoteBound(serializeElement(v)));
    return `${this.bounds[0]}${bound(this.lower)},${bound(this.upper)}${this.bounds[1]}`;
  }
}

function quoteBound(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** Parses range text, each bound through `parseElement`. */
export function parseRange<T>(text: string, parseElement: ElementParser, options: TypeOptions, typeName = 'range'): Range<T> {
  if (text === 'empty') return Range.empty<T>();
  const open = text[0], close = text[text.length - 1];
  if ((open !== '[' && open !== '(') || (close !== ']' && close !== ')')) {
    throw new TypeParseError(typeName, text, 'expected a bound character');
  }
  const state = { i: 1 };
  const lower = readBound(text, state, typeName);
  if (text[state.i] !== ',') throw new TypeParseError(typeName, text, "expected ','");
  state.i++;
  const upper = readBound(text, state, typeName);
  if (state.i !== text.length - 1) throw new TypeParseError(typeName, text, 'text after the upper bound');
  const bound = (s: string | null): T | null => (s === null ? null : (parseElement(s, options) as T));
  return new Range<T>(bound(lower), bound(upper), `${open}${close}` as RangeBounds);
}

/** Reads one bound from `state.i`: null when unbounded, else its unescaped text. */
function readBound(text: string, state: { i: number }, typeName: string): string | null {
  const end = text.length - 1;
  let out = '';
  let quoted = false;
  for (; state.i < end; state.i++) {
    const ch = text[state.i];
    if (ch === '"') {
      if (quoted && text[state.i + 1] === '"') {
        out += '"';
        state.i++;
      } else quoted = !quoted;
    } else if (ch === '\\') {
      if (++state.i >= end) break;
      out += text[state.i];
    } else if (!quoted && ch === ',') break;
    else out += ch;
  }
  if (quoted) throw new TypeParseError(typeName, text, 'unterminated quoted bound');
  return out === '' && text[state.i - 1] !== '"' ? null : out;
}

/** Returns a serializer for a range over an element serializer; strings pass as is. */
export function rangeSerializer(typeName: string, serializeElement: ElementSerializer): (value: unknown) => string {
  return (value) => {
    if (value instanceof Range) return value.toPostgres(serializeElement);
    if (typeof value === 'string') return value;
    throw badParam(typeName, value);
  };
}
