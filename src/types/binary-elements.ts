/**
 * Offset readers of the built-in fixed-width and text-like binary formats,
 * for array elements: they decode `b[at, at + len)` in place, giving the
 * same value as the type's `parseBinary` on a view of those bytes.
 *
 * {@link elementReader} picks one only when the element record's
 * `parseBinary` is the built-in one (a user's record always goes through
 * its own `parseBinary`).
 */
import * as b from './binary';
import { parseTextBinary } from './binary-values';
import { viewReader, type ElementReader } from './binary-arrays';
import type { TypeRecord } from './record';

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Utf8Slice }).utf8Slice;
const scratch = new DataView(new ArrayBuffer(8));

function fixed(len: number, expected: number): void {
  if (len !== expected) throw new Error(`expected ${expected} bytes, got ${len}`);
}

const int4: ElementReader = (x, at, len) => {
  fixed(len, 4);
  return b.readInt32(x, at);
};
const int2: ElementReader = (x, at, len) => {
  fixed(len, 2);
  return ((x[at] << 24) | (x[at + 1] << 16)) >> 16;
};
const oid: ElementReader = (x, at, len) => {
  fixed(len, 4);
  return b.readUint32(x, at);
};
const bool: ElementReader = (x, at, len) => {
  fixed(len, 1);
  return x[at] !== 0;
};
const float4: ElementReader = (x, at, len) => {
  fixed(len, 4);
  scratch.setUint32(0, b.readUint32(x, at));
  return scratch.getFloat32(0);
};
const float8: ElementReader = (x, at, len) => {
  fixed(len, 8);
  scratch.setUint32(0, b.readUint32(x, at));
  scratch.setUint32(4, b.readUint32(x, at + 4));
  return scratch.getFloat64(0);
};
const text: ElementReader = (x, at, len) => utf8Slice.call(x, at, at + len);

const READERS = new Map<unknown, ElementReader>([
  [b.parseInt2Binary, int2],
  [b.parseInt4Binary, int4],
  [b.parseOidBinary, oid],
  [b.parseBoolBinary, bool],
  [b.parseFloat4Binary, float4],
  [b.parseFloat8Binary, float8],
  [parseTextBinary, text],
]);

/** The fastest reader giving what `record.parseBinary` gives (which must exist). */
export function elementReader(record: TypeRecord): ElementReader {
  const parse = record.parseBinary as NonNullable<TypeRecord['parseBinary']>;
  return READERS.get(parse) ?? viewReader(parse.bind(record));
}

/** Element parsers whose arrays pay in binary although the scalar is read as text (bench/decode-types.ts). */
const BINARY_ARRAY_ELEMENTS: ReadonlySet<unknown> = new Set([parseTextBinary]);

/**
 * Whether arrays of `record` ask for binary results: when the element
 * itself does, or its array walks faster in binary although the element
 * alone does not (text-like types: 1.3-2.7x; uuid[] and jsonb[] measured
 * slower or level in binary, so they stay text).
 */
export function binaryArrays(record: TypeRecord): boolean {
  return record.parseBinary !== undefined && (record.binaryResults === true || BINARY_ARRAY_ELEMENTS.has(record.parseBinary));
}
