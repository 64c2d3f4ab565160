/**
 * Binary column values of a pgoutput stream (`binary 'true'`) -> the same
 * JS values a query returns.
 *
 * Theory of operation. In binary mode pgoutput sends every column in its
 * type's binary send format, whether or not the client would ask for it;
 * the {@link TypeRegistry} reads the binary format only for the types where
 * that pays (integers, floats, bool, bytea, uuid, timestamps). For the other
 * built-in types this module turns the binary form into the server's
 * canonical text (`numeric_send` -> `'12.50'`, `date_send` -> `'2024-02-29'`,
 * ...) and hands it to the registry's text decoder, so a value, and any
 * parser a user registered for its oid, come out exactly as from a query.
 * Arrays and ranges of any element type the registry or this module can
 * read are assembled directly (their element values through the same
 * lookup). Types without a binary reading (`money`, whose text depends on
 * `lc_monetary`; user-defined types such as enums and composites) come back
 * as a copy of the bytes, as the registry does for unknown binary values.
 *
 * A value whose bytes do not fit its type throws a `TypeParseError`
 * naming the type.
 */
import { TypeParseError } from '../types/errors';
import { Interval } from '../types/interval';
import { ArrayOid, Oid } from '../types/oids';
import { Range, type RangeBounds } from '../types/ranges';
import type { TypeRegistry } from '../types/registry';
import { copyBytes, toHex } from '../types/text';
import { ByteReader, utf8Encode } from '../util/bytes';

/** Decodes the bytes of one non-NULL value. */
export type ValueDecoder = (bytes: Uint8Array) => unknown;

/** Types whose binary form is their text, as UTF-8. */
const TEXT_AS_IS: ReadonlySet<number> = new Set([Oid.text, Oid.varchar, Oid.bpchar, Oid.name, Oid.xml, Oid.json]);

/** Types whose binary form is a version byte (1) followed by their text. */
const VERSIONED_TEXT: ReadonlySet<number> = new Set([Oid.jsonb, Oid.jsonpath]);

/** Binary form -> the server's text form, for built-in types the registry reads as text only. */
const TO_TEXT: ReadonlyMap<number, (b: Uint8Array) => string> = new Map<number, (b: Uint8Array) => string>([
  [Oid.char, charText],
  [Oid.numeric, numericText],
  [Oid.date, dateText],
  [Oid.time, (b) => timeText(reader(b, 8))],
  [Oid.timetz, timetzText],
  [Oid.interval, intervalText],
  [Oid.bit, bitText],
  [Oid.varbit, bitText],
  [Oid.inet, (b) => inetText(b, false)],
  [Oid.cidr, (b) => inetText(b, true)],
  [Oid.macaddr, (b) => macText(b, 6)],
  [Oid.macaddr8, (b) => macText(b, 8)],
  [Oid.point, (b) => pointsText(reader(b, 16), 1)],
  [Oid.lseg, (b) => `[${pointsText(reader(b, 32), 2)}]`],
  [Oid.box, (b) => pointsText(reader(b, 32), 2)],
  [Oid.line, lineText],
  [Oid.circle, circleText],
  [Oid.path, pathText],
  [Oid.polygon, polygonText],
]);

/** The element type of each built-in range type. */
const RANGE_ELEMENTS: ReadonlyMap<number, number> = new Map([
  [Oid.int4range, Oid.int4], [Oid.int8range, Oid.int8], [Oid.numrange, Oid.numeric],
  [Oid.tsrange, Oid.timestamp], [Oid.tstzrange, Oid.timestamptz], [Oid.daterange, Oid.date],
]);

const BUILTIN_ARRAYS: ReadonlySet<number> = new Set(Object.values(ArrayOid));

/**
 * The decoder of binary values of type `oid` under `types`: the registry's
 * own binary decoder when the type has one; else, for built-in types, a
 * conversion to the text form read by the registry's text decoder (text-like
 * types pass their bytes straight through); arrays and built-in ranges
 * element by element; anything else as a copy of the bytes.
 */
export function binaryValueDecoder(types: TypeRegistry, oid: number): ValueDecoder {
  const record = types.get(oid);
  if (record?.parseBinary !== undefined) return types.decoder(oid, 1);
  const name = record?.name ?? `oid ${oid}`;
  if (TEXT_AS_IS.has(oid)) return types.decoder(oid, 0);
  if (VERSIONED_TEXT.has(oid)) return guarded(name, versionedText(types.decoder(oid, 0)));
  const toText = TO_TEXT.get(oid);
  if (toText !== undefined) {
    const parse = types.decoder(oid, 0);
    return guarded(name, (b) => parse(utf8Encode(toText(b))));
  }
  const element = RANGE_ELEMENTS.get(oid);
  if (element !== undefined) return guarded(name, rangeDecoder(types, element));
  if (BUILTIN_ARRAYS.has(oid) || record?.name.endsWith('[]') === true) return guarded(name, arrayDecoder(types));
  return copyBytes;
}

/** Wraps `decode` so that whatever it throws comes out as a TypeParseError naming the type. */
function guarded(name: string, decode: ValueDecoder): ValueDecoder {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (e) {
      if (e instanceof TypeParseError) throw e;
      throw new TypeParseError(name, toHex(bytes), e instanceof Error ? e.message : String(e), { cause: e });
    }
  };
}

/** A reader over `b` that must hold exactly `n` bytes. */
function reader(b: Uint8Array, n: number): ByteReader {
  if (b.length !== n) throw new Error(`expected ${n} bytes, got ${b.length}`);
  return new ByteReader(b);
}

function versionedText(parse: ValueDecoder): ValueDecoder {
  return (b) => {
    if (b.length < 1 || b[0] !== 1) throw new Error(`unsupported binary format version ${b[0]}`);
    return parse(b.subarray(1));
  };
}

// --- arrays and ranges ---

/** Arrays: ndim, has-null flag, element oid, (length, lower bound) per dimension, then Int32-length-prefixed elements. */
function arrayDecoder(types: TypeRegistry): ValueDecoder {
  const elements = new Map<number, ValueDecoder>();
  return (b) => {
    const r = new ByteReader(b);
    const ndim = r.i32();
    r.i32(); // has-null flag
    const elementOid = r.u32();
    if (ndim < 0 || ndim > 6) throw new Error(`bad dimension count ${ndim}`);
    const dims: number[] = [];
    for (let i = 0; i < ndim; i++) {
      const n = r.i32();
      if (n < 0 || n > r.remaining) throw new Error(`bad dimension length ${n}`);
      dims.push(n);
      r.i32(); // lower bound
    }
    let decode = elements.get(elementOid);
    if (decode === undefined) elements.set(elementOid, (decode = binaryValueDecoder(types, elementOid)));
    const out = ndim === 0 ? [] : arrayLevel(r, dims, 0, decode);
    if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left over`);
    return out;
  };
}

function arrayLevel(r: ByteReader, dims: readonly number[], level: number, decode: ValueDecoder): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < dims[level]; i++) {
    if (level + 1 < dims.length) {
      out.push(arrayLevel(r, dims, level + 1, decode));
      continue;
    }
    const n = r.i32();
    out.push(n === -1 ? null : decode(r.bytes(n)));
  }
  return out;
}

const RANGE_EMPTY = 0x01;
const RANGE_LB_INC = 0x02;
const RANGE_UB_INC = 0x04;
const RANGE_LB_INF = 0x08;
const RANGE_UB_INF = 0x10;

/** Ranges: a flags byte, then each finite bound as an Int32-length-prefixed element value. */
function rangeDecoder(types: TypeRegistry, elementOid: number): ValueDecoder {
  const element = binaryValueDecoder(types, elementOid);
  return (b) => {
    const r = new ByteReader(b);
    const flags = r.u8();
    if ((flags & RANGE_EMPTY) !== 0) {
      if (r.remaining !== 0) throw new Error('bytes after an empty range');
      return Range.empty();
    }
    const lower = (flags & RANGE_LB_INF) !== 0 ? null : element(r.bytes(r.i32()));
    const upper = (flags & RANGE_UB_INF) !== 0 ? null : element(r.bytes(r.i32()));
    if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left over`);
    const bounds = `${(flags & RANGE_LB_INC) !== 0 ? '[' : '('}${(flags & RANGE_UB_INC) !== 0 ? ']' : ')'}` as RangeBounds;
    return new Range(lower, upper, bounds);
  };
}

// --- scalars -> text ---

/** "char": one byte; the server prints bytes >= 0x80 as a backslash and three octal digits. */
function charText(b: Uint8Array): string {
  if (b.length > 1) throw new Error(`expected at most 1 byte, got ${b.length}`);
  if (b.length === 0 || b[0] === 0) return '';
  return b[0] < 0x80 ? String.fromCharCode(b[0]) : `\\${b[0].toString(8).padStart(3, '0')}`;
}

const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** numeric: digit count, weight, sign, display scale, then base-10000 digits. */
function numericText(b: Uint8Array): string {
  const r = new ByteReader(b);
  const ndigits = r.i16();
  const weight = r.i16();
  const sign = r.i16() & 0xffff;
  const dscale = r.i16();
  if (ndigits < 0 || dscale < 0 || r.remaining !== ndigits * 2) throw new Error('bad numeric header');
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  if (sign !== 0 && sign !== NUMERIC_NEG) throw new Error(`bad numeric sign 0x${sign.toString(16)}`);
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) {
    const d = r.i16();
    if (d < 0 || d > 9999) throw new Error(`bad numeric digit ${d}`);
    digits.push(d);
  }
  const digit = (i: number): number => (i >= 0 && i < ndigits ? digits[i] : 0);
  let text = sign === NUMERIC_NEG ? '-' : '';
  if (weight < 0) text += '0';
  for (let e = weight; e >= 0; e--) {
    const d = String(digit(weight - e));
    text += e === weight ? d : d.padStart(4, '0');
  }
  if (dscale > 0) {
    let fraction = '';
    for (let j = 1; fraction.length < dscale; j++) fraction += String(digit(weight + j)).padStart(4, '0');
    text += `.${fraction.slice(0, dscale)}`;
  }
  return text;
}

const DAYS_1970_TO_2000 = 10957;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** date: days since 2000-01-01 (INT32_MIN/MAX are -infinity/infinity). */
function dateText(b: Uint8Array): string {
  const days = reader(b, 4).i32();
  if (days === INT32_MAX) return 'infinity';
  if (days === INT32_MIN) return '-infinity';
  const { year, month, day } = civilFromDays(days + DAYS_1970_TO_2000);
  const ymd = `${String(year > 0 ? year : 1 - year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
  return year > 0 ? ymd : `${ymd} BC`;
}

/** Proleptic Gregorian year (astronomical: 0 is 1 BC), month and day of a count of days since 1970-01-01. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468; // days since 0000-03-01
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153); // months since March
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** time: microseconds since midnight -> `HH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped). */
function timeText(r: ByteReader): string {
  const micros = readInt64(r);
  if (micros < 0n || micros > 86400000000n) throw new Error(`time out of range: ${micros}`);
  const seconds = Number(micros / 1000000n);
  const fraction = Number(micros % 1000000n);
  const clock = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
  return fraction === 0 ? clock : `${clock}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

/** timetz: the time, then the zone in seconds west of UTC; printed as `+HH[:MM[:SS]]` east. */
function timetzText(b: Uint8Array): string {
  const r = reader(b, 12);
  const time = timeText(r);
  const east = -r.i32();
  const abs = Math.abs(east);
  let zone = `${east < 0 ? '-' : '+'}${pad2(Math.floor(abs / 3600))}`;
  if (abs % 3600 !== 0) zone += `:${pad2(Math.floor(abs / 60) % 60)}`;
  if (abs % 60 !== 0) zone += `:${pad2(abs % 60)}`;
  return time + zone;
}

/** interval: microseconds, days, months -> ISO 8601 (which the interval parser reads under any style). */
function intervalText(b: Uint8Array): string {
  const r = reader(b, 16);
  const micros = readInt64(r);
  const days = r.i32();
  const months = r.i32();
  return new Interval(months, days, micros).toString();
}

/** bit / varbit: the bit count, then the bits packed from the high bit. */
function bitText(b: Uint8Array): string {
  const r = new ByteReader(b);
  const nbits = r.i32();
  if (nbits < 0 || r.remaining !== Math.ceil(nbits / 8)) throw new Error(`bad bit length ${nbits}`);
  let text = '';
  for (let i = 0; i < nbits; i++) text += (b[4 + (i >> 3)] >> (7 - (i & 7))) & 1;
  return text;
}

const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;

/** inet / cidr: family, prefix bits, is-cidr flag, address length, address. `/bits` is shown unless an inet is a single host. */
function inetText(b: Uint8Array, cidr: boolean): string {
  const r = new ByteReader(b);
  const family = r.u8();
  const bits = r.u8();
  r.u8(); // is_cidr
  const size = r.u8();
  const v4 = family === PGSQL_AF_INET;
  if ((!v4 && family !== PGSQL_AF_INET6) || size !== (v4 ? 4 : 16) || r.remaining !== size || bits > size * 8) {
    throw new Error('bad inet header');
  }
  const address = r.bytes(size);
  const text = v4 ? Array.from(address).join('.') : ipv6Text(address);
  return cidr || bits !== size * 8 ? `${text}/${bits}` : text;
}

/** IPv6 text: hex groups, the longest run of two or more zero groups as `::`, an IPv4 tail for mapped/compatible forms. */
function ipv6Text(a: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a[i] << 8) | a[i + 1]);
  const zeros = longestZeroRun(words);
  const ipv4Tail = zeros.start === 0 && (zeros.length === 6 || (zeros.length === 7 && words[7] !== 1) || (zeros.length === 5 && words[5] === 0xffff));
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (zeros.length > 0 && i >= zeros.start && i < zeros.start + zeros.length) {
      if (i === zeros.start) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && ipv4Tail) return `${text}${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
    text += words[i].toString(16);
  }
  return zeros.length > 0 && zeros.start + zeros.length === 8 ? `${text}:` : text;
}

/** The first longest run of zero words (length 0 when none is at least two long). */
function longestZeroRun(words: readonly number[]): { start: number; length: number } {
  let best = { start: -1, length: 0 };
  let start = -1;
  for (let i = 0; i <= words.length; i++) {
    if (i < words.length && words[i] === 0) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start > best.length) best = { start, length: i - start };
    start = -1;
  }
  return best.length >= 2 ? best : { start: -1, length: 0 };
}

/** macaddr / macaddr8: the bytes as colon-separated lower-case hex. */
function macText(b: Uint8Array, n: number): string {
  if (b.length !== n) throw new Error(`expected ${n} bytes, got ${b.length}`);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A float8 as the server prints it (shortest exact form; `-0` keeps its sign). */
function floatText(r: ByteReader): string {
  const x = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 8).getFloat64(0);
  r.pos += 8; // bounds checked by the caller's exact-length reader
  return Object.is(x, -0) ? '-0' : String(x);
}

/** `n` points as `(x,y),(x,y)...`. */
function pointsText(r: ByteReader, n: number): string {
  const points: string[] = [];
  for (let i = 0; i < n; i++) points.push(`(${floatText(r)},${floatText(r)})`);
  return points.join(',');
}

function lineText(b: Uint8Array): string {
  const r = reader(b, 24);
  return `{${floatText(r)},${floatText(r)},${floatText(r)}}`;
}

function circleText(b: Uint8Array): string {
  const r = reader(b, 24);
  return `<${pointsText(r, 1)},${floatText(r)}>`;
}

/** path: a closed flag byte, a point count, the points; `(...)` closed, `[...]` open. */
function pathText(b: Uint8Array): string {
  const r = new ByteReader(b);
  const closed = r.u8() !== 0;
  const points = countedPoints(r);
  return closed ? `(${points})` : `[${points}]`;
}

function polygonText(b: Uint8Array): string {
  return `(${countedPoints(new ByteReader(b))})`;
}

function countedPoints(r: ByteReader): string {
  const n = r.i32();
  if (n < 0 || r.remaining !== n * 16) throw new Error(`bad point count ${n}`);
  return pointsText(r, n);
}

function readInt64(r: ByteReader): bigint {
  const high = r.i32();
  const low = r.u32();
  return (BigInt(high) << 32n) | BigInt(low);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
