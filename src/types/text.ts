/**
 * Fast UTF-8 and hex conversions for field bytes.
 *
 * Every text-format field passes through {@link utf8}, so it is tuned
 * (bench/decode-types.ts): short ASCII fields (numbers, booleans, dates) are
 * built with `String.fromCharCode`, which beats any native call below about
 * 16 bytes; longer ones go to Buffer's native `utf8Slice`, the fastest path
 * in Node (about twice `Buffer.from(...).toString()`, a little ahead of
 * `TextDecoder`). Both accept any `Uint8Array` view without copying.
 */

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
const nativeSlice = (Buffer.prototype as unknown as { utf8Slice: Utf8Slice }).utf8Slice;
const SHORT = 16;

/** Decodes UTF-8 bytes to a string (invalid sequences become U+FFFD). */
export function utf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n >= SHORT) return nativeSlice.call(bytes, 0, n);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c > 127) return nativeSlice.call(bytes, 0, n);
    s += String.fromCharCode(c);
  }
  return s;
}

/** Encodes a string as UTF-8 bytes. */
export function utf8Encode(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Lowercase hex digits of `bytes`, no prefix. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A copy of `bytes` as a Buffer (never a view: field bytes live in a reused receive buffer). */
export function copyBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}
