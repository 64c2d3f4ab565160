/**
 * Codecs of the date/time types: date, time, timetz, timestamp, timestamptz.
 *
 * Theory of operation. The connection runs with DateStyle=ISO, so the text
 * forms are `2024-01-02`, `2024-01-02 03:04:05.123456+05:30` and
 * `0044-03-15 12:00:00+00 BC`. `date`, `time` and `timetz` stay strings (a
 * calendar date has no time zone to be shifted by). `timestamptz` and
 * `timestamp` become a `Date`, or a {@link PreciseTimestamp} keeping the
 * microseconds when the registry's `options.timestamps` is `'precise'`;
 * `timestamp` (without time zone) is read as UTC. `infinity` / `-infinity`
 * become the numbers `Infinity` / `-Infinity` in both modes.
 *
 * The binary form of timestamps is an int64 of microseconds since
 * 2000-01-01 00:00:00 UTC, with int64 max/min for ±infinity.
 */
import { TypeParseError, badParam } from './errors';
import { PreciseTimestamp } from './precise-timestamp';
import { formatDateText, formatTimestampText } from './timestamp-format';
import { readInt32, readInt64, readUint32 } from './binary';
import type { TypeOptions } from './record';

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;
/** Milliseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const PG_EPOCH_MS = 946684800000;
const PG_EPOCH_US = 946684800000000n;

/** A decoded timestamp: a Date, a PreciseTimestamp, or ±Infinity. */
export type TimestampValue = Date | PreciseTimestamp | number;

/** date: the text as PostgreSQL prints it (`YYYY-MM-DD`, `... BC`, `infinity`, `-infinity`). */
export function parseDate(text: string): string {
  return text;
}

/** Serializes a date: a string as is, a `Date` by its UTC calendar day, ±Infinity as `±infinity`. */
export function serializeDate(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return formatDateText(value);
  return serializeInfinity('date', value);
}

function serializeInfinity(typeName: string, value: unknown): string {
  if (value === Infinity) return 'infinity';
  if (value === -Infinity) return '-infinity';
  throw badParam(typeName, value);
}

/**
 * Parses timestamp/timestamptz text as a `Date` or, in precise mode, a
 * `PreciseTimestamp`; text without an offset is taken as UTC.
 */
export function parseTimestamp(text: string, options: TypeOptions): TimestampValue {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = TIMESTAMP.exec(text);
  if (m === null) throw new TypeParseError('timestamp', text, 'not an ISO timestamp');
  const fraction = (m[7] ?? '').padEnd(6, '0');
  const ms = utcMillis(m) + Number(fraction.slice(0, 3)) - offsetMillis(m);
  if (options.timestamps === 'date') return new Date(ms);
  return new PreciseTimestamp(BigInt(ms) * 1000n + BigInt(fraction.slice(3)));
}

function utcMillis(m: RegExpExecArray): number {
  const year = m[12] === undefined ? +m[1] : 1 - +m[1];
  if (year >= 100) return Date.UTC(year, +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const d = new Date(0); // Date.UTC maps years 0..99 to 1900..1999
  d.setUTCFullYear(year, +m[2] - 1, +m[3]);
  d.setUTCHours(+m[4], +m[5], +m[6], 0);
  return d.getTime();
}

function offsetMillis(m: RegExpExecArray): number {
  if (m[8] === undefined) return 0;
  const seconds = +m[9] * 3600 + +(m[10] ?? 0) * 60 + +(m[11] ?? 0);
  return (m[8] === '-' ? -seconds : seconds) * 1000;
}

/** Parses the binary timestamp (int64 µs since 2000-01-01) in the registry's mode. */
export function parseTimestampBinary(b: Uint8Array, options: TypeOptions): TimestampValue {
  if (b.length !== 8) throw new TypeParseError('timestamp', String(b.length), 'expected 8 bytes');
  const hi = readInt32(b, 0);
  if (hi === 0x7fffffff && readUint32(b, 4) === 0xffffffff) return Infinity;
  if (hi === -0x80000000 && readUint32(b, 4) === 0) return -Infinity;
  if (options.timestamps === 'precise') return new PreciseTimestamp(readInt64(b, 0) + PG_EPOCH_US);
  return new Date(floorMillis(hi, readUint32(b, 4)) + PG_EPOCH_MS);
}

/**
 * floor((hi * 2^32 + lo) / 1000) exactly: the microseconds of a far date
 * (beyond 2^53, about the year 2285) are not exact as one double, and
 * rounding them could carry into the next millisecond (9999-12-31
 * 23:59:59.999999 read as 10000-01-01). 2^32 = 1000 * 4294967 + 296.
 */
function floorMillis(hi: number, lo: number): number {
  return hi * 4294967 + Math.floor((hi * 296 + lo) / 1000);
}

/**
 * Serializes a timestamp parameter: a `Date` (UTC, `+00`), a
 * `PreciseTimestamp`, ±Infinity, or a string passed as is.
 */
export function serializeTimestamp(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw badParam('timestamp', value, 'invalid Date');
    return formatTimestampText(value.getTime(), 0);
  }
  if (value instanceof PreciseTimestamp) return value.toPostgres();
  if (typeof value === 'string') return value;
  return serializeInfinity('timestamp', value);
}

/** time and timetz stay strings (`HH:MM:SS[.ffffff][+HH[:MM]]`). */
export function parseTime(text: string): string {
  return text;
}
