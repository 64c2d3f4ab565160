/**
 * Binary and text decoding agree, for every built-in type and its edge
 * values, against a real server.
 *
 * Two checks per value (a literal cast to its type):
 * 1. the codec: the server's text output (`<typoutput>(v)`) through the text
 *    decoder equals its binary send form (`<typsend>(v)`) through the binary
 *    decoder, for every type with a `parseBinary`, whether or not results
 *    ask for binary (pgoutput in binary mode reads them all);
 * 2. the query path: `SELECT v` through a connection with the default
 *    registry (binary where `resultFormat` says so) equals the same query
 *    through a registry forced to text (every `parseBinary` removed).
 * Each runs under the default options, precise timestamps and int8 as
 * strings, and with session time zones east and west of UTC with
 * non-hour offsets.
 */
import { Connection, createDefaultRegistry } from '../../src/index';
import { TypeRegistry } from '../../src/types';
import { BUILTIN_RECORDS } from '../../src/types/builtins';
import type { TypeOptions } from '../../src/types/record';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';

const bigIntArray = `{${Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? 'NULL' : String(i * 7919 - 20000000))).join(',')}}`;
const bigTextArray = `{${Array.from({ length: 1000 }, (_, i) => `"v${i} \\"q\\" é"`).join(',')}}`;

/** [type, literals...]: each literal is cast `$1::text::type`. */
const VALUES: [string, ...string[]][] = [
  ['bool', 't', 'f'],
  ['int2', '0', '-32768', '32767'],
  ['int4', '0', '-2147483648', '2147483647'],
  ['int8', '0', '-9223372036854775808', '9223372036854775807', '9007199254740993'],
  ['oid', '0', '4294967295'],
  ['float4', '0.1', '-0', 'NaN', 'Infinity', '-Infinity', '1e-45', '3.4028235e38', '1.17549435e-38'],
  ['float8', '0.1', '-0', 'NaN', 'Infinity', '-Infinity', '5e-324', '1.7976931348623157e308', '123456789.123456789'],
  ['numeric', '0', '0.0000', '-0.000001', '12345678901234567890.123456789', 'NaN', 'Infinity', '-Infinity',
    '0.00000000000000000001', '100000000', '-1.10', '9999.9999', '10000', '1e-130', '123e200'],
  ['money', '12.34'],
  ['text', '', 'NULL', 'é😀', 'a"b\\c', ' x '],
  ['varchar', 'hello world'],
  ['bpchar(5)', 'ab'],
  ['name', 'pg_catalog'],
  ['"char"', 'a', ''],
  ['xml', '<a x="1">t</a>'],
  ['jsonpath', '$.a[*] ? (@ > 1)'],
  ['bit(4)', '1010'],
  ['varbit', '101', '', '1010101011'],
  ['bytea', '\\x', '\\x00ff10', 'abc'],
  ['json', '{"a":[1,2,{"b":null}]}', '"x"', 'null', '123.456e10', '"é😀"'],
  ['jsonb', '{"a":[1,2,{"b":null}]}', '"x"', 'null', '123.456e10', '[]'],
  ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000'],
  ['inet', '192.168.0.1', '10.0.0.0/8', '::1', '::ffff:1.2.3.4', '2001:db8::1/64', 'fe80::', '::', '1::', '0.0.0.0/0'],
  ['cidr', '10.0.0.0/8', '::/0', '2001:db8::/32', '192.168.1.0/24'],
  ['macaddr', '08:00:2b:01:02:03'],
  ['macaddr8', '08:00:2b:01:02:03:04:05'],
  ['date', '2024-02-29', 'infinity', '-infinity', '0044-03-15 BC', '5874897-12-31', '4713-01-01 BC', '1999-12-31', '2000-01-01', '0001-01-01'],
  ['time', '00:00:00', '23:59:59.999999', '24:00:00', '12:00:00.5', '01:02:03.000001'],
  ['timetz', '03:04:05+05:30', '00:00:00-03:30', '12:00:00+00', '11:00:00+05:45:30', '23:59:59.999999-14'],
  ['timestamp', '2024-01-02 03:04:05.123456', 'infinity', '-infinity', '0044-03-15 12:00:00 BC', '1900-01-01', '0099-06-01 00:00:01',
    '9999-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999', '2000-01-01'],
  ['timestamptz', '2024-01-02 03:04:05.123456+00', 'infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '1900-01-01 00:00:00+05:30',
    '1969-12-31 23:59:59.999999+00', '2024-03-10 02:30:00-08'],
  ['interval', '1 year 2 mons 3 days 04:05:06.789', '-1 days +02:00', '0', '-178000000 years', '1 mon -1 day', '00:00:00.000001',
    '-00:00:00.000001', '2147483647 days', '-2562047788:00:54.775807', '2562047788:00:54.775807'],
  ['point', '(1.5,-2.25)', '(0.1,-0)', '(NaN,Infinity)'],
  ['line', '{1,-1,0}', '{0.5,2,-3.25}'],
  ['lseg', '[(1,2),(3,4)]'],
  ['box', '(3,4),(1,2)'],
  ['path', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1))'],
  ['polygon', '((0,0),(1,1),(2,0))'],
  ['circle', '<(1,2),3.5>'],
  ['int4[]', '{}', '{1,NULL,3}', '{{1,2},{3,4}}', '[0:1]={7,8}', '{{{1},{2}},{{3},{4}}}', '{NULL}', bigIntArray],
  ['int2[]', '{1,-32768}'],
  ['int8[]', '{9223372036854775807,NULL,-1}'],
  ['oid[]', '{1,4294967295}'],
  ['float4[]', '{0.1,-0,NaN,-Infinity}'],
  ['float8[]', '{0.1,-0,NaN,Infinity,5e-324}', '{{1.5,2},{3,4}}'],
  ['numeric[]', '{1.5,NaN,NULL,-0.0001}'],
  ['bool[]', '{t,f,NULL}'],
  ['text[]', '{a,"b c",d,NULL,"e\\"f","NULL","",é}', '{{a,b},{c,d}}', bigTextArray],
  ['varchar[]', '{x,y}'],
  ['name[]', '{a,b}'],
  ['bytea[]', '{"\\\\x00ff",NULL}'],
  ['uuid[]', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'],
  ['json[]', '{"{\\"a\\":1}",null}'],
  ['jsonb[]', '{"{\\"a\\": 1}","[1, 2]","\\"x\\""}'],
  ['date[]', '{2024-01-01,infinity,NULL}'],
  ['time[]', '{01:02:03}'],
  ['timetz[]', '{01:02:03+05:30}'],
  ['timestamp[]', '{"2024-01-02 03:04:05.123456",infinity,-infinity,NULL}'],
  ['timestamptz[]', '{"2024-01-02 03:04:05.123456+00",infinity,NULL}', '{{"2024-01-02 03:04:05+00"},{"1999-12-31 23:59:59.5+00"}}'],
  ['interval[]', '{"1 day","-1 mon 02:00:00",NULL}'],
  ['inet[]', '{10.0.0.1,::1/128}'],
  ['point[]', '{"(1,2)","(3,4)"}'],
  ['box[]', '{(3,4),(1,2);(5,6),(1,1)}'],
  ['circle[]', '{"<(1,2),3>"}'],
  ['int4range', 'empty', '[1,10)', '[1,)', '(,5]', '(,)'],
  ['int8range', '[9007199254740993,9223372036854775806]'],
  ['numrange', '(1.5,)', '[0.1,NaN]', 'empty'],
  ['tsrange', '["2024-01-02 03:04:05",infinity)', '[-infinity,"2000-01-01"]'],
  ['tstzrange', '["2024-01-02 03:04:05+00","2024-02-02 03:04:05+00")', '(,"2024-01-01 00:00:00+00"]'],
  ['daterange', '[2024-01-02,2024-02-02)', '[-infinity,infinity)', 'empty'],
  ['int4range[]', '{"[1,2)",empty}'],
];

const OPTIONS: [string, Partial<TypeOptions>][] = [['default', {}], ['precise timestamps', { timestamps: 'precise' }], ['int8 as strings', { int8: 'string' }]];
const ZONES = ['UTC', 'Asia/Kathmandu', 'America/St_Johns'];

/** A registry with every built-in type but no binary reading at all: the text path everywhere. */
function textOnlyRegistry(options: Partial<TypeOptions>): TypeRegistry {
  const registry = new TypeRegistry(options);
  for (const record of BUILTIN_RECORDS) registry.register({ ...record, parseBinary: undefined, binaryResults: false });
  return registry;
}

let db: TestDatabase;
const opened: Connection[] = [];

async function open(types: TypeRegistry, zone: string): Promise<Connection> {
  const conn = new Connection({ types });
  opened.push(conn);
  await conn.connect(`${db.url()}?sslmode=disable`);
  await conn.runOperation(`SET TimeZone = '${zone}'`);
  await conn.runOperation('SET extra_float_digits = 1');
  return conn;
}

describeServer('binary and text decoding agree on a real server', () => {
  beforeAll(async () => {
    db = await createTestDatabase('binary_vs_text');
  });
  afterAll(async () => {
    for (const c of opened) c.close();
    await db.drop();
  });

  it('covers every built-in type that has a binary reading', () => {
    const registry = createDefaultRegistry();
    const covered = new Set(VALUES.map(([type]) => registry.byName(type.replace(/^"char"$/, 'char').replace(/\(\d+\)/, ''))?.oid));
    const missing = BUILTIN_RECORDS.filter((r) => r.parseBinary !== undefined && !covered.has(r.oid)).map((r) => r.name);
    expect(missing).toEqual([]);
  });

  for (const zone of ZONES) {
    for (const [label, options] of OPTIONS) {
      it(`the send form decodes as the text form (${label}, TimeZone ${zone})`, async () => {
        const registry = createDefaultRegistry(options);
        const conn = await open(createDefaultRegistry(), zone);
        let checked = 0;
        for (const [type, ...literals] of VALUES) {
          for (const literal of literals) {
            const [meta] = await conn.runQuery<{ oid: number; send: string; out: string }>(
              `SELECT t.oid::int4 AS oid, t.typsend::text AS send, t.typoutput::text AS out FROM pg_type t WHERE t.oid = $1::text::regtype`, [type]);
            const record = registry.get(meta.oid);
            if (record?.parseBinary === undefined) continue;
            const [row] = await conn.runQuery<{ t: string; b: Buffer }>(
              `SELECT ${meta.out}(v)::text AS t, ${meta.send}(v) AS b FROM (SELECT $1::text::${type} AS v) s`, [literal]);
            const fromText = registry.decoder(meta.oid, 0)(Buffer.from(row.t, 'utf8'));
            const fromBinary = registry.decoder(meta.oid, 1)(row.b);
            expect({ type, literal, value: fromBinary }).toEqual({ type, literal, value: fromText });
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(150);
      });

      it(`a query returns the same values with binary results as forced to text (${label}, TimeZone ${zone})`, async () => {
        const binary = await open(createDefaultRegistry(options), zone);
        const text = await open(textOnlyRegistry(options), zone);
        const registry = createDefaultRegistry(options);
        let binaryColumns = 0;
        for (const [type, ...literals] of VALUES) {
          for (const literal of literals) {
            const sql = `SELECT $1::text::${type} AS v, NULL::${type} AS n`;
            const [viaBinary] = await binary.runQuery<{ v: unknown; n: unknown }>(sql, [literal]);
            const [viaText] = await text.runQuery<{ v: unknown; n: unknown }>(sql, [literal]);
            expect({ type, literal, value: viaBinary.v, n: viaBinary.n }).toEqual({ type, literal, value: viaText.v, n: null });
            const oid = registry.byName(type.replace(/^"char"$/, 'char').replace(/\(\d+\)/, ''))?.oid ?? 0;
            if (registry.resultFormat(oid) === 1) binaryColumns++;
          }
        }
        expect(binaryColumns).toBeGreaterThan(80);
      });
    }
  }
});
