/**
 * Interval: PostgreSQL's `interval`, kept exactly as the server stores it.
 *
 * Theory of operation. An interval is three independent fields, because a
 * month is not a fixed number of days and a day is not always 24 hours (DST):
 * `months` (int32), `days` (int32) and `microseconds` (int64, a `bigint` so
 * it is exact over the whole range).
 *
 * The connection does not choose the server's IntervalStyle (a pooler such
 * as PgBouncer refuses startup parameters it does not know, and a session
 * may `SET IntervalStyle` at any time), so the parser reads all four, told
 * apart by their first character and their words:
 *
 * - `iso_8601` starts with `P`: `P1Y2M-3DT4H5M6.5S`;
 * - `postgres_verbose` starts with `@`: `@ 1 year 2 mons -3 days 4 hours 5
 *   mins 6.5 secs ago`, where a final `ago` negates every field;
 * - `postgres` has unit words and a clock: `1 year 2 mons -3 days +04:05:06.5`;
 * - `sql_standard` has none: `1-2` (years-months), `3 4:05:06` (days and a
 *   clock), `0`; a leading `-` applies to every field, unless each field
 *   carries its own sign (`-1-2 +3 -4:05:06.5`, printed for mixed signs).
 *
 * `toString()` writes ISO 8601 with per-field signs, which PostgreSQL reads
 * back under any style.
 */
import { TypeParseError, badParam } from './errors';

const US_PER_SECOND = 1000000n;
const US_PER_MINUTE = 60n * US_PER_SECOND;
const US_PER_HOUR = 60n * US_PER_MINUTE;
const CLOCK = /^([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const YEAR_MONTH = /^([+-])?(\d+)-(\d+)$/;
const DAYS = /^([+-])?(\d+)$/;
const SECONDS = /^[+-]?\d+(?:\.\d{1,6})?$/;
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

  /** Parses any IntervalStyle (see the file comment); throws `TypeParseError` otherwise. */
  static parse(text: string): Interval {
    const parsed = parseAnyStyle(text);
    if (parsed === null) throw new TypeParseError('interval', text, 'not an interval in any IntervalStyle');
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

/** Picks the style by its first character and its words; see the file comment. */
function parseAnyStyle(text: string): Interval | null {
  if (text.startsWith('P')) return parseIso(text);
  if (text.startsWith('@ ')) return parseVerbose(text.slice(2));
  return /[a-z]/.test(text) ? parseUnits(text.split(' ')) : parseSqlStandard(text);
}

/** Months, days and microseconds being added up. */
interface Fields {
  months: number;
  days: number;
  us: bigint;
}

/** `postgres_verbose` after its `@ `: `postgres` units (and `hours`, `mins`, `secs`), `0`, a final `ago`. */
function parseVerbose(text: string): Interval | null {
  if (text === '0') return new Interval();
  const tokens = text.split(' ');
  const ago = tokens[tokens.length - 1] === 'ago';
  const parsed = parseUnits(ago ? tokens.slice(0, -1) : tokens);
  if (parsed === null || !ago) return parsed;
  return new Interval(-parsed.months || 0, -parsed.days || 0, -parsed.microseconds);
}

/** Tokens of the `postgres` styles: clocks and `<number> <unit>` pairs. */
function parseUnits(tokens: string[]): Interval | null {
  const f: Fields = { months: 0, days: 0, us: 0n };
  for (let i = 0; i < tokens.length; i++) {
    const clock = CLOCK.exec(tokens[i]);
    if (clock !== null) f.us += clockMicros(clock);
    else if (!addUnit(f, tokens[i], tokens[++i])) return null;
  }
  return new Interval(f.months, f.days, f.us);
}

/** Adds `<number> <unit>` (year, mon, day, hour, min, sec; singular or plural) to `f`; false when it is not one. */
function addUnit(f: Fields, number: string, unit: string | undefined): boolean {
  const name = unit?.replace(/s$/, '');
  if (name === 'sec') {
    if (!SECONDS.test(number)) return false;
    f.us += secondsToMicros(number);
    return true;
  }
  if (!DAYS.test(number)) return false;
  const n = BigInt(number);
  if (name === 'year') f.months += Number(n) * 12;
  else if (name === 'mon') f.months += Number(n);
  else if (name === 'day') f.days += Number(n);
  else if (name === 'hour') f.us += n * US_PER_HOUR;
  else if (name === 'min') f.us += n * US_PER_MINUTE;
  else return false;
  return true;
}

/**
 * `sql_standard`: `[Y-M] [D] [H:MM:SS[.f]]`, or `0`. A field without a sign
 * takes the first field's: `-3 4:05:06` is minus 3 days and minus 4 hours.
 */
function parseSqlStandard(text: string): Interval | null {
  if (text === '0') return new Interval();
  const tokens = text.split(' ');
  const negative = tokens[0].startsWith('-');
  const f: Fields = { months: 0, days: 0, us: 0n };
  let i = 0;
  const ym = YEAR_MONTH.exec(tokens[i]);
  if (ym !== null) {
    f.months = signed(ym[1], negative, Number(ym[2]) * 12 + Number(ym[3]));
    i++;
  }
  const d = tokens.length - i === 2 ? DAYS.exec(tokens[i]) : null;
  if (d !== null) {
    f.days = signed(d[1], negative, Number(d[2]));
    i++;
  }
  const clock = i === tokens.length - 1 ? CLOCK.exec(tokens[i]) : null;
  if (clock !== null) {
    f.us = clockMicros(clock, clock[1] === undefined && negative ? '-' : undefined);
    i++;
  }
  return i === tokens.length && i > 0 ? new Interval(f.months, f.days, f.us) : null;
}

/** `n` with its own sign, else (none printed) the first field's. */
function signed(sign: string | undefined, negative: boolean, n: number): number {
  const minus = sign === '-' || (sign === undefined && negative);
  return minus ? -n || 0 : n;
}

/** The microseconds of a clock `[+-]H:MM:SS[.f]`; `sign` overrides the clock's own (sql_standard's shared sign). */
function clockMicros(m: RegExpExecArray, sign = m[1]): bigint {
  const us = BigInt(m[2]) * US_PER_HOUR + BigInt(m[3]) * US_PER_MINUTE + secondsToMicros(`${m[4]}.${m[5] ?? ''}`);
  return sign === '-' ? -us : us;
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
