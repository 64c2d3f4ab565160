/**
 * Results people expect (issue 14), against the real server: `rowCount`,
 * `command` and `results` (with each statement's columns) reachable from runQuery's rows and
 * runOperation's result, on a Connection and a ConnectionPool, without a
 * cursor; every statement of a multi-statement simple query, including
 * one that fails in the middle; typed rows are an unchecked assertion.
 */
import { Connection, ConnectionPool, DatabaseError, type ResultRows } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('results');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('DROP TABLE IF EXISTS items; CREATE TABLE items (id int PRIMARY KEY, name text)');
});
afterEach(() => conn.close());

/** The non-enumerable properties the rows array carries. */
function info(rows: ResultRows<unknown>): { command: string | null; rowCount: number; results: number } {
  return { command: rows.command, rowCount: rows.rowCount, results: rows.results.length };
}

describe('runQuery: the rows carry command and rowCount', () => {
  it('for a SELECT: the tag and the number of rows; the rows still compare, print and serialize as plain rows', async () => {
    const rows = await conn.runQuery<{ n: number }>('SELECT n FROM generate_series(1, 3) n');
    expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(rows).toStrictEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(info(rows)).toEqual({ command: 'SELECT 3', rowCount: 3, results: 1 });
    expect(rows.results[0].columns?.map((c) => c.name)).toEqual(['n']);
    expect('columns' in rows).toBe(false);
    expect(Object.keys(rows)).toEqual(['0', '1', '2']);
    expect(JSON.stringify(rows)).toBe('[{"n":1},{"n":2},{"n":3}]');
    expect(rows.results[0]).toEqual({ rows, columns: rows.results[0].columns, command: 'SELECT 3', rowCount: 3 });
  });

  it('for INSERT, UPDATE and DELETE with parameters (prepared, then cached): the rows affected', async () => {
    for (let round = 0; round < 2; round++) {
      const inserted = await conn.runQuery('INSERT INTO items SELECT g, $1 FROM generate_series(1, 4) g', ['x']);
      expect([...inserted]).toEqual([]);
      expect(info(inserted)).toEqual({ command: 'INSERT 0 4', rowCount: 4, results: 1 });
      expect(inserted.results[0].columns).toBeNull();
      const updated = await conn.runQuery('UPDATE items SET name = $1 WHERE id <= $2', ['y', 3]);
      expect(info(updated)).toEqual({ command: 'UPDATE 3', rowCount: 3, results: 1 });
      const deleted = await conn.runQuery('DELETE FROM items WHERE id > $1 RETURNING id', [0]);
      expect(deleted.map((r) => r.id).sort()).toEqual([1, 2, 3, 4]);
      expect(info(deleted)).toEqual({ command: 'DELETE 4', rowCount: 4, results: 1 });
    }
  });

  it('for a command without a count: rowCount is -1', async () => {
    const rows = await conn.runQuery('CREATE TEMP TABLE t_no_count (x int)');
    expect(info(rows)).toEqual({ command: 'CREATE TABLE', rowCount: -1, results: 1 });
  });

  it('with tuple rows, a simple query and prepare: false alike', async () => {
    expect(info(await conn.runQuery('SELECT 1, 2', [], { rowFactory: 'tuple' }))).toEqual({ command: 'SELECT 1', rowCount: 1, results: 1 });
    expect(info(await conn.runQuery('SELECT 1', [], { simple: true }))).toEqual({ command: 'SELECT 1', rowCount: 1, results: 1 });
    const unprepared = new Connection({ prepare: false });
    await unprepared.connect(db.url());
    try {
      expect(info(await unprepared.runQuery('INSERT INTO items VALUES ($1, $2)', [9, 'z']))).toEqual({ command: 'INSERT 0 1', rowCount: 1, results: 1 });
    } finally {
      unprepared.close();
    }
  });
});

describe('runOperation: fires with the command tag and row count', () => {
  it('for one statement', async () => {
    await conn.runOperation('INSERT INTO items SELECT g FROM generate_series(1, 5) g');
    expect(await conn.runOperation('UPDATE items SET name = $1 WHERE id > $2', ['v', 2])).toEqual({
      command: 'UPDATE 3',
      rowCount: 3,
      results: [{ command: 'UPDATE 3', rowCount: 3 }],
    });
  });

  it('for several statements: the last, and each in order', async () => {
    const r = await conn.runOperation("INSERT INTO items VALUES (1, 'a'), (2, 'b'); UPDATE items SET name = 'c'; DELETE FROM items WHERE id = 1");
    expect(r).toEqual({
      command: 'DELETE 1',
      rowCount: 1,
      results: [
        { command: 'INSERT 0 2', rowCount: 2 },
        { command: 'UPDATE 2', rowCount: 2 },
        { command: 'DELETE 1', rowCount: 1 },
      ],
    });
  });
});

describe('a multi-statement simple query', () => {
  it("keeps today's rows (the last result set) and lists every statement's rows, columns, command and row count", async () => {
    const rows = await conn.runQuery("SELECT 1 AS a; INSERT INTO items VALUES (1, 'x'), (2, 'y'); SELECT id, name FROM items ORDER BY id; UPDATE items SET name = 'z'");
    expect(rows).toEqual([{ id: 1, name: 'x' }, { id: 2, name: 'y' }]); // the last result set, as before
    expect(info(rows)).toEqual({ command: 'UPDATE 2', rowCount: 2, results: 4 }); // the last statement's tag, as the cursor's rowcount
    expect(rows.results.map((r) => ({ rows: r.rows, command: r.command, rowCount: r.rowCount, columns: r.columns?.map((c) => c.name) ?? null }))).toEqual([
      { rows: [{ a: 1 }], command: 'SELECT 1', rowCount: 1, columns: ['a'] },
      { rows: [], command: 'INSERT 0 2', rowCount: 2, columns: null },
      { rows: [{ id: 1, name: 'x' }, { id: 2, name: 'y' }], command: 'SELECT 2', rowCount: 2, columns: ['id', 'name'] },
      { rows: [], command: 'UPDATE 2', rowCount: 2, columns: null },
    ]);
  });

  it('with simple: true, each result decoded with its own columns', async () => {
    const rows = await conn.runQuery("SELECT 1::int8 AS big, 'a' AS t; SELECT true AS b", [], { simple: true });
    expect(rows.results.map((r) => r.rows)).toEqual([[{ big: 1n, t: 'a' }], [{ b: true }]]);
  });

  it('fails with the error of a statement in the middle: the later statements never ran, and the implicit transaction rolled back the earlier ones', async () => {
    const error = await conn
      .runQuery("INSERT INTO items VALUES (1, 'a'); SELECT 1 / 0; INSERT INTO items VALUES (2, 'b')")
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: '22012' });
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 0 }]);
    expect(conn.transactionStatus).toBe('I');
  });

  it('inside an explicit transaction block: the error leaves the statements before it to the transaction', async () => {
    const error = await conn.runOperation("BEGIN; INSERT INTO items VALUES (1, 'a'); SELECT 1 / 0; INSERT INTO items VALUES (2, 'b')").then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: '22012' });
    expect(conn.transactionStatus).toBe('E');
    await conn.runOperation('ROLLBACK');
    expect((await conn.runQuery('SELECT count(*)::int AS n FROM items'))[0]).toEqual({ n: 0 });
  });

  it('an empty query: no rows, a null command', async () => {
    const rows = await conn.runQuery('', [], { simple: true });
    expect([...rows]).toEqual([]);
    expect(info(rows)).toEqual({ command: null, rowCount: -1, results: 1 });
  });
});

describe('ConnectionPool', () => {
  it('runQuery and runOperation carry the same information', async () => {
    const pool = new ConnectionPool({ min: 1, max: 2, connect: db.url() });
    await pool.start();
    try {
      expect(await pool.runOperation("INSERT INTO items VALUES (1, 'a'), (2, 'b')")).toMatchObject({ command: 'INSERT 0 2', rowCount: 2 });
      const rows = await pool.runQuery<{ id: number }>('SELECT id FROM items ORDER BY id');
      expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
      expect(info(rows)).toEqual({ command: 'SELECT 2', rowCount: 2, results: 1 });
      const multi = await pool.runQuery('SELECT 1 AS a; SELECT 2 AS b');
      expect(multi.results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    } finally {
      await pool.close();
    }
  });
});

describe('typed rows', () => {
  it('are an unchecked assertion: the rows are what the server sent, whatever R says', async () => {
    const rows = await conn.runQuery<{ n: string }>('SELECT 1 AS n');
    expect(typeof rows[0].n).toBe('number'); // R claimed a string: nothing checked it
  });
});
