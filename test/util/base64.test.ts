import { ProtocolViolation } from '../../src/errors/base';
import { base64Decode, base64Encode } from '../../src/util/base64';

describe('base64', () => {
  test('matches Node for every length from 0 to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const b = Uint8Array.from({ length: n }, (_v, i) => (i * 97 + n) & 255);
      expect(base64Encode(b)).toBe(Buffer.from(b).toString('base64'));
      expect(base64Decode(base64Encode(b))).toEqual(b);
    }
  });
  test.each(['a', 'ab=c', 'a===', 'ab!d', 'é123'])('refuses %j with ProtocolViolation', (s) => {
    expect(() => base64Decode(s)).toThrow(ProtocolViolation);
  });
});
