import { Interval, serializeInterval } from '../../src/types/interval';
import { TypeParseError } from '../../src/types/errors';

const H = 3600000000n;

// Texts as printed by PostgreSQL 15 under IntervalStyle postgres and iso_8601.
const table: [string, string, Interval][] = [
  ['1 year 2 mons 3 days 04:05:06.789', 'P1Y2M3DT4H5M6.789S', new Interval(14, 3, 4n * H + 306789000n)],
  ['-1 years -2 mons +3 days -04:05:06.789', 'P-1Y-2M3DT-4H-5M-6.789S', new Interval(-14, 3, -(4n * H + 306789000n))],
  ['1 year 2 mons -3 days +04:05:06.5', 'P1Y2M-3DT4H5M6.5S', new Interval(14, -3, 4n * H + 306500000n)],
  ['00:00:00', 'PT0S', new Interval()],
  ['-00:00:00.000001', 'PT-0.000001S', new Interval(0, 0, -1n)],
  ['100:00:00', 'PT100H', new Interval(0, 0, 100n * H)],
  ['1 day', 'P1D', new Interval(0, 1, 0n)],
  ['-2147483648 days', 'P-2147483648D', new Interval(0, -2147483648, 0n)],
  ['2562047788:00:54.775807', 'PT2562047788H54.775807S', new Interval(0, 0, 9223372036854775807n)],
];

describe('Interval', () => {
  it.each(table)('parses the postgres style %j', (postgres, _iso, value) => {
    expect(Interval.parse(postgres)).toEqual(value);
  });

  it.each(table)('prints %j as ISO 8601 %j, as PostgreSQL does', (_postgres, iso, value) => {
    expect(value.toString()).toBe(iso);
  });

  it.each(table)('parses the iso_8601 style of %j', (_postgres, iso, value) => {
    expect(Interval.parse(iso)).toEqual(value);
  });

  it('parses weeks in ISO input', () => {
    expect(Interval.parse('P2W')).toEqual(new Interval(0, 14, 0n));
  });

  it.each(['', 'P', 'PT', '1 fortnight', '1', 'abc', '12:3'])('rejects %j with TypeParseError', (text) => {
    expect(() => Interval.parse(text)).toThrow(TypeParseError);
  });

  it('is built from calendar parts', () => {
    expect(Interval.from({ years: 1, months: -1, weeks: 1, days: 1, hours: 2, minutes: 3, seconds: -4.5 }))
      .toEqual(new Interval(11, 8, 2n * H + 180000000n - 4500000n));
  });

  it('compares field by field, so one day is not 24 hours', () => {
    expect(new Interval(0, 1, 0n).equals(new Interval(0, 1, 0n))).toBe(true);
    expect(new Interval(0, 1, 0n).equals(new Interval(0, 0, 24n * H))).toBe(false);
  });

  it('serializes Interval as ISO 8601 and strings as they are, refusing numbers', () => {
    expect(serializeInterval(new Interval(1, 0, 0n))).toBe('P1M');
    expect(serializeInterval('1 day')).toBe('1 day');
    expect(() => serializeInterval(5)).toThrow(/interval/);
  });
});
