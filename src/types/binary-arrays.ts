/**
 * The binary format of arrays and ranges.
 *
 * Theory of operation. An array is sent as: int32 dimension count, int32
 * has-nulls flag, uint32 element oid, (int32 length, int32 lower bound) per
 * dimension, then each element as an int32 length (-1 for NULL) and its
 * bytes in the element type's binary format. Elements are decoded with the
 * element record's `parseBinary` straight from views into the field, so an
 * array of n integers costs n small reads instead of a character-level
 * parse of its text. As in the text path, lower bounds are ignored (JS arrays
 * start at 0), a multi-dimensional array becomes nested arrays and an empty
 * array is `[]`. A range is a flags byte and each finite bound as a
 * length-prefixed element value.
 */
import { TypeParseError } from './errors';
import { readInt32 } from './binary';
import { Range, type RangeBounds } from './ranges';
import { toHex } from './text';
import type { TypeOptions } from './record';

/** Decodes one non-NULL element from its binary bytes. */
export type BinaryElementParser = (bytes: Uint8Array, options: TypeOptions) => unknown;

/**
 * Decodes one non-NULL element at `b[at, at + len)` without making a view
 * (a `subarray` per element costs more than decoding a fixed-width value).
 */
export type ElementReader = (b: Uint8Array, at: number, len: number, options: TypeOptions) => unknown;

/** An {@link ElementReader} over a view-taking parser. */
export function viewReader(parse: BinaryElementParser): ElementReader {
  return (b, at, len, options) => parse(b.subarray(at, at + len), options);
}

const MAX_DIMS = 6;

/** Walks the element area of one array field. */
class Walk {
  at: number;
  constructor(readonly b: Uint8Array, start: number, readonly typeName: string) {
    this.at = start;
  }
  fail(reason: string): never {
    throw new TypeParseError(this.typeName, toHex(this.b), reason);
  }
  int32(): number {
    if (this.at + 4 > this.b.length) this.fail('unexpected end');
    const n = readInt32(this.b, this.at);
    this.at += 4;
    return n;
  }
}

/** Parses a binary array field into nested JS arrays (NULL elements are `null`). */
export function parseArrayBinary(b: Uint8Array, parseElement: ElementReader, options: TypeOptions, typeName = 'array'): unknown[] {
  const w = new Walk(b, 0, typeName);
  const ndim = w.int32();
  w.int32(); // has-nulls flag
  w.int32(); // element oid
  if (ndim < 0 || ndim > MAX_DIMS) w.fail(`bad dimension count ${ndim}`);
  if (ndim === 0) {
    if (w.at !== b.length) w.fail('bytes after an empty array');
    return [];
  }
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < ndim; i++) {
    const n = w.int32();
    w.int32(); // lower bound
    total *= n;
    if (n < 0 || total * 4 > b.length) w.fail(`bad dimension length ${n}`);
    dims.push(n);
  }
  const out = ndim === 1 ? elements(w, dims[0], parseElement, options) : level(w, dims, 0, parseElement, options);
  if (w.at !== b.length) w.fail(`${b.length - w.at} bytes left over`);
  return out;
}

function level(w: Walk, dims: readonly number[], depth: number, parseElement: ElementReader, options: TypeOptions): unknown[] {
  if (depth === dims.length - 1) return elements(w, dims[depth], parseElement, options);
  const out: unknown[] = new Array(dims[depth]);
  for (let i = 0; i < dims[depth]; i++) out[i] = level(w, dims, depth + 1, parseElement, options);
  return out;
}

function elements(w: Walk, n: number, parseElement: ElementReader, options: TypeOptions): unknown[] {
  const b = w.b;
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const len = w.int32();
    if (len === -1) {
      out[i] = null;
      continue;
    }
    if (len < 0 || w.at + len > b.length) w.fail(`bad element length ${len}`);
    out[i] = parseElement(b, w.at, len, options);
    w.at += len;
  }
  return out;
}

const RANGE_EMPTY = 0x01;
const RANGE_LB_INC = 0x02;
const RANGE_UB_INC = 0x04;
const RANGE_LB_INF = 0x08;
const RANGE_UB_INF = 0x10;

/** Parses a binary range field: flags, then each finite bound as a length-prefixed element. */
export function parseRangeBinary<T>(b: Uint8Array, parseElement: BinaryElementParser, options: TypeOptions, typeName = 'range'): Range<T> {
  const w = new Walk(b, 1, typeName);
  if (b.length < 1) w.fail('unexpected end');
  const flags = b[0];
  if ((flags & RANGE_EMPTY) !== 0) {
    if (b.length !== 1) w.fail('bytes after an empty range');
    return Range.empty();
  }
  const bound = (): T => {
    const len = w.int32();
    if (len < 0 || w.at + len > b.length) w.fail(`bad bound length ${len}`);
    const value = parseElement(b.subarray(w.at, w.at + len), options) as T;
    w.at += len;
    return value;
  };
  const lower = (flags & RANGE_LB_INF) !== 0 ? null : bound();
  const upper = (flags & RANGE_UB_INF) !== 0 ? null : bound();
  if (w.at !== b.length) w.fail(`${b.length - w.at} bytes left over`);
  const bounds = `${(flags & RANGE_LB_INC) !== 0 ? '[' : '('}${(flags & RANGE_UB_INC) !== 0 ? ']' : ')'}` as RangeBounds;
  return new Range(lower, upper, bounds);
}
