import { saslprep } from '../../../src/protocol/auth/saslprep';

describe('saslprep', () => {
  test.each([
    ['I\u00ADX', 'IX', 'removes SOFT HYPHEN (mapped to nothing)'],
    ['user', 'user', 'leaves ASCII alone'],
    ['USER', 'USER', 'preserves case'],
    ['\u00AA', 'a', 'NFKC maps FEMININE ORDINAL INDICATOR to a'],
    ['\u2168', 'IX', 'NFKC maps ROMAN NUMERAL NINE to IX'],
    ['a\u00A0b', 'a b', 'maps a non-ASCII space to a space'],
    ['\u0627\u0031\u0628', '\u0627\u0031\u0628', 'accepts an RTL string that starts and ends with RandALCat'],
  ])('%j -> %j (%s)', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  test.each([
    ['\u0007', 'an ASCII control character'],
    ['\u0627\u0031', 'an RTL string ending with a digit'],
    ['a\u0627', 'mixed LCat and RandALCat'],
    ['\uD800x', 'a lone surrogate'],
    ['\uE000', 'a private use character'],
    ['\u{E0001}', 'a tagging character'],
  ])('refuses %j (%s)', (input) => {
    expect(saslprep(input)).toBeNull();
  });
});
