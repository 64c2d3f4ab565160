/**
 * Interval: PostgreSQL's `interval`, kept exactly as the server stores it.
 *
 * Theory of operation. An interval is three independent fields, because a
 * month is not a fixed number of days and a day is not always 24 hours (DST):
 * `months` (int32), `days` (int32) and `microseconds` (int64, a `bigint` so
 * it is exact over the whole range). We parse the `postgres` IntervalStyle
 * that the connection selects at startup (`1 year 2 mons -3 days +04:05:06.5`)
 * and the `iso_8601` style (`P1Y2M-3DT4H5M6.5S`); `toString()` writes ISO
 * 8601 with per-field signs, which PostgreSQL reads back under any style.
 */
import { TypeParseError, badParam } from './errors';

const US_PER_SECOND = 1000000n;
const US_PER_MINUTE = 60n * US_PER_SECOND;
const US_PER_HOUR = 60n * US_PER_MINUTE;
const CLOCK = /^([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const ISO = /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/;

/** The parts accepted by {@link Interval.from}; each may be negative; seconds may be fractional. */
export interface IntervalParts {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

/** A PostgreSQL interval: months, days and microseconds, each signed and independent. */
export class Interval {
  readonly months: number;
  readonly days: number;
  readonly microseconds: bigint;

  constructor(months = 0, days = 0, microseconds: bigint = 0n) {
    this.months = months;
    this.days = days;
    this.microseconds = microseconds;
  }

  /** Builds an interval from calendar parts, e.g. `Interval.from({ days: 1, hours: -2 })`. */
  static from(parts: IntervalParts): Interval {
    const months = (parts.years ?? 0) * 12 + (parts.months ?? 0);
    const days = (parts.weeks ?? 0) * 7 + (parts.days ?? 0);
    const time = BigInt(parts.hours ?? 0) * US_PER_HOUR + BigInt(parts.minutes ?? 0) * US_PER_MINUTE;
    return new Interval(months, days, time + secondsToMicros(String(parts.seconds ?? 0)));
  }

  /** Parses the `postgres` or `iso_8601` IntervalStyle; throws `TypeParseError` otherwise. */
  static parse(text: string): Interval {
    const parsed = text.startsWith('P') ? parseIso(text) : parsePostgres(text);
    if (parsed === null) throw new TypeParseError('interval', text, 'not a postgres or iso_8601 interval');
    return parsed;
  }

  /** ISO 8601 with per-field signs, e.g. `P1Y2M-3DT4H5M6.5S`; the zero interval is `PT0S`. */
  toString(): string {
    const date = isoDatePart(this.months, this.days);
    const time = isoTimePart(this.microseconds);
    return date === '' && time === '' ? 'PT0S' : `P${date}${time === '' ? '' : `T${time}`}`;
  }

  /** The text sent as a parameter: the ISO 8601 form. */
  toPostgres(): string {
    return this.toString();
  }

  /** `JSON.stringify` writes the ISO form. */
  toJSON(): string {
    return this.toString();
  }

  /** Field-wise equality (`1 day` is not `24 hours`, as in PostgreSQL's storage). */
  equals(other: Interval): boolean {
    return this.months === other.months && this.days === other.days && this.microseconds === other.microseconds;
  }
}

/** Exact microseconds of a decimal seconds string such as `-6.789`. */
function secondsToMicros(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, frac = ''] = text.replace(/^[+-]/, '').split('.');
  const us = BigInt(whole) * US_PER_SECOND + BigInt(frac.padEnd(6, '0').slice(0, 6));
  return negative ? -us : us;
}

function parsePostgres(text: string): Interval | null {
  const tokens = text.split(' ');
  let months = 0, days = 0, us = 0n;
  for (let i = 0; i < tokens.length; i++) {
    const clock = CLOCK.exec(tokens[i]);
    if (clock !== null) us += clockMicros(clock);
    else {
      const n = Number(tokens[i]), unit = tokens[++i];
      if (!Number.isInteger(n) || unit === undefined) return null;
      if (unit.startsWith('year')) months += n * 12;
      else if (unit.startsWith('mon')) months += n;
      else if (unit.startsWith('day')) days += n;
      else return null;
    }
  }
  return new Interval(months, days, us);
}

function clockMicros(m: RegExpExecArray): bigint {
  const us = BigInt(m[2]) * US_PER_HOUR + BigInt(m[3]) * US_PER_MINUTE + secondsToMicros(`${m[4]}.${m[5] ?? ''}`);
  return m[1] === '-' ? -us : us;
}

function parseIso(text: string): Interval | null {
  const m = ISO.exec(text);
  if (m === null || text === 'P' || text.endsWith('T')) return null;
  const int = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const time = BigInt(int(5)) * US_PER_HOUR + BigInt(int(6)) * US_PER_MINUTE + secondsToMicros(m[7] ?? '0');
  return new Interval(int(1) * 12 + int(2), int(3) * 7 + int(4), time);
}

function isoDatePart(months: number, days: number): string {
  const years = Math.trunc(months / 12), mons = months % 12;
  return (years ? `${years}Y` : '') + (mons ? `${mons}M` : '') + (days ? `${days}D` : '');
}

function isoTimePart(us: bigint): string {
  const sign = us < 0n ? '-' : '';
  const abs = us < 0n ? -us : us;
  const h = abs / US_PER_HOUR, m = (abs % US_PER_HOUR) / US_PER_MINUTE, s = abs % US_PER_MINUTE;
  const frac = s % US_PER_SECOND === 0n ? '' : `.${String(s % US_PER_SECOND).padStart(6, '0').replace(/0+$/, '')}`;
  const secs = s === 0n ? '' : `${sign}${s / US_PER_SECOND}${frac}S`;
  return (h ? `${sign}${h}H` : '') + (m ? `${sign}${m}M` : '') + secs;
}

/** Parses interval text for the registry. */
export function parseInterval(text: string): Interval {
  return Interval.parse(text);
}

/** Serializes an `Interval` (ISO 8601) or a string passed as is (`'1 day'`). */
export function serializeInterval(value: unknown): string {
  if (value instanceof Interval) return value.toString();
  if (typeof value === 'string') return value;
  throw badParam('interval', value);
}
