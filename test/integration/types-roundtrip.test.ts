/**
 * Every built-in type round-trips through a real server: each case of
 * test/types/roundtrip-cases.ts is bound as the parameter of
 * `SELECT $1::<type>` on a Connection and must come back equal (or equal to
 * the server-normalized `expected`).
 */
import { Connection, createDefaultRegistry } from '../../src/index';
import { roundTripCases, type RoundTripCase } from '../types/roundtrip-cases';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
const connections = new Map<string, Connection>();

beforeAll(async () => {
  db = await createTestDatabase('types_roundtrip');
});
afterAll(async () => {
  for (const c of connections.values()) c.close();
  await db.drop();
});

/** One connection per distinct set of registry options (e.g. precise timestamps). */
async function connectionFor(c: RoundTripCase): Promise<Connection> {
  const key = JSON.stringify(c.options ?? {});
  let conn = connections.get(key);
  if (conn === undefined) {
    conn = new Connection({ types: createDefaultRegistry(c.options) });
    connections.set(key, conn);
    await conn.connect(`${db.url()}?sslmode=disable`);
  }
  return conn;
}

describe('type round trip through a server', () => {
  it('has cases to run, with and without registry options', () => {
    expect(roundTripCases.filter((c) => c.options === undefined).length).toBeGreaterThan(0);
    expect(roundTripCases.filter((c) => c.options !== undefined).length).toBeGreaterThan(0);
  });

  it.each(roundTripCases.map((c, i) => [i, c.sqlType, c] as const))('case %i: a %s parameter comes back equal', async (_i, sqlType, c) => {
    const conn = await connectionFor(c);
    const rows = await conn.runQuery<{ v: unknown }>(`SELECT $1::${sqlType} AS v`, [c.value]);
    expect(rows).toHaveLength(1);
    expect(rows[0].v).toEqual('expected' in c ? c.expected : c.value);
  });

  it('round-trips the whole table in one pipelined burst on one connection', async () => {
    const plain = roundTripCases.filter((c) => c.options === undefined);
    expect(plain.length).toBeGreaterThan(roundTripCases.length / 2); // the burst really covers the table
    const conn = await connectionFor({ sqlType: 'int4', value: 0 });
    const all = await Promise.all(plain.map((c) => conn.runQuery<{ v: unknown }>(`SELECT $1::${c.sqlType} AS v`, [c.value])));
    expect(all).toHaveLength(plain.length);
    all.forEach((rows, i) => expect(rows[0].v).toEqual('expected' in plain[i] ? plain[i].expected : plain[i].value));
  });
});
