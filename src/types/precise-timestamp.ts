/**
 * PreciseTimestamp: a point in time with the microsecond resolution of
 * PostgreSQL's timestamp types, which a JS `Date` (milliseconds) cannot hold.
 *
 * It is an exact count of microseconds since 1970-01-01 00:00:00 UTC as a
 * `bigint`. Registries give it instead of `Date` when
 * `registry.options.timestamps = 'precise'`; it is also accepted as a
 * timestamp parameter, so a value read back can be written back unchanged.
 */
import { formatTimestampText } from './timestamp-format';

const THOUSAND = 1000n;

/** A UTC instant with microsecond precision. */
export class PreciseTimestamp {
  /** Microseconds since the Unix epoch (negative before 1970). */
  readonly epochMicroseconds: bigint;

  constructor(epochMicroseconds: bigint) {
    this.epochMicroseconds = epochMicroseconds;
  }

  /** The instant of `date`, plus `extraMicroseconds` (0..999) below the millisecond. */
  static fromDate(date: Date, extraMicroseconds = 0): PreciseTimestamp {
    return new PreciseTimestamp(BigInt(date.getTime()) * THOUSAND + BigInt(extraMicroseconds));
  }

  /** The whole milliseconds since the epoch (floored). */
  get epochMilliseconds(): number {
    return Number(floorDiv(this.epochMicroseconds, THOUSAND));
  }

  /** The microseconds below the millisecond, 0..999. */
  get subMillisecondMicroseconds(): number {
    return Number(this.epochMicroseconds - floorDiv(this.epochMicroseconds, THOUSAND) * THOUSAND);
  }

  /** A `Date` truncated to the millisecond. */
  toDate(): Date {
    return new Date(this.epochMilliseconds);
  }

  /** PostgreSQL's ISO text, e.g. `2024-01-02 03:04:05.123456+00` (`... BC` before year 1). */
  toPostgres(): string {
    return formatTimestampText(this.epochMilliseconds, this.subMillisecondMicroseconds);
  }

  /** ISO 8601 with six fractional digits, e.g. `2024-01-02T03:04:05.123456Z`. */
  toISOString(): string {
    const iso = this.toDate().toISOString();
    return `${iso.slice(0, -1)}${String(this.subMillisecondMicroseconds).padStart(3, '0')}Z`;
  }

  /** Same as {@link toISOString}. */
  toString(): string {
    return this.toISOString();
  }

  /** `JSON.stringify` writes the ISO form. */
  toJSON(): string {
    return this.toISOString();
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}
