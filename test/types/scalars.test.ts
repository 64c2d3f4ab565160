import { InterfaceError } from '../../src/errors/base';
import {
  floatSerializer, formatFloat, integerSerializer, parseBigInt, parseBool, parseBytea, parseFloat4Text, parseFloatText, parseJson,
  parseNumber, serializeBool, serializeBytea, serializeJson, serializeNumeric, serializeUuid, textSerializer,
} from '../../src/types/scalars';

const int4 = integerSerializer('int4', -2147483648n, 2147483647n);
const int8 = integerSerializer('int8', -(2n ** 63n), 2n ** 63n - 1n);
const float8 = floatSerializer('float8');

describe('text parsers', () => {
  it.each([
    ['t', true], ['f', false],
  ])('parses bool %j', (text, value) => expect(parseBool(text)).toBe(value));

  it('parses integers as numbers and int8 as an exact bigint', () => {
    expect(parseNumber('-32768')).toBe(-32768);
    expect(parseBigInt('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseBigInt('9007199254740993')).toBe(9007199254740993n);
  });

  it.each([
    ['1.5', 1.5], ['-0', -0], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['1e+308', 1e308],
    ['0.30000000000000004', 0.1 + 0.2],
  ])('parses float %j', (text, value) => expect(parseFloatText(text)).toEqual(value));

  it.each([
    ['0.1', 0.10000000149011612], ['3.4028235e+38', 3.4028234663852886e38], ['1e-45', 1.401298464324817e-45],
    ['-0', -0], ['NaN', NaN], ['-Infinity', -Infinity], ['1.5', 1.5],
  ])('parses float4 %j as the float4 the server holds, as the binary format gives it', (text, value) => {
    expect(parseFloat4Text(text)).toEqual(value);
  });

  it('parses bytea in the hex format', () => {
    expect([...parseBytea('\\x00ff5c')]).toEqual([0, 255, 92]);
    expect(parseBytea('\\x').length).toBe(0);
  });

  it('parses bytea in the legacy escape format as PostgreSQL prints it', () => {
    expect([...parseBytea("\\000\\377\\\\'A\\012")]).toEqual([0, 255, 92, 39, 65, 10]);
  });

  it('parses json nested values', () => {
    expect(parseJson('{"a":[1,{"b":null}],"c":"\\u00e9"}')).toEqual({ a: [1, { b: null }], c: 'é' });
  });
});

describe('text serializers', () => {
  it('serializes booleans as t/f and accepts PostgreSQL spellings of a boolean', () => {
    expect(serializeBool(true)).toBe('t');
    expect(serializeBool(false)).toBe('f');
    expect(serializeBool('yes')).toBe('yes');
    expect(() => serializeBool('maybe')).toThrow(InterfaceError);
    expect(() => serializeBool(1)).toThrow(InterfaceError);
  });

  it('serializes integers from numbers, bigints and digit strings', () => {
    expect(int4(-2147483648)).toBe('-2147483648');
    expect(int4(7n)).toBe('7');
    expect(int4(' 42 ')).toBe('42');
    expect(int8(-(2n ** 63n))).toBe('-9223372036854775808');
  });

  it.each([
    ['a non-numeric string', 'abc'], ['NaN', NaN], ['a fraction', 1.5], ['an out-of-range number', 2147483648],
    ['a symbol', Symbol('s')], ['a function', () => 1], ['an object', {}], ['a boolean', true],
  ])('refuses %s for int4 with an InterfaceError naming the type', (_what, value) => {
    let error: unknown;
    try {
      int4(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as InterfaceError).code).toBe('ERR_BAD_PARAMETER');
    expect((error as Error).message).toContain('int4');
  });

  it('serializes numbers at and past the bounds of each integer type as the bigint path does', () => {
    const int2 = integerSerializer('int2', -32768n, 32767n);
    expect([int2(-32768), int2(32767), int4(2147483647), int4(-0), int8(Number.MAX_SAFE_INTEGER)]).toEqual(['-32768', '32767', '2147483647', '0', '9007199254740991']);
    expect(() => int2(32768)).toThrow(/int2.*out of range/);
    expect(() => int4(-2147483649)).toThrow(/int4.*out of range/);
    expect(() => int4(Infinity)).toThrow(InterfaceError);
  });

  it('refuses a bigint outside the int8 range and an unsafe integer number', () => {
    expect(() => int8(2n ** 63n)).toThrow(/int8.*out of range/);
    expect(() => int8(2 ** 60)).toThrow(/safe integer/);
  });

  it('never puts the text of a string parameter in the error message', () => {
    expect(() => int4('hunter2-secret')).toThrow(/^(?!.*hunter2)/);
  });

  it('formats floats so that PostgreSQL reads back the same double, keeping -0', () => {
    expect(formatFloat(-0)).toBe('-0');
    expect(formatFloat(0.1)).toBe('0.1');
    expect(formatFloat(5e-324)).toBe('5e-324');
    expect(float8(NaN)).toBe('NaN');
    expect(float8(-Infinity)).toBe('-Infinity');
    expect(float8('1e3')).toBe('1e3');
    expect(() => float8('1.2.3')).toThrow(InterfaceError);
  });

  it('serializes numeric exactly from strings and bigints', () => {
    const forty = '1234567890123456789012345678901234567890';
    expect(serializeNumeric(forty)).toBe(forty);
    expect(serializeNumeric(10n ** 40n)).toBe(`1${'0'.repeat(40)}`);
    expect(serializeNumeric(NaN)).toBe('NaN');
    expect(() => serializeNumeric('12abc')).toThrow(InterfaceError);
  });

  it('serializes text from strings and primitive values only', () => {
    const text = textSerializer('text');
    expect(text('')).toBe('');
    expect(text(12n)).toBe('12');
    expect(() => text({})).toThrow(/text/);
  });

  it('serializes bytea as hex', () => {
    expect(serializeBytea(Buffer.from([0, 255]))).toBe('\\x00ff');
    expect(serializeBytea(new Uint8Array([1]))).toBe('\\x01');
  });

  it('serializes json with JSON.stringify but passes strings through as JSON text', () => {
    expect(serializeJson([1, 'a'])).toBe('[1,"a"]');
    expect(serializeJson('{"a":1}')).toBe('{"a":1}');
    expect(() => serializeJson({ big: 1n })).toThrow(InterfaceError);
    expect(() => serializeJson(() => 1)).toThrow(InterfaceError);
  });

  it('checks the spelling of a uuid', () => {
    expect(serializeUuid('{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}')).toContain('A0EEBC99');
    expect(() => serializeUuid('a0eebc99')).toThrow(InterfaceError);
  });
});
