import {
  parseBoolBinary, parseByteaBinary, parseFloat4Binary, parseFloat8Binary, parseInt2Binary, parseInt4Binary,
  parseInt8Binary, parseOidBinary, parseUuidBinary, serializeByteaBinary, serializeUuidBinary, int64Bytes, readInt64,
} from '../../src/types/binary';
import { TypeParseError } from '../../src/types/errors';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

// Golden vectors captured from PostgreSQL 15 with the types' *send functions.
describe('binary codecs', () => {
  it.each([
    ['int2', parseInt2Binary, 'fffe', -2],
    ['int4', parseInt4Binary, '80000000', -2147483648],
    ['oid', parseOidBinary, 'ffffffff', 4294967295],
    ['float4', parseFloat4Binary, '3fc00000', 1.5],
    ['float4 NaN', parseFloat4Binary, '7fc00000', NaN],
    ['float8 -0', parseFloat8Binary, '8000000000000000', -0],
    ['float8 -Infinity', parseFloat8Binary, 'fff0000000000000', -Infinity],
    ['float8 0.1', parseFloat8Binary, '3fb999999999999a', 0.1],
    ['bool', parseBoolBinary, '01', true],
    ['bool false', parseBoolBinary, '00', false],
    ['int8 min', parseInt8Binary, '8000000000000000', -9223372036854775808n],
    ['int8 2^53+1', parseInt8Binary, '0020000000000001', 9007199254740993n],
    ['int8 -1', parseInt8Binary, 'ffffffffffffffff', -1n],
    ['uuid', parseUuidBinary, 'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ] as const)('decodes %s from its binary form', (_name, parse, bytes, expected) => {
    expect((parse as (b: Uint8Array) => unknown)(hex(bytes))).toEqual(expected);
  });

  it('decodes int values from a view at an offset inside a larger buffer', () => {
    const buffer = hex('aa0000002abb');
    expect(parseInt4Binary(buffer.subarray(1, 5))).toBe(42);
  });

  it('copies bytea out of the receive buffer so later reuse cannot change it', () => {
    const buffer = hex('00ff10');
    const value = parseByteaBinary(buffer.subarray(0, 2));
    buffer[0] = 7;
    expect([...value]).toEqual([0, 255]);
  });

  it('rejects a field of the wrong length with TypeParseError', () => {
    expect(() => parseInt4Binary(hex('0102'))).toThrow(TypeParseError);
    expect(() => parseFloat8Binary(hex('01'))).toThrow(TypeParseError);
    expect(() => parseUuidBinary(hex('01'))).toThrow(TypeParseError);
  });

  it('writes and reads back every int64 extreme exactly', () => {
    for (const n of [-9223372036854775808n, -1n, 0n, 1n, 2n ** 53n + 1n, 9223372036854775807n]) {
      expect(readInt64(int64Bytes(n), 0)).toBe(n);
    }
  });

  it('serializes bytea parameters as the bytes themselves and strings as UTF-8', () => {
    expect([...serializeByteaBinary(hex('00ff'))]).toEqual([0, 255]);
    expect([...serializeByteaBinary('é')]).toEqual([0xc3, 0xa9]);
  });

  it('serializes a uuid to 16 bytes and back', () => {
    const id = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
    expect(parseUuidBinary(serializeUuidBinary(id))).toBe(id);
    expect(() => serializeUuidBinary('nope')).toThrow(/uuid/);
  });
});
