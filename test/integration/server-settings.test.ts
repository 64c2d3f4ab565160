/**
 * The codecs under the server's own settings: the startup packet carries
 * only what a pooler passes on (client_encoding, DateStyle), so
 * IntervalStyle and extra_float_digits are whatever the server says.
 * Intervals decode under every IntervalStyle (set with `SET`), and floats
 * come back exact at the server default extra_float_digits=1 (PostgreSQL
 * 12+ prints the shortest exact text), in text (`prepare: false`, a first
 * run) and in binary (a cached statement) alike.
 */
import { Connection, Interval } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('server_settings');
});
afterAll(async () => {
  await db.drop();
});

/** A connection, prepared (the default) or not; closed after the test by `using`. */
async function open(prepare: boolean): Promise<Connection> {
  const conn = new Connection({ prepare });
  await conn.connect(db.url());
  return conn;
}

const H = 3600000000n;
const STYLES = ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'];
const INTERVALS: Array<[string, Interval]> = [
  ['0', new Interval()],
  ['1 year 2 mons', new Interval(14, 0, 0n)],
  ['-1 year -2 mons +3 days -04:05:06.5', new Interval(-14, 3, -(4n * H + 306500000n))],
  ['1 year 2 mons 3 days 04:05:06.000001', new Interval(14, 3, 4n * H + 306000001n)],
  ['-3 days -04:05:06', new Interval(0, -3, -(4n * H + 306000000n))],
  ['-2 mons', new Interval(-2, 0, 0n)],
  ['1 day -1 sec', new Interval(0, 1, -1000000n)],
  ['-1 day +0.000001 sec', new Interval(0, -1, 1n)],
  ['-0.5 sec', new Interval(0, 0, -500000n)],
  ['1000000 hours', new Interval(0, 0, 1000000n * H)],
  ['-178000000 years', new Interval(-178000000 * 12, 0, 0n)],
  ['2147483647 days 2562047788:00:54.775807', new Interval(0, 2147483647, 9223372036854775807n)],
];

/**
 * The intervals this server reads and prints as text. PostgreSQL 14 keeps an
 * interval's hours in an int while parsing and printing, so it cannot read
 * the last one (2562047788 hours: 22015, whether literal or parameter) nor
 * print it (22008); 15 lifted that.
 */
async function textIntervals(conn: Connection): Promise<Array<[string, Interval]>> {
  const [{ n }] = await conn.runQuery<{ n: string }>("SELECT current_setting('server_version_num') AS n");
  return Number(n) >= 150000 ? INTERVALS : INTERVALS.slice(0, -1);
}

describe('startup parameters', () => {
  it('set client_encoding and DateStyle, and leave IntervalStyle and extra_float_digits to the server', async () => {
    const conn = await open(true);
    const rows = await conn.runQuery<{ name: string; source: string }>(
      "SELECT name, source FROM pg_settings WHERE name IN ('client_encoding', 'DateStyle', 'IntervalStyle', 'extra_float_digits')",
    );
    conn.close();
    expect(Object.fromEntries(rows.map((r) => [r.name, r.source]))).toEqual({
      client_encoding: 'client', DateStyle: 'client', extra_float_digits: 'default', IntervalStyle: 'default',
    });
  });
});

describe.each([true, false])('intervals under every IntervalStyle (prepare: %s)', (prepare) => {
  it.each(STYLES)('%s: literals, parameters and arrays decode to the same Interval', async (style) => {
    const conn = await open(prepare);
    await conn.runOperation(`SET IntervalStyle = ${style}`);
    expect(await conn.runQuery('SHOW IntervalStyle')).toEqual([{ IntervalStyle: style }]);
    const cases = await textIntervals(conn);
    const literals = cases.map(([text], i) => `'${text}'::interval AS v${i}`).join(', ');
    for (let run = 0; run < 2; run++) {
      const [row] = await conn.runQuery<Record<string, Interval>>(`SELECT ${literals}`);
      expect(Object.values(row)).toEqual(cases.map(([, v]) => v));
    }
    for (const [, value] of cases) expect(await conn.runQuery('SELECT $1::interval AS v', [value])).toEqual([{ v: value }]);
    const all = cases.map(([, v]) => v);
    expect(await conn.runQuery('SELECT $1::interval[] AS v', [all])).toEqual([{ v: all }]);
    for (const [text, value] of INTERVALS.slice(cases.length)) { // PostgreSQL 14 only: refused, not mangled
      await expect(conn.runQuery(`SELECT '${text}'::interval AS v`)).rejects.toMatchObject({ code: '22015' });
      await expect(conn.runQuery('SELECT $1::interval AS v', [value])).rejects.toMatchObject({ code: '22015' });
    }
    conn.close();
  });
});

/** A float as SQL literal text (`String(-0)` would be `0`). */
const literal = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

const FLOAT8 = [0.1, 1 / 3, Math.PI, 1e-310, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2, -0, 0, NaN, Infinity, -Infinity, 123456789.12345679];
const FLOAT4 = [0.1, 1.5, 3.4028235e38, 1.17549435e-38, 1e-45, 16777217, -0, NaN, Infinity, -Infinity, 1 / 3];

describe.each([true, false])('floats at the server default extra_float_digits (prepare: %s)', (prepare) => {
  it('the server prints with its default, extra_float_digits = 1', async () => {
    const conn = await open(prepare);
    expect(await conn.runQuery('SHOW extra_float_digits')).toEqual([{ extra_float_digits: '1' }]);
    conn.close();
  });

  it('float8 parameters, literals and arrays come back exactly', async () => {
    const conn = await open(prepare);
    for (let run = 0; run < 2; run++) { // the second run of a cached statement asks for binary
      for (const v of FLOAT8) expect([v, await conn.runQuery('SELECT $1::float8 AS v', [v])]).toEqual([v, [{ v }]]);
      expect(await conn.runQuery('SELECT $1::float8[] AS v', [FLOAT8])).toEqual([{ v: FLOAT8 }]);
      const [row] = await conn.runQuery<Record<string, number>>(`SELECT ${FLOAT8.map((v, i) => `'${literal(v)}'::float8 AS v${i}`).join(', ')}`);
      expect(Object.values(row)).toEqual(FLOAT8);
    }
    conn.close();
  });

  it('float4 comes back as the float4 the server holds (Math.fround of what was sent), in text and in binary', async () => {
    const conn = await open(prepare);
    const held = FLOAT4.map((v) => Math.fround(v));
    for (let run = 0; run < 2; run++) {
      for (const [i, v] of FLOAT4.entries()) expect([v, await conn.runQuery('SELECT $1::float4 AS v', [v])]).toEqual([v, [{ v: held[i] }]]);
      expect(await conn.runQuery('SELECT $1::float4[] AS v', [FLOAT4])).toEqual([{ v: held }]);
      const [row] = await conn.runQuery<Record<string, number>>(`SELECT ${FLOAT4.map((v, i) => `'${literal(v)}'::float4 AS v${i}`).join(', ')}`);
      expect(Object.values(row)).toEqual(held);
    }
    conn.close();
  });
});
