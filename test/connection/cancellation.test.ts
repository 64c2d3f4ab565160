/**
 * txpostgres' TxPostgresCancellationTestCase, plus the guarantees we add:
 * a real CancelRequest that stops the server's work at once, queued work
 * removed without running, per-query timeouts and AbortSignal.
 */
import { CancelledError, Connection, Cursor, TimeoutError } from '../../src/index';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('cancel');
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('CREATE TABLE t (x int)');
});
afterAll(async () => {
  conn.close();
  await db.drop();
});

async function stateOf(pid: number): Promise<string | null> {
  const rows = await adminQuery<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows[0]?.state ?? null;
}

async function waitUntilRunning(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await stateOf(pid)) === 'active') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the statement never started');
}

describe('cancellation', () => {
  it('cancels a running query with conn.cancel(d) (test_simpleCancellation)', async () => {
    const d = conn.runQuery('SELECT pg_sleep(5)');
    await waitUntilRunning(conn.processId!);
    conn.cancel(d);
    const err = await d.then(() => null, (e: unknown) => e as CancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err!.serverCancelled).toBe(true);
  });

  it('cancels with d.cancel(), which never throws (test_directCancellation)', async () => {
    const d = conn.runQuery('SELECT pg_sleep(5)');
    await waitUntilRunning(conn.processId!);
    expect(() => d.cancel()).not.toThrow();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
  });

  it('fails within 200 ms, leaves the backend idle at once, and the connection answers next', async () => {
    const d = conn.runQuery('SELECT pg_sleep(10)');
    await new Promise((r) => setTimeout(r, 100));
    const start = Date.now();
    d.cancel();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - start).toBeLessThan(200);
    expect(await stateOf(conn.processId!)).toBe('idle');
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('rolls back an interaction whose statement is cancelled (test_cancelInteraction)', async () => {
    const d = conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO t VALUES (1)');
      await c.execute('SELECT pg_sleep(5)');
    });
    await waitUntilRunning(conn.processId!);
    d.cancel();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('cancels a running and a queued query, each with CancelledError (test_cancelMultipleQueries)', async () => {
    const running = conn.runInteraction((c: Cursor) => c.execute('SELECT pg_sleep(5)'));
    const queued = conn.runQuery('INSERT INTO t VALUES (42)');
    await waitUntilRunning(conn.processId!);
    queued.cancel();
    running.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await expect(queued).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t WHERE x = 42')).toEqual([{ n: 0 }]);
  });

  it('fails a per-query timeout with TimeoutError and stops the server work', async () => {
    const err = await conn.runQuery('SELECT pg_sleep(10)', [], { timeout: 100 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(await stateOf(conn.processId!)).toBe('idle');
  });

  it('cancels through an AbortSignal', async () => {
    const ac = new AbortController();
    const d = conn.runQuery('SELECT pg_sleep(10)', [], { signal: ac.signal });
    await waitUntilRunning(conn.processId!);
    ac.abort();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });

  it('cancels a pipelined statement only when it runs, never its neighbour', async () => {
    const first = conn.runQuery<{ v: number }>('SELECT 1 AS v FROM pg_sleep(0.2)');
    const second = conn.runQuery('SELECT pg_sleep(5)');
    second.cancel();
    expect((await first)[0].v).toBe(1);
    await expect(second).rejects.toBeInstanceOf(CancelledError);
  });

  it('runs again a statement hit by a CancelRequest meant for its neighbour', async () => {
    for (let i = 0; i < 5; i++) {
      const running = conn.runQuery('SELECT pg_sleep(30)');
      const next = conn.runQuery('SELECT 1 AS queued');
      await waitUntilRunning(conn.processId!);
      running.cancel();
      next.cancel(); // sent already: gets its CancelRequest when it runs, and may finish before it lands
      await Promise.all([running.then(() => 0, () => 0), next.then(() => 0, () => 0)]);
      const t = await conn.runQuery('SELECT pg_sleep(30)', [], { timeout: 150 }).then(() => null, (e: unknown) => e);
      expect(t).toBeInstanceOf(TimeoutError);
    }
  });
});
