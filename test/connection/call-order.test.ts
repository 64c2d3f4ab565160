/**
 * Deferreds of one connection fire in call order, and statements run on the
 * server in call order, even when pipelined and whatever needs preparing.
 */
import { Connection } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('callorder');
});
afterAll(async () => {
  await db.drop();
});

async function connected(): Promise<Connection> {
  const conn = new Connection();
  await conn.connect(db.url());
  return conn;
}

describe('call order', () => {
  it('fires five concurrent runQuery calls of a statement not yet prepared in the order called', async () => {
    const conn = await connected();
    const fired: number[] = [];
    const calls = [0, 1, 2, 3, 4].map((i) => conn.runQuery('SELECT $1::int AS i', [i]).addCallback((rows) => (fired.push(i), rows)));
    const results = await Promise.all(calls);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r[0])).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    conn.close();
  });

  it('mixes new, cached, parameterless and failing statements and still fires in call order', async () => {
    const conn = await connected();
    await conn.runQuery('SELECT 1 AS cached');
    const fired: string[] = [];
    const mark = (name: string) => (v: unknown) => (fired.push(name), v);
    const calls = [
      conn.runQuery('SELECT $1::text AS a', ['new with params']).addBoth(mark('a')),
      conn.runQuery('SELECT 1 AS cached').addBoth(mark('b')),
      conn.runQuery('SELECT 2 AS fresh').addBoth(mark('c')),
      conn.runQuery('SELECT 2 AS fresh').addBoth(mark('d')),
      conn.runQuery('SELECT 1/$1::int AS boom', [0]).addBoth(mark('e')),
      conn.runQuery('SELECT 1; SELECT 2').addBoth(mark('f')), // prepared, refused, sent again as a simple Query
      conn.runQuery('SELECT $1::int AS g', [7]).addBoth(mark('g')),
    ];
    await Promise.allSettled(calls);
    expect(fired).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    conn.close();
  });

  it('runs statements on the server in call order: a later cached SELECT sees an earlier INSERT still being prepared', async () => {
    const conn = await connected();
    await conn.runOperation('CREATE TABLE seen (v int)');
    await conn.runQuery('SELECT count(*)::int AS n FROM seen'); // cached: needs no round trip
    const insert = conn.runOperation('INSERT INTO seen VALUES ($1)', [1]); // new, with a parameter: two round trips
    const count = conn.runQuery<{ n: number }>('SELECT count(*)::int AS n FROM seen');
    await insert;
    expect(await count).toEqual([{ n: 1 }]);
    conn.close();
  });

  it('on close(), a queued interaction fails after the query called before it, not first', async () => {
    const conn = await connected();
    const fired: string[] = [];
    const query = conn.runQuery('SELECT pg_sleep(10)').addBoth((v) => (fired.push('query'), v));
    const interaction = conn.runInteraction(async () => 1).addBoth((v) => (fired.push('interaction'), v));
    conn.close();
    await Promise.allSettled([query, interaction]);
    expect(fired).toEqual(['query', 'interaction']);
  });

  it('keeps call order inside an interaction (pipelined statements on the lease)', async () => {
    const conn = await connected();
    const fired: number[] = [];
    await conn.runInteraction(async (c) => {
      const runs = [0, 1, 2, 3].map((i) => conn.query('SELECT $1::int AS i', [i], {}, c.lease).addCallback((r) => (fired.push(i), r)));
      await Promise.all(runs);
    });
    expect(fired).toEqual([0, 1, 2, 3]);
    conn.close();
  });
});
