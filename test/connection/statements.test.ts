/**
 * The statement cache after a schema change or DISCARD ALL: re-prepared and
 * run again transparently outside a transaction; inside one, a clear failure
 * and an evicted statement, so the next transaction works.
 */
import { Connection, TypeRegistry, newType, registerType } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('executor');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('DROP TABLE IF EXISTS users');
  await conn.runOperation('CREATE TABLE users (id int, name text)');
  await conn.runOperation("INSERT INTO users VALUES (1, 'ann')");
});
afterEach(() => conn.close());

const SELECT = 'SELECT * FROM users WHERE id = $1';

describe('stale cached statements', () => {
  it('re-prepares after ALTER TABLE ... ADD COLUMN (0A000) and returns the new shape', async () => {
    expect(await conn.runQuery(SELECT, [1])).toEqual([{ id: 1, name: 'ann' }]);
    await conn.runOperation('ALTER TABLE users ADD COLUMN email text');
    expect(await conn.runQuery(SELECT, [1])).toEqual([{ id: 1, name: 'ann', email: null }]);
    expect(await conn.runQuery(SELECT, [1])).toEqual([{ id: 1, name: 'ann', email: null }]);
  });

  it('re-prepares every pipelined call of the stale statement, in call order', async () => {
    await conn.runQuery(SELECT, [1]);
    await conn.runOperation('ALTER TABLE users ADD COLUMN email text');
    const fired: number[] = [];
    const calls = [0, 1, 2].map((i) => conn.runQuery(SELECT, [1]).addCallback((r) => (fired.push(i), r)));
    const results = await Promise.all(calls);
    expect(fired).toEqual([0, 1, 2]);
    for (const r of results) expect(r).toEqual([{ id: 1, name: 'ann', email: null }]);
  });

  it('re-prepares after DISCARD ALL (26000), with and without parameters', async () => {
    await conn.runQuery(SELECT, [1]);
    await conn.runQuery('SELECT count(*)::int AS n FROM users');
    await conn.runOperation('DISCARD ALL', [], { simple: true });
    expect(await conn.runQuery(SELECT, [1])).toEqual([{ id: 1, name: 'ann' }]);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]);
  });

  it('inside a transaction: fails with the server error, evicts, and the next transaction works', async () => {
    await conn.runQuery(SELECT, [1]);
    await conn.runOperation('ALTER TABLE users ADD COLUMN email text');
    const err = await conn
      .runInteraction(async (c) => {
        await c.execute(SELECT, [1]);
      })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(err).toMatchObject({ code: '0A000' });
    const rows = await conn.runInteraction(async (c) => (await c.execute(SELECT, [1])).fetchall());
    expect(rows).toEqual([{ id: 1, name: 'ann', email: null }]);
  });
});

describe('types registered after a statement was cached', () => {
  it('decode that statement with the new type from then on', async () => {
    expect(await conn.runQuery('SELECT 42::int4 AS v')).toEqual([{ v: 42 }]);
    expect(await conn.runQuery('SELECT 42::int4 AS v')).toEqual([{ v: 42 }]); // cached with its row shape now
    conn.types.register(newType([23], 'int4', (text) => `int:${text}`));
    expect(await conn.runQuery('SELECT 42::int4 AS v')).toEqual([{ v: 'int:42' }]);
  });
});

describe('type registration scopes', () => {
  const OID_BOOL = 16;

  it('a global registration reaches connections created afterwards, not earlier ones', async () => {
    const before = conn;
    const original = TypeRegistry.default().get(OID_BOOL)!;
    registerType(newType([OID_BOOL], 'bool', (t) => (t === 't' ? 'yes' : 'no')));
    try {
      const after = new Connection();
      await after.connect(db.url());
      expect(await after.runQuery('SELECT true AS b')).toEqual([{ b: 'yes' }]);
      after.close();
      expect(await before.runQuery('SELECT true AS b')).toEqual([{ b: true }]);
    } finally {
      registerType(original);
    }
  });

  it('a cursor registration applies to that cursor only', async () => {
    const c = conn.cursor();
    registerType(newType([OID_BOOL], 'bool', (t) => (t === 't' ? 'Y' : 'N')), c);
    expect((await c.execute('SELECT true AS b')).fetchall()).toEqual([{ b: 'Y' }]);
    expect(await conn.runQuery('SELECT true AS b')).toEqual([{ b: true }]);
    expect((await conn.cursor().execute('SELECT true AS b')).fetchall()).toEqual([{ b: true }]);
  });

  it('a connection registration applies to that connection only', async () => {
    const other = new Connection();
    await other.connect(db.url());
    registerType(newType([OID_BOOL], 'bool', (t) => `conn:${t}`), conn);
    expect(await conn.runQuery('SELECT true AS b')).toEqual([{ b: 'conn:t' }]);
    expect(await other.runQuery('SELECT true AS b')).toEqual([{ b: true }]);
    other.close();
  });
});
