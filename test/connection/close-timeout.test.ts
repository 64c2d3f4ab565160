/**
 * close({ timeout }) against the real server (issue 14): work in flight
 * finishes and commits, new work is refused, and at the deadline the
 * statement still running is cancelled on the server (its backend goes
 * away), its caller getting ConnectionClosed caused by TimeoutError. The
 * timing itself is tested on virtual time (close-timeout.virtual.test.ts);
 * here nothing asserts a duration: waits are bounded by generous give-up
 * deadlines only.
 */
import { Connection, ConnectionClosed, ConnectionPool, PoolClosed, TimeoutError, type Cursor } from '../../src/index';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('closetimeout');
  await adminQuery('CREATE TABLE done (id int)', [], db.url());
});
afterAll(async () => {
  await db.drop();
});

async function connected(): Promise<Connection> {
  const conn = new Connection();
  await conn.connect(db.url());
  return conn;
}

/** Waits (giving up after 30 s) until the server no longer runs a backend with this pid. */
async function backendGone(pid: number): Promise<boolean> {
  const giveUp = Date.now() + 30_000;
  while (Date.now() < giveUp) {
    const rows = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0].n === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('Connection.close({ timeout })', () => {
  it('lets a transaction in flight commit, refuses new work, then closes', async () => {
    const conn = await connected();
    const interaction = conn.runInteraction(async (c: Cursor) => {
      await c.execute('SELECT pg_sleep(0.2)');
      await c.execute('INSERT INTO done VALUES (1)');
      return 'committed';
    });
    const closed = conn.close({ timeout: 60_000 });
    await expect(conn.runQuery('SELECT 1')).rejects.toBeInstanceOf(ConnectionClosed);
    expect(await interaction).toBe('committed');
    await closed;
    expect(conn.state).toBe('closed');
    expect(await adminQuery('SELECT id FROM done WHERE id = 1', [], db.url())).toEqual([{ id: 1 }]);
  });

  it('at the deadline: the running statement is cancelled on the server, and fails with ConnectionClosed caused by TimeoutError', async () => {
    const conn = await connected();
    const pid = conn.processId!;
    const sleeping = conn.runQuery('SELECT pg_sleep(600)');
    const failure = sleeping.then(() => null, (e: unknown) => e);
    const closed = conn.close({ timeout: 100 });
    const error = await failure;
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    await closed;
    expect(await backendGone(pid)).toBe(true);
  });
});

describe('ConnectionPool.close({ timeout })', () => {
  it('finishes what can finish, ends what cannot, and closes every member', async () => {
    const pool = new ConnectionPool({ min: 2, max: 2, connect: db.url() });
    await pool.start();
    const pids = (await Promise.all([
      pool.withConnection((c) => c.processId),
      pool.withConnection((c) => c.processId),
    ])) as number[];
    const quick = pool.runQuery<{ v: number }>('SELECT 7 AS v FROM pg_sleep(0.1)');
    const stuck = pool.runQuery('SELECT pg_sleep(600)').then(() => null, (e: unknown) => e);
    const closed = pool.close({ timeout: 5000 });
    await expect(pool.runQuery('SELECT 1')).rejects.toBeInstanceOf(PoolClosed);
    expect(await quick).toEqual([{ v: 7 }]);
    const error = await stuck;
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    await closed;
    expect(pool.stats().size).toBe(0);
    for (const pid of pids) expect(await backendGone(pid)).toBe(true);
  });
});
