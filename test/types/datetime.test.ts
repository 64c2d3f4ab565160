import { parseDate, parseTimestamp, parseTimestampBinary, serializeDate, serializeTimestamp } from '../../src/types/datetime';
import { PreciseTimestamp } from '../../src/types/precise-timestamp';
import { TypeParseError } from '../../src/types/errors';
import { InterfaceError } from '../../src/errors/base';

const dateMode = { timestamps: 'date' } as const;
const preciseMode = { timestamps: 'precise' } as const;
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

describe('date', () => {
  it.each(['2024-02-29', '0044-03-15 BC', 'infinity', '-infinity'])('returns %j exactly as the server printed it', (text) => {
    expect(parseDate(text)).toBe(text);
  });

  it('serializes a Date by its UTC calendar day, never shifted by the local zone', () => {
    expect(serializeDate(new Date('2024-01-02T23:59:59Z'))).toBe('2024-01-02');
    const bc = new Date(Date.UTC(2000, 2, 15));
    bc.setUTCFullYear(-43);
    expect(serializeDate(bc)).toBe('0044-03-15 BC');
    expect(serializeDate(-Infinity)).toBe('-infinity');
    expect(() => serializeDate(new Date(NaN))).toThrow(InterfaceError);
  });
});

describe('timestamp text (as printed by PostgreSQL with DateStyle=ISO)', () => {
  it.each([
    ['2024-01-02 03:04:05+00', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05.123456+00', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02 08:34:05.123456+05:30', '2024-01-02T03:04:05.123Z'],
    ['2024-07-02 00:34:05-02:30', '2024-07-02T03:04:05.000Z'],
    ['1800-01-01 05:53:28+05:53:28', '1800-01-01T00:00:00.000Z'],
    ['0001-01-01 00:00:00+00', '0001-01-01T00:00:00.000Z'],
    ['0044-03-15 12:00:00+00 BC', '-000043-03-15T12:00:00.000Z'],
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
  ])('parses %j as the instant %s', (text, iso) => {
    expect((parseTimestamp(text, dateMode) as Date).toISOString()).toBe(iso);
  });

  it('maps infinity and -infinity to the numbers Infinity and -Infinity in both modes', () => {
    expect(parseTimestamp('infinity', dateMode)).toBe(Infinity);
    expect(parseTimestamp('-infinity', preciseMode)).toBe(-Infinity);
  });

  it('keeps microseconds in precise mode, before and after 1970', () => {
    expect(parseTimestamp('2024-01-02 03:04:05.123456+00', preciseMode)).toEqual(new PreciseTimestamp(1704164645123456n));
    expect(parseTimestamp('1969-12-31 23:59:59.999999+00', preciseMode)).toEqual(new PreciseTimestamp(-1n));
  });

  it('rejects text that is not a timestamp with TypeParseError', () => {
    expect(() => parseTimestamp('yesterday', dateMode)).toThrow(TypeParseError);
  });
});

// Golden vectors from PostgreSQL 15's timestamptz_send / timestamp_send.
describe('timestamp binary', () => {
  it.each([
    ['0002b0ec8517d580', '2024-01-02T03:04:05.123Z', 1704164645123456n],
    ['ffffffffffffffff', '1999-12-31T23:59:59.999Z', 946684799999999n],
    ['ff1af9e8fb46d000', '-000043-03-15T12:00:00.000Z', BigInt(Date.parse('-000043-03-15T12:00:00.000Z')) * 1000n],
  ])('decodes %s in date and precise mode', (bytes, iso, micros) => {
    expect((parseTimestampBinary(hex(bytes), dateMode) as Date).toISOString()).toBe(iso);
    expect(parseTimestampBinary(hex(bytes), preciseMode)).toEqual(new PreciseTimestamp(micros));
  });

  it('decodes the int64 extremes as Infinity and -Infinity', () => {
    expect(parseTimestampBinary(hex('7fffffffffffffff'), dateMode)).toBe(Infinity);
    expect(parseTimestampBinary(hex('8000000000000000'), preciseMode)).toBe(-Infinity);
  });
});

describe('timestamp parameters', () => {
  it('writes a Date in UTC with +00 and drops trailing fraction zeros', () => {
    expect(serializeTimestamp(new Date('2024-01-02T03:04:05.670Z'))).toBe('2024-01-02 03:04:05.67+00');
    expect(serializeTimestamp(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02 03:04:05+00');
  });

  it('writes a PreciseTimestamp with its microseconds, and BC years with the BC suffix', () => {
    expect(serializeTimestamp(new PreciseTimestamp(1704164645123456n))).toBe('2024-01-02 03:04:05.123456+00');
    expect(serializeTimestamp(new Date('-000043-03-15T12:00:00.000Z'))).toBe('0044-03-15 12:00:00+00 BC');
  });

  it('writes ±Infinity as ±infinity and refuses invalid dates and plain numbers', () => {
    expect(serializeTimestamp(Infinity)).toBe('infinity');
    expect(() => serializeTimestamp(new Date(NaN))).toThrow(InterfaceError);
    expect(() => serializeTimestamp(1704164645)).toThrow(/timestamp/);
  });

  it('reads back what it writes for every millisecond edge', () => {
    for (const iso of ['1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '0001-01-01T00:00:00.001Z', '9999-12-31T23:59:59.999Z']) {
      const d = new Date(iso);
      expect(parseTimestamp(serializeTimestamp(d), dateMode)).toEqual(d);
    }
  });
});
