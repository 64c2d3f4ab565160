/**
 * Connecting: several hosts tried in turn with every host's error kept, the
 * connect timeout, and cursor subclasses (the seed documents' logging cursor).
 */
import { Connection, ConnectionFailed, ConnectTimeout, Cursor } from '../../src/index';
import { startFaultProxy } from '../support/fault-proxy';
import { createTestDatabase, testServer, type TestDatabase } from '../support/server';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('connect');
});
afterAll(() => db.drop());

function withHosts(url: string, hosts: string): string {
  const u = new URL(url);
  return `postgres://${u.username}@${hosts}${u.pathname}?sslmode=disable`;
}

describe('connect', () => {
  it('tries the hosts in order and connects to the first that answers', async () => {
    const { port } = testServer();
    const conn = new Connection();
    await conn.connect(withHosts(db.url(), `127.0.0.1:1,127.0.0.1:${port}`));
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    conn.close();
  });

  it('keeps every host error when all hosts fail', async () => {
    const err = await new Connection().connect(withHosts(db.url(), '127.0.0.1:1,127.0.0.1:2')).then(() => null, (e: unknown) => e as ConnectionFailed);
    expect(err).toBeInstanceOf(ConnectionFailed);
    expect(err!.errors).toHaveLength(2);
  });

  it('fails with ConnectTimeout when the server never answers the startup', async () => {
    const { host, port } = testServer();
    const proxy = await startFaultProxy({ targetHost: host, targetPort: port });
    try {
      proxy.stall();
      const conn = new Connection({ connectTimeoutMs: 300 });
      const err = await conn.connect(withHosts(db.url(), `${proxy.host}:${proxy.port}`)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectTimeout);
      expect(conn.closed).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('cursor subclasses', () => {
  it('runs a logging cursor given as cursorFactory (the seed documents example)', async () => {
    const log: string[] = [];
    class LoggingCursor extends Cursor {
      override execute(sql: string, params: readonly unknown[] = []) {
        log.push(`${sql} ${JSON.stringify(params)}`);
        return super.execute(sql, params).addErrback((e: Error) => {
          log.push(`failed: ${e.message}`);
          throw e;
        });
      }
    }
    const conn = new Connection({ cursorFactory: (c, lease) => new LoggingCursor(c, lease) });
    await conn.connect(db.url());
    const c = conn.cursor();
    await c.execute('SELECT $1::int AS n', [5]);
    await c.execute('SELECT nope').then(() => undefined, () => undefined);
    await conn.runInteraction((cur: Cursor) => cur.execute('SELECT 1'));
    // BEGIN is no cursor statement: it goes out with the interaction's first one (issue 15); COMMIT is
    expect(log).toEqual(['SELECT $1::int AS n [5]', 'SELECT nope []', 'failed: column "nope" does not exist', 'SELECT 1 []', 'COMMIT []']);
    conn.close();
  });

  it('pipelines executemany and sums the row counts', async () => {
    const conn = new Connection();
    await conn.connect(db.url());
    await conn.runOperation('CREATE TABLE many (x int)');
    const c = await conn.cursor().executemany('INSERT INTO many VALUES ($1)', [[1], [2], [3], [4]]);
    expect(c.rowcount).toBe(4);
    expect(await conn.runQuery('SELECT sum(x)::int AS s FROM many')).toEqual([{ s: 10 }]);
    conn.close();
  });
});
