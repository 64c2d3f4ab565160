/**
 * txpostgres' TxPostgresConnectionTestCase, TxPostgresManualQueryTestCase and
 * TxPostgresQueryTestCase, ported to the real server of the test run.
 */
import { AlreadyConnected, CancelledError, Connection, ConnectionClosed, ConnectionLost, Cursor, DatabaseError, InterfaceError, RollbackFailed, tupleRowFactory } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase('connection');
  url = db.url();
});
afterAll(async () => {
  await db.drop();
});

async function connected(options: ConstructorParameters<typeof Connection>[0] = {}): Promise<Connection> {
  const conn = new Connection(options);
  await conn.connect(url);
  return conn;
}

describe('connection (TxPostgresConnectionTestCase)', () => {
  it('connects and closes (test_simpleConnection)', async () => {
    const conn = await connected();
    expect(conn.closed).toBe(false);
    conn.close();
    expect(conn.closed).toBe(true);
  });

  it('fires connect with the connection itself, in autocommit (test_connectionSetup)', async () => {
    const conn = new Connection();
    const result = await conn.connect(url);
    expect(result).toBe(conn);
    expect(conn.transactionStatus).toBe('I');
    conn.close();
  });

  it('refuses a second connect with AlreadyConnected, and reconnects after close (test_multipleConnections)', async () => {
    const conn = await connected();
    await expect(conn.connect(url)).rejects.toBeInstanceOf(AlreadyConnected);
    conn.close();
    await conn.connect(url);
    expect(await conn.runQuery('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    conn.close();
  });

  it('fails connect with a clear error for a bad DSN and a wrong password (test_errors)', async () => {
    await expect(new Connection().connect('postgres://u@h:notaport/db')).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' });
    const u = new URL(db.url());
    u.username = process.env.PGTEST_SCRAM_USER ?? 'tsp_scram';
    u.password = 'definitely-wrong-secret';
    const err = await new Connection().connect(u.toString() + '?sslmode=disable').then(() => null, (e: unknown) => e as DatabaseError);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err!.code).toBe('28P01');
    expect(err!.message).not.toContain('definitely-wrong-secret');
  });

  it('connects, runs, closes and connects again (test_openRunCloseOpen)', async () => {
    const conn = await connected();
    await conn.runQuery('SELECT 1');
    conn.close();
    await conn.connect(url);
    expect(await conn.runQuery('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    conn.close();
  });

  it('closes twice without error (test_closeTwice)', async () => {
    const conn = await connected();
    conn.close();
    conn.close();
    expect(conn.closed).toBe(true);
  });

  it('fails any call after close with ConnectionClosed', async () => {
    const conn = await connected();
    conn.close();
    await expect(conn.runQuery('SELECT 1')).rejects.toBeInstanceOf(ConnectionClosed);
  });
});

describe('cursor (TxPostgresManualQueryTestCase)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connected({ rowFactory: 'tuple' });
    await conn.runOperation('CREATE TABLE simple (x integer)');
  });
  afterAll(() => conn.close());
  beforeEach(() => conn.runOperation('TRUNCATE simple'));

  it('executes a query and fires with the cursor (test_simpleQuery)', async () => {
    const c = conn.cursor();
    expect(await c.execute('SELECT 1')).toBe(c);
    expect(c.fetchall()).toEqual([[1]]);
  });

  it('calls a procedure (test_simpleCallproc)', async () => {
    const c = await conn.cursor().callproc('now');
    expect(c.fetchone<unknown[]>()![0]).toBeInstanceOf(Date);
  });

  it('closes a cursor after execute (test_closeCursor)', async () => {
    const c = await conn.cursor().execute('SELECT 1');
    c.close();
    expect(c.closed).toBe(true);
    expect(() => c.fetchall()).toThrow(InterfaceError);
  });

  it('chains inserts and reads them back (test_queryResults)', async () => {
    const c = conn.cursor();
    await c.execute('INSERT INTO simple VALUES (1)');
    await c.execute('INSERT INTO simple VALUES (2)');
    await c.execute('INSERT INTO simple VALUES (3)');
    await c.execute('SELECT * FROM simple ORDER BY x');
    expect(c.fetchall()).toEqual([[1], [2], [3]]);
    expect(c.rowcount).toBe(3);
    expect(c.description![0].name).toBe('x');
  });

  it('passes parameters out of band (test_cursorKwargs)', async () => {
    const c = await conn.cursor().execute('SELECT $1::int', [1]);
    expect(c.fetchone()).toEqual([1]);
  });

  it('fails with the server error for a missing table (test_errors)', async () => {
    const err = await conn.cursor().execute('SELECT * FROM nope_no_table').then(() => null, (e: unknown) => e as DatabaseError);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err!.code).toBe('42P01');
  });

  it('turns a bad parameter into a failed Deferred (test_wrongCall)', async () => {
    await expect(conn.cursor().execute('SELECT $1::int', ['not a number'])).rejects.toBeInstanceOf(InterfaceError);
    await expect(conn.cursor().execute('SELECT $1::int', [1, 2])).rejects.toMatchObject({ code: 'ERR_PARAM_COUNT' });
    expect(await conn.runQuery('SELECT 1')).toEqual([[1]]);
  });

  it('runs a manual transaction that rolls back (test_manualTransactions)', async () => {
    const c = conn.cursor();
    await c.execute('BEGIN');
    await c.execute('INSERT INTO simple VALUES (1)');
    await c.execute('INSERT INTO simple VALUES (2)');
    await c.execute('ROLLBACK');
    await c.execute('SELECT count(*) FROM simple');
    expect(c.fetchone()).toEqual([0n]);
  });

  it('runs several statements in one string through the simple protocol', async () => {
    await conn.runOperation('INSERT INTO simple VALUES (7); INSERT INTO simple VALUES (8)');
    expect(await conn.runQuery('SELECT count(*)::int FROM simple')).toEqual([[2]]);
  });
});

describe('queries and interactions (TxPostgresQueryTestCase)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connected();
    await conn.runOperation('CREATE TABLE IF NOT EXISTS simple2 (x integer)');
  });
  afterAll(() => conn.close());
  beforeEach(() => conn.runOperation('TRUNCATE simple2'));

  it('runs a query (test_runQuery)', async () => {
    expect(await conn.runQuery('SELECT 1', [], { rowFactory: 'tuple' })).toEqual([[1]]);
  });

  it('runs five concurrent queries, each with its own result (test_runQueryMultiple)', async () => {
    const ds = [1, 2, 3, 4, 5].map((i) => conn.runQuery<{ n: number }>('SELECT $1::int AS n', [i]));
    const results = await Promise.all(ds);
    expect(results.map((r) => r[0].n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('runs an operation that fires with its command tag and row count (test_runOperation; txpostgres fires None)', async () => {
    expect(await conn.runOperation('INSERT INTO simple2 VALUES (1)')).toEqual({ command: 'INSERT 0 1', rowCount: 1, results: [{ command: 'INSERT 0 1', rowCount: 1 }] });
    expect(await conn.runQuery('SELECT x FROM simple2')).toEqual([{ x: 1 }]);
  });

  it('passes arguments to an interaction and commits it (test_runSimpleInteraction)', async () => {
    const result = await conn.runInteraction(
      async (c: Cursor, a: number, b: number) => {
        await c.execute('INSERT INTO simple2 VALUES ($1), ($2)', [a, b]);
        return a + b;
      },
      1,
      2,
    );
    expect(result).toBe(3);
    expect(await conn.runQuery('SELECT x FROM simple2 ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('rolls back a failing interaction and fails with the original error (test_runErrorInteraction)', async () => {
    const err = await conn
      .runInteraction(async (c: Cursor) => {
        await c.execute('INSERT INTO simple2 VALUES (1)');
        await c.execute('SELECT * FROM nope_missing');
      })
      .then(() => null, (e: unknown) => e as DatabaseError);
    expect(err!.code).toBe('42P01');
    expect(await conn.runQuery('SELECT x FROM simple2')).toEqual([]);
    expect(conn.transactionStatus).toBe('I');
  });

  it('fails with RollbackFailed carrying the original error when ROLLBACK fails (test_errorOnRollback)', async () => {
    class NotRollingBackCursor extends Cursor {
      override execute(sql: string, params?: readonly unknown[]) {
        if (sql === 'ROLLBACK') return super.execute('SELECT boom_no_such_function()');
        return super.execute(sql, params);
      }
    }
    const capture = captureUnhandledFailures();
    const c2 = await connected({ cursorFactory: (cn, lease) => new NotRollingBackCursor(cn, lease) });
    try {
      const err = await c2
        .runInteraction((c: Cursor) => c.execute('SELECT * FROM nope_missing'))
        .then(() => null, (e: unknown) => e as RollbackFailed);
      expect(err).toBeInstanceOf(RollbackFailed);
      expect((err!.originalError as DatabaseError).code).toBe('42P01');
      expect(err!.connection).toBe(c2);
      expect(String(err!.message)).toMatch(/^<RollbackFailed, original error: /);
      capture.flush();
      expect(capture.failures.length).toBe(1);
    } finally {
      capture.restore();
      c2.close();
    }
  });

  it('fails the running query and later ones after the backend is terminated (test_terminatedConnection)', async () => {
    const c2 = await connected();
    const err = await c2.runQuery('SELECT pg_terminate_backend(pg_backend_pid())').then(() => null, (e: unknown) => e as Error);
    expect(err).not.toBeNull();
    const after = await c2.runQuery('SELECT 1').then(() => null, (e: unknown) => e as ConnectionLost);
    expect(after).toBeInstanceOf(ConnectionLost); // nobody called close(): the server ended the session
    expect(after!.cause).toMatchObject({ code: '57P01' });
    c2.close();
    await expect(c2.runQuery('SELECT 1')).rejects.toBeInstanceOf(ConnectionClosed);
  });

  it('fails a running query with ConnectionClosed on close (test_disconnectWhileRunning)', async () => {
    const c2 = await connected();
    const d = c2.runQuery('SELECT pg_sleep(5)');
    await new Promise((r) => setTimeout(r, 50));
    c2.close();
    await expect(d).rejects.toBeInstanceOf(ConnectionClosed);
  });

  it('keeps tuples when asked (rowFactory) and objects by default', async () => {
    const conn2 = await connected({ rowFactory: tupleRowFactory });
    expect(await conn2.runQuery('SELECT 1 AS a, 2 AS b')).toEqual([[1, 2]]);
    conn2.close();
    expect(await conn.runQuery('SELECT 1 AS a, 2 AS b')).toEqual([{ a: 1, b: 2 }]);
  });

  it('turns a nested runInteraction on the cursor into a savepoint', async () => {
    await conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO simple2 VALUES (1)');
      await c.runInteraction(async (inner: Cursor) => {
        await inner.execute('INSERT INTO simple2 VALUES (2)');
        throw new Error('inner fails');
      }).then(() => undefined, () => undefined);
      await c.execute('INSERT INTO simple2 VALUES (3)');
    });
    expect(await conn.runQuery('SELECT x FROM simple2 ORDER BY x')).toEqual([{ x: 1 }, { x: 3 }]);
  });

  it('applies isolation level and read only options', async () => {
    const level = await conn.runInteractionWith({ isolationLevel: 'serializable', readOnly: true }, async (c: Cursor) => {
      await c.execute('SHOW transaction_isolation');
      const iso = c.fetchone<{ transaction_isolation: string }>()!.transaction_isolation;
      await c.execute('SHOW transaction_read_only');
      return [iso, c.fetchone<{ transaction_read_only: string }>()!.transaction_read_only];
    });
    expect(level).toEqual(['serializable', 'on']);
  });

  it('reports statement_timeout as QueryCanceled (57014), not CancelledError', async () => {
    const err = await conn
      .runInteraction(async (c: Cursor) => {
        await c.execute("SET LOCAL statement_timeout = '50ms'");
        await c.execute('SELECT pg_sleep(2)');
      })
      .then(() => null, (e: unknown) => e as DatabaseError);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err).not.toBeInstanceOf(CancelledError);
    expect(err!.code).toBe('57014');
  });
});
