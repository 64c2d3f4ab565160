import { copyBytes, toHex, utf8, utf8Encode } from '../../src/types/text';

describe('utf8', () => {
  it.each(['', 'a', '123', 'exactly sixteen!', 'a longer ascii string over the threshold', 'é', 'héllo wörld 🐘 日本語'])(
    'decodes %j from a view inside a larger buffer',
    (text) => {
      const encoded = utf8Encode(text);
      const buffer = new Uint8Array(encoded.length + 4);
      buffer.set(encoded, 2);
      expect(utf8(buffer.subarray(2, 2 + encoded.length))).toBe(text);
    },
  );

  it('replaces invalid sequences with U+FFFD rather than throwing', () => {
    expect(utf8(new Uint8Array([0x61, 0xff]))).toBe('a\ufffd');
  });

  it('converts to hex and copies bytes', () => {
    const b = new Uint8Array([0, 15, 255]);
    expect(toHex(b.subarray(1))).toBe('0fff');
    const c = copyBytes(b);
    b[0] = 1;
    expect(c[0]).toBe(0);
  });
});
