/**
 * Binary send formats -> the server's canonical text, for the built-in
 * types whose JS value is that text (numeric, date, time, timetz, bit,
 * inet/cidr, macaddr, "char").
 *
 * Theory of operation. These types come back as strings, so their binary
 * decoder must build exactly the string the server's output function
 * prints (`numeric_send` -> `'12.50'`, `date_send` -> `'2024-02-29'`).
 * The records use these functions as `parseBinary` (so a pgoutput stream in
 * binary mode, which sends every column in binary, reads them), but ask
 * for text results: building the string costs more than the native UTF-8
 * slice of the text form (bench/decode-types.ts, docs/guide/performance.md).
 * {@link BINARY_TEXT} lets a reader of binary values (pgoutput) turn a
 * value into text for a user's text-only record of one of these oids.
 * A value of the wrong shape throws a plain `Error`; the registry's decoder
 * wraps it in a `TypeParseError` naming the type.
 */
import { readInt32, readUint32 } from './binary';
import { Oid } from './oids';

function expect(b: Uint8Array, n: number): void {
  if (b.length !== n) throw new Error(`expected ${n} bytes, got ${b.length}`);
}

function readInt16(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16)) >> 16;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "char": one byte; the server prints bytes >= 0x80 as a backslash and three octal digits. */
export function charText(b: Uint8Array): string {
  if (b.length > 1) throw new Error(`expected at most 1 byte, got ${b.length}`);
  if (b.length === 0 || b[0] === 0) return '';
  return b[0] < 0x80 ? String.fromCharCode(b[0]) : `\\${b[0].toString(8).padStart(3, '0')}`;
}

const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** numeric: digit count, weight, sign, display scale, then base-10000 digits -> `-12.50`, `NaN`, `Infinity`. */
export function numericText(b: Uint8Array): string {
  if (b.length < 8) throw new Error('bad numeric header');
  const ndigits = readInt16(b, 0);
  const weight = readInt16(b, 2);
  const sign = (b[4] << 8) | b[5];
  const dscale = readInt16(b, 6);
  if (ndigits < 0 || dscale < 0 || b.length !== 8 + ndigits * 2) throw new Error('bad numeric header');
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  if (sign !== 0 && sign !== NUMERIC_NEG) throw new Error(`bad numeric sign 0x${sign.toString(16)}`);
  const digit = (i: number): number => {
    if (i < 0 || i >= ndigits) return 0;
    const d = readInt16(b, 8 + 2 * i);
    if (d < 0 || d > 9999) throw new Error(`bad numeric digit ${d}`);
    return d;
  };
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

/** date: days since 2000-01-01 (INT32_MIN/MAX are -infinity/infinity) -> `YYYY-MM-DD[ BC]`. */
export function dateText(b: Uint8Array): string {
  expect(b, 4);
  const days = readInt32(b, 0);
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

/** Microseconds since midnight at `at` -> `HH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped). */
function clockText(b: Uint8Array, at: number): string {
  const micros = readInt32(b, at) * 4294967296 + readUint32(b, at + 4); // at most 86,400,000,000: exact
  if (micros < 0 || micros > 86400000000) throw new Error(`time out of range: ${micros}`);
  const seconds = Math.floor(micros / 1000000);
  const fraction = micros % 1000000;
  const clock = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
  return fraction === 0 ? clock : `${clock}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

/** time: int64 microseconds since midnight. */
export function timeText(b: Uint8Array): string {
  expect(b, 8);
  return clockText(b, 0);
}

/** timetz: the time, then the zone in seconds west of UTC; printed as `+HH[:MM[:SS]]` east. */
export function timetzText(b: Uint8Array): string {
  expect(b, 12);
  const east = -readInt32(b, 8);
  const abs = Math.abs(east);
  let zone = `${east < 0 ? '-' : '+'}${pad2(Math.floor(abs / 3600))}`;
  if (abs % 3600 !== 0) zone += `:${pad2(Math.floor(abs / 60) % 60)}`;
  if (abs % 60 !== 0) zone += `:${pad2(abs % 60)}`;
  return clockText(b, 0) + zone;
}

/** bit / varbit: the bit count, then the bits packed from the high bit. */
export function bitText(b: Uint8Array): string {
  const nbits = b.length >= 4 ? readInt32(b, 0) : -1;
  if (nbits < 0 || b.length - 4 !== Math.ceil(nbits / 8)) throw new Error(`bad bit length ${nbits}`);
  let text = '';
  for (let i = 0; i < nbits; i++) text += (b[4 + (i >> 3)] >> (7 - (i & 7))) & 1;
  return text;
}

const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;

/** inet / cidr: family, prefix bits, is-cidr flag, address length, address. `/bits` is shown unless an inet is a single host. */
function inetText(b: Uint8Array, cidr: boolean): string {
  const family = b[0];
  const bits = b[1];
  const size = b[3];
  const v4 = family === PGSQL_AF_INET;
  if (b.length < 4 || (!v4 && family !== PGSQL_AF_INET6) || size !== (v4 ? 4 : 16) || b.length !== 4 + size || bits > size * 8) {
    throw new Error('bad inet header');
  }
  const address = b.subarray(4);
  const text = v4 ? `${address[0]}.${address[1]}.${address[2]}.${address[3]}` : ipv6Text(address);
  return cidr || bits !== size * 8 ? `${text}/${bits}` : text;
}

/** inet: see inetText. */
export function inetValueText(b: Uint8Array): string {
  return inetText(b, false);
}

/** cidr: always with its `/bits`. */
export function cidrText(b: Uint8Array): string {
  return inetText(b, true);
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

/** macaddr: 6 bytes as colon-separated lower-case hex. */
export function macaddrText(b: Uint8Array): string {
  expect(b, 6);
  return macText(b);
}

/** macaddr8: 8 bytes as colon-separated lower-case hex. */
export function macaddr8Text(b: Uint8Array): string {
  expect(b, 8);
  return macText(b);
}

function macText(b: Uint8Array): string {
  let text = HEX[b[0]];
  for (let i = 1; i < b.length; i++) text += `:${HEX[b[i]]}`;
  return text;
}

/** Two lowercase hex digits for each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Binary -> text for the built-in types above: a reader of binary values
 * uses it when the registry's record for the oid has no `parseBinary` (a
 * user's text-only record), so the user's parser still sees the text.
 */
export const BINARY_TEXT: ReadonlyMap<number, (b: Uint8Array) => string> = new Map<number, (b: Uint8Array) => string>([
  [Oid.char, charText],
  [Oid.numeric, numericText],
  [Oid.date, dateText],
  [Oid.time, timeText],
  [Oid.timetz, timetzText],
  [Oid.bit, bitText],
  [Oid.varbit, bitText],
  [Oid.inet, inetValueText],
  [Oid.cidr, cidrText],
  [Oid.macaddr, macaddrText],
  [Oid.macaddr8, macaddr8Text],
]);
