import { PreciseTimestamp } from '../../src/types/precise-timestamp';

describe('PreciseTimestamp', () => {
  it('splits microseconds into whole milliseconds and the rest, flooring before 1970', () => {
    const t = new PreciseTimestamp(-1n);
    expect(t.epochMilliseconds).toBe(-1);
    expect(t.subMillisecondMicroseconds).toBe(999);
    expect(t.toDate().toISOString()).toBe('1969-12-31T23:59:59.999Z');
  });

  it('prints ISO 8601 with six fractional digits', () => {
    expect(new PreciseTimestamp(1704164645123456n).toISOString()).toBe('2024-01-02T03:04:05.123456Z');
    expect(String(new PreciseTimestamp(0n))).toBe('1970-01-01T00:00:00.000000Z');
    expect(JSON.stringify({ t: new PreciseTimestamp(1n) })).toBe('{"t":"1970-01-01T00:00:00.000001Z"}');
  });

  it('is built from a Date plus the microseconds below the millisecond', () => {
    expect(PreciseTimestamp.fromDate(new Date(1), 5).epochMicroseconds).toBe(1005n);
  });

  it('writes the PostgreSQL text form', () => {
    expect(new PreciseTimestamp(1704164645000100n).toPostgres()).toBe('2024-01-02 03:04:05.0001+00');
  });
});
