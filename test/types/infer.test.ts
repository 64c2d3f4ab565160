import { inferText } from '../../src/types/infer';
import { Interval } from '../../src/types/interval';
import { Point } from '../../src/types/geometry';
import { Range } from '../../src/types/ranges';
import { InterfaceError } from '../../src/errors/base';

describe('inferring parameter text from the JS value (untyped parameters)', () => {
  it.each([
    ['a string', 'abc', 'abc'],
    ['a number', 1.5, '1.5'],
    ['negative zero', -0, '-0'],
    ['NaN', NaN, 'NaN'],
    ['a bigint', 2n ** 64n, '18446744073709551616'],
    ['a boolean', true, 'true'],
    ['a Date', new Date('2024-01-02T03:04:05Z'), '2024-01-02 03:04:05+00'],
    ['bytes', Buffer.from([0, 255]), '\\x00ff'],
    ['an array', [1, null, 'a"b'], '{"1",NULL,"a\\"b"}'],
    ['an Interval', new Interval(0, 1, 0n), 'P1D'],
    ['a Point', new Point(1, 2), '(1,2)'],
    ['a Range', new Range(1, 2), '["1","2")'],
    ['a plain object', { a: [1] }, '{"a":[1]}'],
  ])('writes %s', (_what, value, expected) => {
    expect(inferText(value)).toBe(expected);
  });

  it.each([['a symbol', Symbol('x')], ['a function', () => 1]])('refuses %s with InterfaceError', (_what, value) => {
    expect(() => inferText(value)).toThrow(InterfaceError);
  });
});
