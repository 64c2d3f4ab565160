/**
 * txpostgres' TxPostgresConnectionPoolTestCase, ...ErrorsTestCase and
 * ...HotswappingTestCase, plus the pool features we add (growth to max,
 * acquire timeout, replacement of broken connections, stats).
 */
import { Connection, ConnectionFailed, ConnectionPool, Cursor, FirstError, PoolTimeout, RollbackFailed } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { until } from '../support/until';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('pool');
  await adminQuery('CREATE TABLE items (x int)', [], db.url());
});
afterAll(async () => {
  await db.drop();
});

describe('ConnectionPool (TxPostgresConnectionPoolTestCase)', () => {
  let pool: ConnectionPool;
  const min = 3;
  beforeAll(async () => {
    pool = new ConnectionPool({ min, connect: db.url() });
    await pool.start();
  });
  afterAll(() => pool.close());
  beforeEach(() => pool.runOperation('TRUNCATE items'));

  it('opens exactly min connections (test_basics)', () => {
    expect(pool.connections.length).toBe(min);
    expect(pool.stats().size).toBe(min);
  });

  it('runs min parallel queries without waiting (test_simpleQuery)', async () => {
    const ds = Array.from({ length: min }, (_, i) => pool.runQuery<{ n: number }>('SELECT $1::int AS n', [i]));
    expect(pool.stats().waiting).toBe(0);
    expect((await Promise.all(ds)).map((r) => r[0].n)).toEqual([0, 1, 2]);
  });

  it('runs 5 x min parallel queries (test_moreQueries)', async () => {
    const ds = Array.from({ length: 5 * min }, (_, i) => pool.runQuery<{ n: number }>('SELECT $1::int AS n', [i]));
    expect((await Promise.all(ds)).map((r) => r[0].n)).toEqual(Array.from({ length: 5 * min }, (_, i) => i));
  });

  it('lands 20 x min concurrent inserts (test_operation)', async () => {
    await Promise.all(Array.from({ length: 20 * min }, (_, i) => pool.runOperation('INSERT INTO items VALUES ($1)', [i])));
    expect(await pool.runQuery('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 20 * min }]);
  });

  it('commits 20 x min concurrent interactions, each in its own transaction (test_interaction)', async () => {
    const run = (i: number) =>
      pool.runInteraction(async (c: Cursor) => {
        await c.execute('DECLARE cur CURSOR FOR SELECT generate_series(1, 3) AS g');
        await c.execute('FETCH ALL FROM cur');
        const rows = c.fetchall<{ g: number }>();
        await c.execute('INSERT INTO items VALUES ($1)', [i]);
        return rows.length;
      });
    const counts = await Promise.all(Array.from({ length: 20 * min }, (_, i) => run(i)));
    expect(counts.every((n) => n === 3)).toBe(true);
    expect(await pool.runQuery('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 20 * min }]);
  });

  it('leaves nothing behind after a failing interaction', async () => {
    const err = await pool
      .runInteraction(async (c: Cursor) => {
        await c.execute('INSERT INTO items VALUES (1)');
        throw new Error('boom');
      })
      .then(() => null, (e: unknown) => e as Error);
    expect(err!.message).toBe('boom');
    expect(await pool.runQuery('SELECT count(*)::int AS n FROM items')).toEqual([{ n: 0 }]);
    expect(pool.stats().idle).toBe(min);
  });
});

describe('ConnectionPool errors and growth', () => {
  it('fails start with the failing connection\'s own error, not a FirstError wrapper (test_errorsInConnections)', async () => {
    class Unreachable extends Connection {
      override connect() {
        return super.connect('postgres://x@127.0.0.1:1/nodb');
      }
    }
    let n = 0;
    const pool = new ConnectionPool({ min: 3, connect: db.url(), connectionFactory: () => (++n === 3 ? new Unreachable() : new Connection()) });
    const err = await pool.start().then(() => null, (e: unknown) => e);
    expect(err).not.toBeInstanceOf(FirstError);
    expect(err).toBeInstanceOf(ConnectionFailed);
    expect((err as ConnectionFailed).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(pool.connections.length).toBe(0);
  });

  it('grows to max and fails a request with PoolTimeout when none frees in time', async () => {
    const pool = new ConnectionPool({ min: 1, max: 2, connect: db.url(), acquireTimeoutMs: 100 });
    await pool.start();
    const a = pool.runQuery('SELECT pg_sleep(0.5)');
    const b = pool.runQuery('SELECT pg_sleep(0.5)');
    const c = pool.runQuery('SELECT 1');
    await expect(c).rejects.toBeInstanceOf(PoolTimeout);
    await Promise.all([a, b]);
    expect(pool.stats().size).toBe(2);
    expect(pool.stats().timeouts).toBe(1);
    await pool.close();
  });

  it('replaces a connection whose backend was terminated while idle, without an unhandled error', async () => {
    const pool = new ConnectionPool({ min: 2, connect: db.url() });
    await pool.start();
    const pids = pool.connections.map((c) => c.processId);
    await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)', [pids]);
    await until(() => pool.stats().connectionsLost === 2, 20_000, 'both losses noticed'); // not a fixed sleep: a busy machine may take longer
    const rows = await Promise.all([pool.runQuery('SELECT 1 AS one'), pool.runQuery('SELECT 1 AS one')]);
    expect(rows).toEqual([[{ one: 1 }], [{ one: 1 }]]);
    expect(pool.stats().connectionsLost).toBe(2);
    await pool.close();
  });

  it('waits for work in flight on close', async () => {
    const pool = new ConnectionPool({ min: 1, connect: db.url() });
    await pool.start();
    const d = pool.runQuery<{ v: number }>('SELECT 7 AS v FROM pg_sleep(0.1)');
    await pool.close();
    expect((await d)[0].v).toBe(7);
  });
});

describe('ConnectionPool hot swapping (TxPostgresConnectionPoolHotswappingTestCase)', () => {
  it('removes the connection of a RollbackFailed and adds a fresh one (test_errorsInInteractionHotswappingConnections)', async () => {
    class NotRollingBackCursor extends Cursor {
      override execute(sql: string, params?: readonly unknown[]) {
        return sql === 'ROLLBACK' ? super.execute('SELECT no_such_fn()') : super.execute(sql, params);
      }
    }
    const capture = captureUnhandledFailures(); // the failed ROLLBACK is reported, as txpostgres logs it
    const pool = new ConnectionPool({
      min: 1,
      connect: db.url(),
      connectionOptions: { cursorFactory: (c, l) => new NotRollingBackCursor(c, l) },
    });
    await pool.start();
    const err = (await pool.runInteraction((c: Cursor) => c.execute('SELECT * FROM nope')).then(() => null, (e: unknown) => e)) as RollbackFailed;
    expect(err).toBeInstanceOf(RollbackFailed);
    const broken = err.connection as Connection;
    pool.remove(broken);
    broken.close();
    const fresh = new Connection();
    await fresh.connect(db.url());
    pool.add(fresh);
    expect(await pool.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await pool.close();
    capture.flush();
    expect(capture.failures.length).toBe(1);
    capture.restore();
  });

  it('refuses to remove a connection while it is busy (test_removeWhileBusy)', async () => {
    const pool = new ConnectionPool({ min: 1, connect: db.url() });
    await pool.start();
    const conn = pool.connections[0];
    const d = pool.runQuery('SELECT pg_sleep(0.1)');
    expect(() => pool.remove(conn)).toThrow(/in use/);
    await d;
    await pool.close();
  });
});
