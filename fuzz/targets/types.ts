/**
 * Fuzz target: the type parsers, text and binary, of every built-in type
 * the default registry knows (scalars, their arrays, ranges and range
 * arrays), through `TypeRegistry.decoder` as the row decoder calls them.
 *
 * Text inputs are mutations of what a server prints for the type (under
 * each IntervalStyle, with BC dates, infinities, escapes, nested and
 * dimensioned arrays, quoted range bounds), with the literals' own special
 * characters, stray code points, floods of a fragment, or raw bytes that
 * are not UTF-8. Binary inputs are values of the right width mutated, or
 * random bytes of any length. Both timestamp modes are used. Rule: only
 * PgErrors escape (a `TypeParseError` for text the parser cannot read).
 * Outcome: `<format> value` or `<format> <code>`.
 */
import { ArrayOid, Oid } from '../../src/types/oids';
import { createDefaultRegistry, type TypeRegistry } from '../../src/types/registry';
import { utf8Encode } from '../../src/util/bytes';
import { fuzzBytes, fuzzText, int, pick, randomBytes } from '../../test/support/fuzz';
import { check, outcomeOf, type FuzzTarget } from '../target';

/** Text the server prints for each scalar type (array, range literals are built from these). */
const SAMPLES: Readonly<Record<keyof typeof Oid, readonly string[]>> = {
  unknown: ['x'],
  bool: ['t', 'f'],
  bytea: ['\\x00ff10', '\\x', 'a\\000b\\\\c', '\\377'],
  char: ['a'],
  name: ['pg_class'],
  int8: ['0', '-9223372036854775808', '9223372036854775807', '42'],
  int2: ['-32768', '7'],
  int4: ['2147483647', '-1'],
  text: ['hello, world', ''],
  oid: ['4294967295', '0'],
  json: ['{"a": [1, null, "x"]}', '"s"', '1e400'],
  xml: ['<a>b</a>'],
  point: ['(1,2)', '(-1.5e-10,3)'],
  lseg: ['[(1,2),(3,4)]'],
  path: ['((1,2),(3,4))', '[(0,0),(1,1),(2,0)]'],
  box: ['(3,4),(1,2)'],
  polygon: ['((0,0),(1,1),(1,0))'],
  line: ['{1,-1,0}'],
  cidr: ['10.0.0.0/8'],
  float4: ['0.1', 'NaN', '-Infinity', '1e-45'],
  float8: ['3.141592653589793', 'Infinity', '-0', '1.7976931348623157e+308'],
  circle: ['<(1,2),3>'],
  macaddr8: ['08:00:2b:01:02:03:04:05'],
  money: ['$1,000.00', '-$0.01'],
  macaddr: ['08:00:2b:01:02:03'],
  inet: ['::1/128', '192.168.0.1'],
  bpchar: ['ab  '],
  varchar: ['v'],
  date: ['2024-02-29', 'infinity', '-infinity', '4713-01-01 BC', '294276-12-31'],
  time: ['12:34:56.789', '24:00:00'],
  timestamp: ['2024-02-29 12:34:56.789123', 'infinity', '0044-03-15 12:00:00 BC', '275760-09-13 00:00:00'],
  timestamptz: ['2024-02-29 12:34:56.789+00', '2024-02-29 12:34:56+05:30', '-infinity', '1900-01-01 00:00:00+00:19:32'],
  interval: ['1 year 2 mons -3 days +04:05:06.5', '@ 1 year 2 mons 3 days ago', '-1-2 +3 -4:05:06.5', 'P1Y2M-3DT4H5M6.5S', '00:00:00', '0'],
  timetz: ['12:34:56+05:30'],
  bit: ['101'],
  varbit: ['1'],
  numeric: ['3.14159', 'NaN', '-Infinity', '1e-1000'],
  uuid: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  jsonb: ['{"k": [1, null]}'],
  int4range: ['[1,6)', 'empty', '(,)', '[-5,)'],
  numrange: ['[1.5,2.5]', '(,3)'],
  tsrange: ['["2024-01-01 00:00:00","2024-02-01 00:00:00")', '[-infinity,infinity]'],
  tstzrange: ['["2024-01-01 00:00:00+00",)'],
  daterange: ['[2024-01-01,2024-02-01)'],
  int8range: ['[9223372036854775806,9223372036854775807)'],
  jsonpath: ['$.a[*] ? (@ > 1)'],
};

/** The literals' own special characters (and a few words). */
const ALPHABET = [
  '{', '}', '(', ')', '[', ']', '<', '>', ',', ';', '"', '\\', ' ', ':', '-', '+', '.', 'e', 'E', '0', '9', '=',
  'NULL', 'infinity', 'BC', 'P', 'T', 'Y', 'M', 'D', 'H', 'S', 'W', '@', 'ago', 'year', 'mons', 'days', '\\x', 'ff', 'empty', '[0:1]=', '"', 'e+400',
];

/** Binary widths of the types with a binary parser. */
const WIDTHS: Readonly<Record<string, number>> = {
  bool: 1, int2: 2, int4: 4, oid: 4, int8: 8, float4: 4, float8: 8, uuid: 16, timestamp: 8, timestamptz: 8, bytea: 5,
};

interface TypeCase {
  oid: number;
  name: string;
  texts: string[];
}

function arrayTexts(samples: readonly string[], delimiter: string): string[] {
  const quoted = samples.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`);
  const [first, last] = [quoted[0], quoted[quoted.length - 1]];
  return [`{${quoted.join(delimiter)}}`, `{{${first}${delimiter}NULL}${delimiter}{${last}${delimiter}${first}}}`, `[0:1]={${first}${delimiter}${first}}`, '{}'];
}

/** Every built-in type the registry knows: each scalar and range, and its array. */
export const TYPE_CASES: readonly TypeCase[] = (Object.keys(Oid) as Array<keyof typeof Oid>).flatMap((name) => {
  const texts = [...SAMPLES[name]];
  const own: TypeCase = { oid: Oid[name], name, texts };
  const arrayOid = (ArrayOid as Record<string, number>)[name];
  return arrayOid === undefined ? [own] : [own, { oid: arrayOid, name: `${name}[]`, texts: arrayTexts(texts, name === 'box' ? ';' : ',') }];
});

const registries: TypeRegistry[] = [createDefaultRegistry({ timestamps: 'date' }), createDefaultRegistry({ timestamps: 'precise' })];

function textInput(rand: () => number, c: TypeCase): Uint8Array {
  if (rand() < 0.05) return randomBytes(rand, int(rand, 24));
  return utf8Encode(fuzzText(rand, c.texts, ALPHABET));
}

function binaryInput(rand: () => number, c: TypeCase): Uint8Array {
  const width = WIDTHS[c.name];
  if (width === undefined || rand() < 0.3) return randomBytes(rand, int(rand, 20));
  return fuzzBytes(rand, [randomBytes(rand, width)]);
}

/** Decodes one fuzzed field of `c` in `format`; returns the outcome label. */
export function fuzzType(rand: () => number, c: TypeCase, format: 0 | 1): string {
  const registry = pick(rand, registries);
  check(registry.get(c.oid) !== undefined || c.oid === 0, () => `type ${c.name} (oid ${c.oid}) is not registered`);
  const bytes = format === 1 ? binaryInput(rand, c) : textInput(rand, c);
  const kind = format === 1 ? 'binary' : 'text';
  try {
    registry.decoder(c.oid, format)(bytes);
    return `${kind} value`;
  } catch (e) {
    return `${kind} ${outcomeOf(e)}`;
  }
}

/** The type parsers. */
export const typesTarget: FuzzTarget = {
  name: 'types',
  about: 'Type parsers (TypeRegistry.decoder), text and binary, of every built-in type, array and range: mutated server literals and random bytes',
  run(rand) {
    return fuzzType(rand, pick(rand, TYPE_CASES), rand() < 0.7 ? 0 : 1);
  },
};
