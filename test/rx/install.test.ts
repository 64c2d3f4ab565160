/**
 * The Observables as methods and getters on the package's Connection and
 * ConnectionPool (src/rx's subclasses of the driver's classes, exported by
 * the package entry), and pool.listen's dedicated connection.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection as DriverConnection } from '../../src/connection/connection';
import { Connection, ConnectionPool, Notification } from '../../src/index';
import { ConnectionPool as DriverPool } from '../../src/pool/pool';
import { poolListenConnection } from '../../src/rx/pool-listen';
import { createTestDatabase, type TestDatabase } from '../support/server';
import { take, until } from './helpers';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rxinstall');
});
afterAll(async () => {
  await db.drop();
});

describe('installed Observables', () => {
  it('offers conn.listen, notifications$, notices$, state$, query$, copyTo and copyFrom', async () => {
    const conn = new Connection();
    await conn.connect(db.url());
    const got = take(conn.listen('inst'), 1);
    await conn.runQuery('SELECT 1');
    await conn.runOperation("NOTIFY inst, 'p'");
    expect(((await got)[0] as Notification).payload).toBe('p');
    expect((await take(conn.state$, 1))[0]).toBe(conn.state);
    const rows = await take(conn.query$<{ n: number }>('SELECT generate_series(1, 3) AS n', [], { batchSize: 2 }), 3);
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
    await conn.runOperation('CREATE TABLE t (a int)');
    expect(await conn.copyFrom('COPY t FROM STDIN', [[1], [2]])).toBe(2);
    expect(await take(conn.copyTo('COPY t TO STDOUT', { rows: true }), 2)).toEqual([['1'], ['2']]);
    conn.close();
  });

  it('pool.listen shares one dedicated connection among listeners and closes it after the last leaves', async () => {
    const pool = new ConnectionPool({ min: 1, connect: db.url() });
    await pool.start();
    const a: string[] = [];
    const b: string[] = [];
    const sa = pool.listen('pj').subscribe((n) => a.push((n as Notification).payload));
    const sb = pool.listen('pk').subscribe((n) => b.push((n as Notification).payload));
    const dedicated = poolListenConnection(pool)!;
    await until(() => dedicated.state === 'ready');
    await until(() => pool.connections.length === 1);
    expect(pool.connections).not.toContain(dedicated);
    const listening = async (): Promise<string[]> =>
      (await dedicated.runQuery<{ c: string }>('SELECT pg_listening_channels() AS c ORDER BY 1')).map((r) => r.c);
    for (let i = 0; i < 100 && (await listening()).length < 2; i++) await new Promise((r) => setImmediate(r));
    await pool.runOperation("NOTIFY pj, '1'; NOTIFY pk, '2'", [], { simple: true });
    await until(() => a.length === 1 && b.length === 1);
    expect([a, b]).toEqual([['1'], ['2']]);
    sa.unsubscribe();
    expect(poolListenConnection(pool)).toBe(dedicated);
    sb.unsubscribe();
    expect(poolListenConnection(pool)).toBeNull();
    expect(dedicated.closed).toBe(true);
    await pool.close();
  });
});

describe('explicit classes, no prototype patching', () => {
  const OBSERVABLE_MEMBERS = ['listen', 'notifications$', 'notices$', 'state$', 'stateChanges$', 'query$', 'copyTo', 'copyFrom'];

  it("the package's Connection and ConnectionPool are subclasses of the driver's, which stay without Observables", () => {
    const conn = new Connection({ reactor: new VirtualReactor() });
    expect(conn).toBeInstanceOf(Connection);
    expect(conn).toBeInstanceOf(DriverConnection);
    for (const name of OBSERVABLE_MEMBERS) {
      expect(name in conn).toBe(true);
      expect(name in DriverConnection.prototype).toBe(false);
    }
    const pool = new ConnectionPool({ reactor: new VirtualReactor() });
    expect(pool).toBeInstanceOf(DriverPool);
    expect('listen' in pool).toBe(true);
    expect('listen' in DriverPool.prototype).toBe(false);
  });

  it("a subclass of the package's Connection keeps the Observables", () => {
    class Mine extends Connection {}
    const conn = new Mine({ reactor: new VirtualReactor() });
    expect(conn).toBeInstanceOf(Connection);
    expect(typeof conn.listen).toBe('function');
  });

  it("the pool's members and pool.listen's dedicated connection are the package's Connection", async () => {
    const pool = new ConnectionPool({ min: 1, connect: db.url() });
    await pool.start();
    expect(pool.connections[0]).toBeInstanceOf(Connection);
    expect((await take(pool.connections[0].state$, 1))[0]).toBe('ready');
    const states = await pool.withConnection((c) => take(c.state$, 1));
    expect(states).toEqual(['ready']);
    const sub = pool.listen('pd').subscribe();
    expect(poolListenConnection(pool)).toBeInstanceOf(Connection);
    sub.unsubscribe();
    await pool.close();
  });
});
