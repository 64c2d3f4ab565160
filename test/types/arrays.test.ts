import { parseArray, quoteElement, serializeArray } from '../../src/types/arrays';
import { TypeParseError } from '../../src/types/errors';
import { InterfaceError } from '../../src/errors/base';

const options = { timestamps: 'date' } as const;
const text = (s: string): string => s;
const asText = (v: unknown): string => String(v);
const int = (s: string): number => Number(s);
const parseText = (literal: string, delimiter = ','): unknown[] => parseArray(literal, text, options, delimiter);

describe('array literal parser', () => {
  it.each([
    ['{}', []],
    ['{1,2,3}', ['1', '2', '3']],
    ['{NULL,null,"NULL",NULLS}', [null, null, 'NULL', 'NULLS']],
    ['{"a b","c,d","e\\"f","g\\\\h",""}', ['a b', 'c,d', 'e"f', 'g\\h', '']],
    ['{{1,2},{3,4}}', [['1', '2'], ['3', '4']]],
    ['{{{1},{2}},{{3},{NULL}}}', [[['1'], ['2']], [['3'], [null]]]],
    ['  { a , b }  ', ['a', 'b']],
    ['{a\\,b,\\NULL}', ['a,b', 'NULL']],
    ['[0:2]={7,8,9}', ['7', '8', '9']],
    ['[1:1][-2:-1]={{a,b}}', [['a', 'b']]],
    ['{"é🐘",日本}', ['é🐘', '日本']],
  ])('parses %j', (literal, value) => {
    expect(parseText(literal)).toEqual(value);
  });

  it('parses elements with the element parser and leaves NULL as null', () => {
    expect(parseArray('{1,NULL,-3}', int, options)).toEqual([1, null, -3]);
  });

  it('splits box arrays on the ; delimiter, keeping commas inside elements', () => {
    expect(parseText('{(3,4),(1,2);(1,1),(0,0)}', ';')).toEqual(['(3,4),(1,2)', '(1,1),(0,0)']);
  });

  it.each(['', '1,2', '{', '{1', '{1,}', '{,1}', '{"a}', '{a"b}', '{1}x', '{{1}', '[1:2]{1,2}', '{a\\', '{1 2}x'])(
    'rejects %j with TypeParseError',
    (literal) => {
      expect(() => parseText(literal)).toThrow(TypeParseError);
    },
  );

  it('handles nesting deeper than the call stack could', () => {
    const depth = 100000;
    const parsed = parseText('{'.repeat(depth) + '}'.repeat(depth));
    let level: unknown = parsed;
    for (let i = 1; i < depth; i++) level = (level as unknown[])[0];
    expect(level).toEqual([]);
  });

  it('never throws anything but TypeParseError on random input (fuzz)', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = '{}",\\ aN1[]:=;\n';
    for (let n = 0; n < 20000; n++) {
      let s = '';
      const len = Math.floor(random() * 12);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      try {
        parseText(s);
      } catch (error) {
        if (!(error instanceof TypeParseError)) throw new Error(`foreign error for ${JSON.stringify(s)}: ${String(error)}`);
      }
    }
  });
});

describe('array literal serializer', () => {
  it('quotes every element and escapes quotes and backslashes', () => {
    expect(serializeArray(['a', 'b"c', 'd\\e', '', 'NULL'], asText)).toBe('{"a","b\\"c","d\\\\e","","NULL"}');
    expect(quoteElement('x,y')).toBe('"x,y"');
    expect(quoteElement('"')).toBe('"\\""');
    expect(quoteElement('a\\')).toBe('"a\\\\"');
  });

  it('writes null and undefined as NULL and nested arrays as dimensions', () => {
    expect(serializeArray([[1, null], [undefined, 4]], String)).toBe('{{"1",NULL},{NULL,"4"}}');
    expect(serializeArray([], String)).toBe('{}');
  });

  it('uses the delimiter of the element type', () => {
    expect(serializeArray(['(1,1),(0,0)', '(3,3),(2,2)'], asText, ';')).toBe('{"(1,1),(0,0)";"(3,3),(2,2)"}');
  });

  it('refuses a value that is not an array with InterfaceError', () => {
    expect(() => serializeArray(5, String, ',', 'int4[]')).toThrow(InterfaceError);
  });

  it.each([
    [['a,b', '"q"', 'back\\slash', 'NULL', null, '', ' sp ', '{}', 'é🐘']],
    [[['a', 'b'], ['c"', 'd\\']]],
    [[]],
    [[[[null]]]],
  ])('parses back what it wrote: %j', (value) => {
    expect(parseText(serializeArray(value, asText))).toEqual(value);
  });
});
