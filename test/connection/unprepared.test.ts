/**
 * `prepare: false`: unnamed statements only, nothing cached on the server
 * (a pooler in transaction mode), judged by pg_prepared_statements.
 */
import { Connection, ConnectionPool } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('unprepared');
});
afterAll(async () => {
  await db.drop();
});

async function prepared(conn: Connection): Promise<number> {
  const rows = await conn.runQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements', [], { simple: true });
  return rows[0].n;
}

describe('prepare: false', () => {
  it('(the judge works: by default a statement is prepared and cached)', async () => {
    const conn = new Connection();
    await conn.connect(db.url());
    await conn.runQuery('SELECT $1::int AS i', [1]);
    expect(await prepared(conn)).toBeGreaterThan(0);
    conn.close();
  });

  it('runs statements with and without parameters, decodes results, and prepares nothing', async () => {
    const conn = new Connection({ prepare: false });
    await conn.connect(db.url());
    expect(await conn.runQuery('SELECT $1::int + 1 AS n, $2::text AS t, $3::jsonb AS j', [41, 'x', { a: [1, 2] }])).toEqual([{ n: 42, t: 'x', j: { a: [1, 2] } }]);
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await conn.runQuery('SELECT $1::int AS i', [7])).toEqual([{ i: 7 }]);
    expect(await conn.runQuery("SELECT '2026-12-02'::date AS d, 10::int8 AS b")).toEqual([{ d: '2026-12-02', b: 10n }]);
    expect(await prepared(conn)).toBe(0);
    conn.close();
  });

  it('survives DISCARD ALL between statements (nothing to lose) and pipelines in call order', async () => {
    const conn = new Connection({ prepare: false });
    await conn.connect(db.url());
    await conn.runQuery('SELECT $1::int AS i', [1]);
    await conn.runOperation('DISCARD ALL', [], { simple: true });
    const fired: number[] = [];
    const calls = [0, 1, 2, 3].map((i) => conn.runQuery('SELECT $1::int AS i', [i]).addCallback((r) => (fired.push(i), r)));
    const results = await Promise.all(calls);
    expect(fired).toEqual([0, 1, 2, 3]);
    expect(results.map((r) => r[0])).toEqual([0, 1, 2, 3].map((i) => ({ i })));
    conn.close();
  });

  it('runs interactions and a multi-statement string without parameters', async () => {
    const conn = new Connection({ prepare: false });
    await conn.connect(db.url());
    await conn.runOperation('CREATE TABLE t (v int)');
    await conn.runInteraction(async (c) => {
      await c.execute('INSERT INTO t VALUES ($1)', [5]);
      await c.execute('INSERT INTO t VALUES ($1)', [6]);
    });
    expect(await conn.runQuery('SELECT sum(v)::int AS s FROM t')).toEqual([{ s: 11 }]);
    expect(await conn.runQuery('SELECT 1 AS a; SELECT 2 AS b')).toEqual([{ b: 2 }]);
    expect(await prepared(conn)).toBe(0);
    conn.close();
  });

  it('is a pool option too', async () => {
    const pool = new ConnectionPool({ min: 1, max: 1, connect: db.url(), prepare: false });
    await pool.start();
    expect(await pool.runQuery('SELECT $1::int * 2 AS n', [21])).toEqual([{ n: 42 }]);
    expect(await pool.withConnection((c) => prepared(c))).toBe(0);
    await pool.close();
  });
});
