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

// The same values as printed by PostgreSQL 15 under each IntervalStyle: postgres, postgres_verbose, sql_standard, iso_8601.
const styles: [string, string, string, string, Interval][] = [
  ['00:00:00', '@ 0', '0', 'PT0S', new Interval()],
  ['1 year 2 mons', '@ 1 year 2 mons', '1-2', 'P1Y2M', new Interval(14, 0, 0n)],
  ['-1 years -2 mons', '@ 1 year 2 mons ago', '-1-2', 'P-1Y-2M', new Interval(-14, 0, 0n)],
  ['3 days 04:05:06', '@ 3 days 4 hours 5 mins 6 secs', '3 4:05:06', 'P3DT4H5M6S', new Interval(0, 3, 4n * H + 306000000n)],
  ['-3 days -04:05:06', '@ 3 days 4 hours 5 mins 6 secs ago', '-3 4:05:06', 'P-3DT-4H-5M-6S', new Interval(0, -3, -(4n * H + 306000000n))],
  ['-1 years -2 mons +3 days -04:05:06.5', '@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs ago', '-1-2 +3 -4:05:06.5', 'P-1Y-2M3DT-4H-5M-6.5S', new Interval(-14, 3, -(4n * H + 306500000n))],
  ['1 year 2 mons 3 days 04:05:06', '@ 1 year 2 mons 3 days 4 hours 5 mins 6 secs', '+1-2 +3 +4:05:06', 'P1Y2M3DT4H5M6S', new Interval(14, 3, 4n * H + 306000000n)],
  ['-2 mons', '@ 2 mons ago', '-0-2', 'P-2M', new Interval(-2, 0, 0n)],
  ['00:00:00.5', '@ 0.5 secs', '0:00:00.5', 'PT0.5S', new Interval(0, 0, 500000n)],
  ['-00:00:00.5', '@ 0.5 secs ago', '-0:00:00.5', 'PT-0.5S', new Interval(0, 0, -500000n)],
  ['-00:00:01', '@ 1 sec ago', '-0:00:01', 'PT-1S', new Interval(0, 0, -1000000n)],
  ['00:01:00', '@ 1 min', '0:01:00', 'PT1M', new Interval(0, 0, 60000000n)],
  ['01:00:00', '@ 1 hour', '1:00:00', 'PT1H', new Interval(0, 0, H)],
  ['-1 days', '@ 1 day ago', '-1 0:00:00', 'P-1D', new Interval(0, -1, 0n)],
  ['1000000:00:00', '@ 1000000 hours', '1000000:00:00', 'PT1000000H', new Interval(0, 0, 1000000n * H)],
  ['1 day -00:00:01', '@ 1 day -1 sec', '+0-0 +1 -0:00:01', 'P1DT-1S', new Interval(0, 1, -1000000n)],
  ['-1 days +00:00:00.000001', '@ 1 day -0.000001 secs ago', '+0-0 -1 +0:00:00.000001', 'P-1DT0.000001S', new Interval(0, -1, 1n)],
  ['1 mon -1 days', '@ 1 mon -1 days', '+0-1 -1 +0:00:00', 'P1M-1D', new Interval(1, -1, 0n)],
  ['-178000000 years', '@ 178000000 years ago', '-178000000-0', 'P-178000000Y', new Interval(-178000000 * 12, 0, 0n)],
  ['2147483647 days 2562047788:00:54.775807', '@ 2147483647 days 2562047788 hours 54.775807 secs', '2147483647 2562047788:00:54.775807',
    'P2147483647DT2562047788H54.775807S', new Interval(0, 2147483647, 9223372036854775807n)],
];

describe('Interval', () => {
  it.each(styles)('parses %j, %j, %j and %j, one value in each IntervalStyle', (postgres, verbose, sql, iso, value) => {
    for (const text of [postgres, verbose, sql, iso]) expect([text, Interval.parse(text)]).toEqual([text, value]);
  });

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

  it.each(['', 'P', 'PT', '1 fortnight', '1', 'abc', '12:3', '@', '@ 1', '@ 1 day before', '1-2-3', '1 2', '3 4:05:06 7', '1.5 days', '@ 1.5 mins'])('rejects %j with TypeParseError', (text) => {
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
