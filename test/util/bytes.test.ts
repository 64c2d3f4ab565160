import { InterfaceError, ProtocolViolation } from '../../src/errors/base';
import { ByteReader, ByteWriter, concatBytes, fromHex, toHex, utf8Decode, utf8Encode } from '../../src/util/bytes';

describe('ByteWriter', () => {
  test('writes big-endian integers, strings and bytes, growing as needed', () => {
    const w = new ByteWriter(1);
    w.u8(0xab).i16(-2).i32(0x01020304).i32(-1).cstring('hé').string('x').bytes(Uint8Array.of(9));
    expect(toHex(w.finish())).toBe('abfffe01020304ffffffff68c3a900' + '78' + '09');
  });

  test('beginMessage/endMessage backpatch the length, which excludes the type byte', () => {
    const w = new ByteWriter();
    w.beginMessage(0x51).cstring('x').endMessage();
    w.beginMessage(0).i32(7).endMessage();
    expect(toHex(w.finish())).toBe('510000000678' + '00' + '0000000800000007');
  });

  test('finish() returns a copy and empties the writer for reuse', () => {
    const w = new ByteWriter();
    const a = w.u8(1).finish();
    const b = w.u8(2).finish();
    expect([Array.from(a), Array.from(b)]).toEqual([[1], [2]]);
  });

  test('take() returns a view of the writer\'s own buffer (no copy) and empties the writer for reuse', () => {
    const w = new ByteWriter();
    const a = w.u8(1).u8(2).take();
    expect(Array.from(a)).toEqual([1, 2]);
    const b = w.u8(3).take();
    expect(Array.from(b)).toEqual([3]);
    expect(a.buffer).toBe(b.buffer); // the same storage: valid only until the next write
    expect(Array.from(a)).toEqual([3, 2]);
    expect(w.length).toBe(0);
  });

  test('long strings (past the hand-written loop) are UTF-8 too, and cstring still refuses NUL in them', () => {
    const ascii = 'a'.repeat(100);
    const mixed = 'é'.repeat(40) + 'x'.repeat(40);
    const w = new ByteWriter(1);
    w.string(ascii).cstring(mixed);
    expect(Array.from(w.finish())).toEqual([...utf8Encode(ascii), ...utf8Encode(mixed), 0]);
    expect(() => new ByteWriter().cstring('y'.repeat(100) + '\0')).toThrow(InterfaceError);
    expect(toHex(new ByteWriter().string('z'.repeat(70) + '\0').finish())).toBe('7a'.repeat(70) + '00');
  });

  test('endMessage() without beginMessage() is an InterfaceError', () => {
    expect(() => new ByteWriter().endMessage()).toThrow(InterfaceError);
  });
});

describe('ByteReader', () => {
  test('reads what ByteWriter wrote, with bytes() as a view of the slice', () => {
    const buf = new ByteWriter().u8(7).i16(-3).i32(-4).i32(0xfffffffe).cstring('ünï').bytes(Uint8Array.of(5, 6)).finish();
    const r = new ByteReader(buf);
    expect([r.u8(), r.i16(), r.i32(), r.u32(), r.cstring()]).toEqual([7, -3, -4, 0xfffffffe, 'ünï']);
    const v = r.bytes(2);
    expect(v.buffer).toBe(buf.buffer);
    expect(Array.from(v)).toEqual([5, 6]);
    expect(r.remaining).toBe(0);
  });

  test.each([
    ['u8', (r: ByteReader) => r.u8()],
    ['i16', (r: ByteReader) => r.i16()],
    ['i32', (r: ByteReader) => r.i32()],
    ['cstring without a terminator in the slice', (r: ByteReader) => r.cstring()],
    ['bytes past the end', (r: ByteReader) => r.bytes(2)],
    ['a negative byte count', (r: ByteReader) => r.bytes(-1)],
  ])('throws ProtocolViolation on overrun: %s', (_name, read) => {
    const r = new ByteReader(fromHex('41 00 ff'), 0, 1);
    if (_name.startsWith('u8')) r.u8();
    expect(() => read(r)).toThrow(ProtocolViolation);
  });
});

describe('helpers', () => {
  test('utf8 round-trips, decoding invalid sequences to U+FFFD without throwing', () => {
    const long = 'x'.repeat(100) + '✓';
    expect(utf8Decode(utf8Encode(long))).toBe(long);
    expect(utf8Decode(Uint8Array.of(0x61, 0xff))).toBe('a\uFFFD');
  });
  test('hex and concat', () => {
    expect(toHex(concatBytes([fromHex('0a'), fromHex('ff 00')]))).toBe('0aff00');
    expect(() => fromHex('abc')).toThrow(InterfaceError);
  });
});
