/**
 * runInteraction never reports success for a block the server did not
 * commit: a statement fails, the function catches it (or never awaits it)
 * and returns; the server answers COMMIT with the tag ROLLBACK (or RELEASE
 * SAVEPOINT with 25P02). Judged by the database: the rows are not there.
 */
import { CancelledError, Connection, ConnectionPool, Cursor, DatabaseError, InFailedSqlTransaction, type InteractionOptions } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { failure } from '../support/failure';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('interaction');
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('CREATE TABLE items (id int PRIMARY KEY)');
});
afterAll(async () => {
  conn.close();
  await db.drop();
});
beforeEach(async () => {
  await conn.runOperation('TRUNCATE items');
});

async function ids(): Promise<number[]> {
  const rows = await conn.runQuery<{ id: number }>('SELECT id FROM items ORDER BY id');
  return rows.map((r) => r.id);
}

/** Inserts 1, then a duplicate of 1 whose failure it catches, then returns 'done'. */
async function swallowsError(c: Cursor): Promise<string> {
  await c.execute('INSERT INTO items VALUES (1)');
  await c.execute('INSERT INTO items VALUES (1)').then(
    () => undefined,
    () => undefined,
  );
  return 'done';
}

describe('a transaction the server rolled back', () => {
  it('fails with InFailedSqlTransaction (25P02) caused by the first error of the block, and nothing is committed', async () => {
    const err = await failure(conn.runInteraction(swallowsError));
    expect(err).toBeInstanceOf(InFailedSqlTransaction);
    expect(err).toMatchObject({ code: '25P02', sqlstate: '25P02' });
    expect(err.cause).toBeInstanceOf(DatabaseError);
    expect(err.cause).toMatchObject({ code: '23505' });
    expect(await ids()).toEqual([]);
    expect(conn.transactionStatus).toBe('I');
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('fails when the function never awaited the failing statement', async () => {
    const unhandled = captureUnhandledFailures();
    try {
      const err = await failure(
        conn.runInteraction(async (c) => {
          await c.execute('INSERT INTO items VALUES (2)');
          void c.execute('SELECT 1/0');
          return 'returned';
        }),
      );
      expect(err).toBeInstanceOf(InFailedSqlTransaction);
      expect(err.cause).toMatchObject({ code: '22012' });
      expect(await ids()).toEqual([]);
    } finally {
      unhandled.restore();
    }
  });

  it('fails a nested savepoint block whose RELEASE the server refused; the outer transaction goes on and commits', async () => {
    const inner = await conn.runInteraction(async (c) => {
      await c.execute('INSERT INTO items VALUES (10)');
      const nested = await failure(c.runInteraction(swallowsError));
      await c.execute('INSERT INTO items VALUES (11)');
      return nested;
    });
    expect(inner).toBeInstanceOf(InFailedSqlTransaction);
    expect(inner.cause).toMatchObject({ code: '23505' });
    expect(await ids()).toEqual([10, 11]);
  });

  it('fails through the pool too', async () => {
    const pool = new ConnectionPool({ min: 1, connect: db.url() });
    await pool.start();
    try {
      const err = await failure(pool.runInteraction(swallowsError));
      expect(err).toBeInstanceOf(InFailedSqlTransaction);
      expect(await ids()).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('fails with retry too, and reruns when the swallowed error was a serialization failure', async () => {
    const err = await failure(conn.runInteractionWith({ retry: { attempts: 3, delayMs: 1 } }, swallowsError));
    expect(err).toBeInstanceOf(InFailedSqlTransaction);
    expect(await ids()).toEqual([]);

    let runs = 0;
    const value = await conn.runInteractionWith({ retry: { attempts: 3, delayMs: 1 } }, async (c) => {
      runs++;
      await c.execute('INSERT INTO items VALUES (20)');
      if (runs === 1) {
        // a serialization failure the function swallows: the server rolls the block back, the retry runs it again
        await c.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'could not serialize'; END $$").then(
          () => undefined,
          () => undefined,
        );
      }
      return runs;
    });
    expect(value).toBe(2);
    expect(await ids()).toEqual([20]);
  });

  it('still commits and returns the value when nothing failed', async () => {
    expect(await conn.runInteraction(async (c) => (await c.execute('INSERT INTO items VALUES (30)'), 'ok'))).toBe('ok');
    expect(await ids()).toEqual([30]);
  });
});

describe('cancelling an interaction', () => {
  it('cancels the statement its async function is awaiting (a real CancelRequest), then rolls back', async () => {
    let inner: unknown = null;
    const d = conn.runInteraction(async (c) => {
      await c.execute('INSERT INTO items VALUES (40)');
      await c.execute('SELECT pg_sleep(120)').then(undefined, (e: unknown) => {
        inner = e;
        throw e;
      });
    });
    await until(async () => {
      const rows = await adminQuery<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep(120)%'",
        [conn.processId],
      );
      return rows[0].n === 1;
    });
    d.cancel();
    expect(await failure(d)).toBeInstanceOf(CancelledError);
    expect(inner).toBeInstanceOf(CancelledError);
    expect((inner as CancelledError).serverCancelled).toBe(true);
    expect(await ids()).toEqual([]);
  });
});

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('BEGIN goes out with the first statement (issue 15)', () => {
  /**
   * Runs `fn` in an interaction whose BEGIN the server refuses (a syntax
   * error). A primary refuses no BEGIN of valid options, and the client
   * checks them when the interaction is called; the transaction reads them
   * when it starts, so they are spoiled right after the call.
   */
  function withRefusedBegin<R>(fn: (c: Cursor) => R | PromiseLike<R>): Promise<Error> {
    const options: { isolationLevel: string } = { isolationLevel: 'serializable' };
    const d = conn.runInteractionWith(options as InteractionOptions, fn);
    options.isolationLevel = 'bogus'; // BEGIN ISOLATION LEVEL BOGUS
    return failure(d);
  }

  it('a BEGIN the server refuses skips the statement sent with it: the function ran, nothing was written, the connection goes on', async () => {
    let ran = 0;
    const err = await withRefusedBegin(async (c) => {
      ran++;
      await c.execute('INSERT INTO items VALUES (1)');
      await c.execute('INSERT INTO items VALUES (2)');
    });
    expect(err).toMatchObject({ code: '42601' });
    expect(ran).toBe(1);
    expect(conn.transactionStatus).toBe('I');
    expect(await ids()).toEqual([]);
  });

  it('pipelined statements after a refused BEGIN never run outside the transaction', async () => {
    const err = await withRefusedBegin((c) => {
      const all = [1, 2, 3].map((n) => c.execute('INSERT INTO items VALUES ($1)', [n]));
      for (const d of all.slice(0, 2)) d.addErrback(() => null); // only the last one's failure is the block's
      return all[2];
    });
    expect(err).toMatchObject({ code: '25P02', cause: expect.objectContaining({ code: '42601' }) });
    expect(await ids()).toEqual([]);
  });
});
