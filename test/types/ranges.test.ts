import { Range, parseRange, rangeSerializer } from '../../src/types/ranges';
import { TypeParseError } from '../../src/types/errors';
import { InterfaceError } from '../../src/errors/base';

const options = { timestamps: 'date' } as const;
const int = (s: string): number => Number(s);
const text = (s: string): string => s;
const asText = (v: unknown): string => String(v);

describe('Range', () => {
  it.each([
    ['[1,6)', new Range(1, 6, '[)')],
    ['(,5)', new Range(null, 5, '()')],
    ['[3,)', new Range(3, null, '[)')],
    ['(,)', new Range(null, null, '()')],
    ['empty', Range.empty()],
  ])('parses int4range %j', (literal, value) => {
    expect(parseRange(literal, int, options)).toEqual(value);
  });

  it('parses quoted bounds with escaped quotes and backslashes', () => {
    const r = parseRange<string>('["2024-01-01 00:00:00+00","a\\"b""c\\\\")', text, options);
    expect(r.lower).toBe('2024-01-01 00:00:00+00');
    expect(r.upper).toBe('a"b"c\\');
  });

  it('tells a quoted empty bound from an unbounded one', () => {
    expect(parseRange<string>('["",)', text, options)).toEqual(new Range('', null, '[)'));
  });

  it('reports bound flags', () => {
    const r = new Range(1, null, '[]');
    expect([r.lowerInc, r.upperInc, r.lowerInf, r.upperInf, r.isEmpty]).toEqual([true, false, false, true, false]);
    const e = Range.empty();
    expect([e.lowerInc, e.upperInc, e.lowerInf, e.upperInf, e.isEmpty]).toEqual([false, false, false, false, true]);
  });

  it.each(['', '[1,2', '1,2)', '[1)', '["1,2)', '[1,2,3)'])('rejects %j with TypeParseError', (literal) => {
    expect(() => parseRange(literal, text, options)).toThrow(TypeParseError);
  });

  it('writes bounds quoted through the element serializer, and parses back what it writes', () => {
    const r = new Range('a"b', 'c\\d,', '(]');
    const literal = r.toPostgres(asText);
    expect(literal).toBe('("a\\"b","c\\\\d,"]');
    expect(parseRange(literal, text, options)).toEqual(r);
    expect(Range.empty().toPostgres()).toBe('empty');
    expect(new Range(null, 5n, '()').toPostgres()).toBe('(,"5")');
  });

  it('serializes Range values and strings, refusing others', () => {
    const serialize = rangeSerializer('int4range', String);
    expect(serialize(new Range(1, 2))).toBe('["1","2")');
    expect(serialize('[1,2)')).toBe('[1,2)');
    expect(() => serialize([1, 2])).toThrow(InterfaceError);
  });
});
