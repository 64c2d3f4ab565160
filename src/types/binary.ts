/**
 * Binary-format codecs where they pay: integers, floats, bool, bytea, uuid
 * (timestamps are in datetime.ts).
 *
 * PostgreSQL's binary format is big-endian. Integers are assembled from bytes
 * directly (no DataView per field); floats go through one module-level
 * scratch buffer, so decoding allocates nothing but the result. A field of
 * the wrong length is a {@link TypeParseError}.
 */
import { TypeParseError, badParam } from './errors';
import { copyBytes, toHex } from './text';
import { byteaBytes } from './scalars';

const scratch = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratch);
const scratchView = new DataView(scratch);
const TWO_32 = 4294967296;

function expectLength(typeName: string, bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new TypeParseError(typeName, toHex(bytes), `expected ${n} bytes, got ${bytes.length}`);
}

/** Reads a big-endian signed 32-bit integer at `at`. */
export function readInt32(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

/** Reads a big-endian unsigned 32-bit integer at `at`. */
export function readUint32(b: Uint8Array, at: number): number {
  return readInt32(b, at) >>> 0;
}

/** Reads a big-endian signed 64-bit integer at `at` as a double (exact below 2^53). */
export function readInt64Number(b: Uint8Array, at: number): number {
  return readInt32(b, at) * TWO_32 + readUint32(b, at + 4);
}

/** Reads a big-endian signed 64-bit integer at `at` exactly. */
export function readInt64(b: Uint8Array, at: number): bigint {
  const approx = readInt64Number(b, at);
  if (Number.isSafeInteger(approx)) return BigInt(approx);
  return (BigInt(readInt32(b, at)) << 32n) | BigInt(readUint32(b, at + 4));
}

/** Writes `n` as a big-endian 64-bit two's complement integer. */
export function int64Bytes(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, n);
  return out;
}

/** bool: one byte, 1 or 0. */
export function parseBoolBinary(b: Uint8Array): boolean {
  expectLength('bool', b, 1);
  return b[0] !== 0;
}

/** int2: two bytes, big-endian. */
export function parseInt2Binary(b: Uint8Array): number {
  expectLength('int2', b, 2);
  return ((b[0] << 24) | (b[1] << 16)) >> 16;
}

/** int4: four bytes, big-endian. */
export function parseInt4Binary(b: Uint8Array): number {
  expectLength('int4', b, 4);
  return readInt32(b, 0);
}

/** oid: four bytes, unsigned. */
export function parseOidBinary(b: Uint8Array): number {
  expectLength('oid', b, 4);
  return readUint32(b, 0);
}

/** int8: eight bytes, exact as a bigint. */
export function parseInt8Binary(b: Uint8Array): bigint {
  expectLength('int8', b, 8);
  return readInt64(b, 0);
}

/** float4: IEEE 754 single, big-endian. */
export function parseFloat4Binary(b: Uint8Array): number {
  expectLength('float4', b, 4);
  for (let i = 0; i < 4; i++) scratchBytes[i] = b[i];
  return scratchView.getFloat32(0);
}

/** float8: IEEE 754 double, big-endian. */
export function parseFloat8Binary(b: Uint8Array): number {
  expectLength('float8', b, 8);
  for (let i = 0; i < 8; i++) scratchBytes[i] = b[i];
  return scratchView.getFloat64(0);
}

/** bytea: the bytes themselves (copied out of the receive buffer). */
export function parseByteaBinary(b: Uint8Array): Buffer {
  return copyBytes(b);
}

/** uuid: 16 bytes, formatted as the lowercase 8-4-4-4-12 string. */
export function parseUuidBinary(b: Uint8Array): string {
  expectLength('uuid', b, 16);
  const h = HEX;
  return (
    h[b[0]] + h[b[1]] + h[b[2]] + h[b[3]] + '-' + h[b[4]] + h[b[5]] + '-' + h[b[6]] + h[b[7]] + '-' +
    h[b[8]] + h[b[9]] + '-' + h[b[10]] + h[b[11]] + h[b[12]] + h[b[13]] + h[b[14]] + h[b[15]]
  );
}

/** Two lowercase hex digits for each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Binary bytea parameter: the bytes as they are (a string as its UTF-8 bytes). */
export function serializeByteaBinary(value: unknown): Uint8Array {
  return byteaBytes(value);
}

/** Binary uuid parameter: 16 bytes from the textual uuid. */
export function serializeUuidBinary(value: unknown): Uint8Array {
  const hex = typeof value === 'string' ? value.replace(/[-{}]/g, '') : '';
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw badParam('uuid', value);
  return Buffer.from(hex, 'hex');
}
