/**
 * The statement cache after a schema change or DISCARD ALL: re-prepared and
 * run again transparently outside a transaction; inside one, a clear failure
 * and an evicted statement, so the next transaction works. Statement names
 * are the session's own (a random prefix), and a name taken on the server
 * (42P05) is treated like a stale statement.
 */
import { Connection, TypeRegistry, newType, registerType } from '../../src/index';
import { failure } from '../support/failure';
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

/** The names and SQL of the statements prepared in `c`'s session (asked with the simple protocol: prepares nothing). */
async function preparedOn(c: Connection): Promise<Array<{ name: string; statement: string }>> {
  return c.runQuery('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time, name', [], { simple: true });
}

/** The name `c` prepared `sql` under. */
async function nameOf(c: Connection, sql: string): Promise<string> {
  const found = (await preparedOn(c)).find((p) => p.statement === sql);
  if (found === undefined) throw new Error(`${sql} is not prepared`);
  return found.name;
}

/** The name the session will give its next statement, after `name` (`..._<n>` becomes `..._<n + 1>`). */
function nextName(name: string): string {
  const m = /^(.*\D)(\d+)$/.exec(name)!;
  return `${m[1]}${Number(m[2]) + 1}`;
}

describe('statement names', () => {
  it('carry a random prefix of the session: two sessions never share a name', async () => {
    const other = new Connection();
    await other.connect(db.url());
    await conn.runQuery(SELECT, [1]);
    await other.runQuery(SELECT, [1]);
    const mine = await nameOf(conn, SELECT), theirs = await nameOf(other, SELECT);
    other.close();
    expect(mine).toMatch(/^tsp_[0-9a-z]{8}_\d+$/);
    expect(theirs).toMatch(/^tsp_[0-9a-z]{8}_\d+$/);
    expect(mine).not.toBe(theirs);
  });

  it('a name taken on the server (42P05), outside a transaction: prepared again under a new name, and the answer is our own', async () => {
    await conn.runQuery(SELECT, [1]);
    const taken = nextName(await nameOf(conn, SELECT));
    await conn.runOperation(`PREPARE ${taken} AS SELECT 'not mine' AS name`, [], { simple: true });
    expect(await conn.runQuery('SELECT name FROM users WHERE id = $1', [1])).toEqual([{ name: 'ann' }]);
    // without parameters (Parse, Describe, Bind, Execute and Sync in one batch) too; the retry took nextName(taken)
    await conn.runOperation(`PREPARE ${nextName(nextName(taken))} AS SELECT 'not mine' AS name`, [], { simple: true });
    expect(await conn.runQuery("SELECT 'mine' AS name")).toEqual([{ name: 'mine' }]);
    // the statement that took the name is untouched (not closed as if it were ours)
    expect((await preparedOn(conn)).filter((p) => /not mine/.test(p.statement))).toHaveLength(2);
  });

  it('a name taken on the server (42P05), inside a transaction: the error is reported, and the next transaction works', async () => {
    await conn.runInteraction((c) => c.execute(SELECT, [1])); // BEGIN, the SELECT and COMMIT are prepared now
    const taken = nextName((await preparedOn(conn)).at(-1)!.name);
    await conn.runOperation(`PREPARE ${taken} AS SELECT 'not mine' AS name`, [], { simple: true });
    const error = await failure(conn.runInteraction((c) => c.execute('SELECT name FROM users WHERE id = $1', [1])));
    expect(error).toMatchObject({ code: '42P05' });
    const rows = await conn.runInteraction(async (c) => (await c.execute('SELECT name FROM users WHERE id = $1', [1])).fetchall());
    expect(rows).toEqual([{ name: 'ann' }]);
  });

  it('a statement whose first run failed in the client is closed on the server, not left behind', async () => {
    conn.types.register(newType([1700], 'numeric', () => { throw new Error('decoder broke'); }));
    for (let i = 0; i < 3; i++) expect(await failure(conn.runQuery('SELECT 1.5::numeric AS n'))).toBeDefined();
    await conn.runQuery(SELECT, [1]); // its batch carries the Close messages
    expect((await preparedOn(conn)).filter((p) => p.statement === 'SELECT 1.5::numeric AS n')).toEqual([]);
  });

  it('a statement whose first run failed after it was described stays prepared and cached: the next run is no new Parse', async () => {
    for (let i = 0; i < 3; i++) expect(await failure(conn.runQuery('SELECT 1 / 0 AS boom'))).toMatchObject({ code: '22012' });
    await conn.runInteraction(async (c) => {
      await c.execute('INSERT INTO users VALUES (7, $1)', ['x']);
    });
    await conn.runOperation('CREATE UNIQUE INDEX ON users (id)');
    const insert = "INSERT INTO users VALUES (7, 'again')";
    for (let i = 0; i < 2; i++) expect(await failure(conn.runOperation(insert))).toMatchObject({ code: '23505' });
    const prepared = await preparedOn(conn);
    expect(prepared.filter((p) => p.statement === 'SELECT 1 / 0 AS boom')).toHaveLength(1);
    expect(prepared.filter((p) => p.statement === insert)).toHaveLength(1);
    // one name each, used from then on: nothing was closed and prepared again under a new name
    const names = new Set(prepared.map((p) => p.name));
    expect(names.size).toBe(prepared.length);
  });
});

describe('a stale ROLLBACK in a failed transaction', () => {
  it('is prepared and run again (it can only end the transaction): the block fails with its own error, not RollbackFailed', async () => {
    const boom = (): PromiseLike<unknown> => conn.runInteraction(async (c) => {
      await c.execute('INSERT INTO users VALUES ($1, $2)', [2, 'bob']);
      throw new Error('boom');
    });
    expect(await failure(boom())).toMatchObject({ message: 'boom' }); // ROLLBACK is cached now
    const rollback = await nameOf(conn, 'ROLLBACK');
    await conn.runOperation(`DEALLOCATE ${rollback}`, [], { simple: true }); // as a pooler's other server connection would not know it
    expect(await failure(boom())).toMatchObject({ message: 'boom' });
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]); // not stuck in the failed block (25P02)
    expect(await conn.runInteraction(async (c) => (await c.execute('SELECT count(*)::int AS n FROM users')).fetchall())).toEqual([{ n: 1 }]);
  });

  it('a stale COMMIT is not run again: the block fails with 26000 and is rolled back', async () => {
    const insert = (id: number): PromiseLike<unknown> => conn.runInteraction((c) => c.execute('INSERT INTO users VALUES ($1, $2)', [id, 'x']));
    await insert(2); // COMMIT is cached now
    await conn.runOperation(`DEALLOCATE ${await nameOf(conn, 'COMMIT')}`, [], { simple: true });
    expect(await failure(insert(3))).toMatchObject({ code: '26000' });
    expect(await conn.runQuery('SELECT id FROM users ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    await insert(4);
    expect(await conn.runQuery('SELECT id FROM users ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 4 }]);
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
