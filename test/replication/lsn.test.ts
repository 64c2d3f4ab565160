import { InterfaceError } from '../../src/errors/base';
import { formatLsn, INVALID_LSN, MAX_LSN, maxLsn, parseLsn } from '../../src/replication/lsn';

describe('LSN text form', () => {
  test.each([
    ['0/0', 0n],
    ['16/B374D848', (0x16n << 32n) | 0xb374d848n],
    ['0/1', 1n],
    ['1/0', 1n << 32n],
    ['FFFFFFFF/FFFFFFFF', MAX_LSN],
  ])('parses and formats %s', (text, value) => {
    expect(parseLsn(text)).toBe(value);
    expect(formatLsn(value)).toBe(text);
  });

  test('accepts lower case, leading zeros and surrounding blanks; formats canonically', () => {
    expect(parseLsn(' 00000016/b374d848 ')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn('0016/00b374d8')).toBe('16/B374D8');
  });

  test('passes a bigint through; formatLsn takes either form', () => {
    expect(parseLsn(12345n)).toBe(12345n);
    expect(formatLsn(0x100000001n)).toBe('1/1');
    expect(parseLsn(INVALID_LSN)).toBe(0n);
  });

  test.each<[unknown]>([['16B374D848'], ['/1'], ['1/'], ['123456789/0'], ['G/0'], ['1/2/3'], [''], [-1n], [MAX_LSN + 1n], [5], [null]])(
    'refuses %p with ERR_INVALID_LSN',
    (input) => {
      expect(() => parseLsn(input as string)).toThrow(InterfaceError);
      try {
        parseLsn(input as string);
      } catch (e) {
        expect((e as InterfaceError).code).toBe('ERR_INVALID_LSN');
      }
    },
  );

  test('maxLsn', () => {
    expect(maxLsn(1n, 2n)).toBe(2n);
    expect(maxLsn(3n, 2n)).toBe(3n);
  });
});
