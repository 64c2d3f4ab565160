/**
 * int8 (bigint, oid 20) as the caller wants it: `bigint` (exact, the
 * default), `number` or `string`, per registry (`options.int8`).
 *
 * Theory of operation. The registry hands its {@link TypeOptions} to every
 * parse call, so the int8 record reads `options.int8` at decode time, in
 * the text format (int8[] elements, int8range bounds and composite fields
 * go through the same text parser) and the binary format (int8 columns of
 * cached statements) alike. `'number'` never loses precision silently: a
 * value outside Number's safe integers (beyond ±(2^53 - 1), i.e.
 * `Number.MAX_SAFE_INTEGER`) fails the decode with {@link UnsafeInteger},
 * which fails the query. `'string'` is the decimal text as the server
 * prints it, for JSON-bound services that must keep every digit.
 */
import { readInt32, readInt64, readInt64Number, readUint32 } from './binary';
import { UnsafeInteger, TypeParseError } from './errors';
import { toHex } from './text';
import type { Int8Mode, TypeOptions } from './record';

/** Text of at most this many characters is a safe integer whatever its digits ('-999999999999999' included). */
const ALWAYS_SAFE_LENGTH = 15;

/** Parses int8 text in the registry's {@link Int8Mode}. */
export function parseInt8(text: string, options: TypeOptions): bigint | number | string {
  const mode = options.int8;
  if (mode === 'number') return int8Number(text);
  if (mode === 'string') return text;
  return BigInt(text);
}

/** Parses the binary int8 (8 bytes, big-endian two's complement) in the registry's {@link Int8Mode}. */
export function parseInt8BinaryAs(b: Uint8Array, options: TypeOptions): bigint | number | string {
  if (b.length !== 8) throw new TypeParseError('int8', toHex(b), `expected 8 bytes, got ${b.length}`);
  const mode = options.int8;
  if (mode === 'bigint' || mode === undefined) return readInt64(b, 0);
  const n = readInt64Number(b, 0); // exact whenever it is a safe integer
  if (Number.isSafeInteger(n)) return mode === 'string' ? String(n) : n;
  const exact = (BigInt(readInt32(b, 0)) << 32n) | BigInt(readUint32(b, 4));
  if (mode === 'string') return exact.toString();
  throw new UnsafeInteger('int8', exact.toString());
}

/** The number of int8 text, or {@link UnsafeInteger} when it is beyond the safe integers. */
function int8Number(text: string): number {
  const n = +text;
  if (text.length <= ALWAYS_SAFE_LENGTH || Number.isSafeInteger(n)) return n;
  throw new UnsafeInteger('int8', text);
}

/** The int8 modes a registry accepts. */
export const INT8_MODES: readonly Int8Mode[] = ['bigint', 'number', 'string'];
