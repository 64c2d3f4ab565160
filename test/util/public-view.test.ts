/**
 * Public views (src/util/public-view.ts): `util.inspect`, `console.log`'s
 * formatting and `JSON.stringify` of every public object that holds a
 * secret show no password, connection string or key (issue 16, "Secrets").
 * Connected for real with the SCRAM role, so the session holds its SCRAM
 * state and the options hold the password.
 */
import { format, inspect } from 'node:util';
import { Connection, ConnectionPool, DeadConnectionDetector, RollbackFailed } from '../../src/index';
import { describeLocal, localServer, testServer } from '../support/server';

describeLocal('public views never show secrets', () => {
  const secretUrl = (): { url: string; password: string } => {
    const { scram } = localServer().users;
    const u = new URL(testServer().url);
    u.username = scram.user;
    u.password = scram.password;
    return { url: u.toString(), password: scram.password };
  };

  /** Every way a user may print `value`. */
  function renderings(value: unknown): string[] {
    return [inspect(value, { depth: Infinity, showHidden: true }), inspect(value, { depth: Infinity }), format('%o', value), format('%s', value), JSON.stringify(value) ?? ''];
  }

  it('a connected Connection, its cursor, its detector, a pool and a RollbackFailed carrying the connection', async () => {
    const { url, password } = secretUrl();
    const detector = new DeadConnectionDetector();
    const conn = new Connection({ env: {}, detector });
    await conn.connect(url);
    const pool = new ConnectionPool({ connect: url, min: 1, max: 2 });
    await pool.runQuery('SELECT 1');
    try {
      const cursor = conn.cursor();
      const objects = { conn, cursor, detector, pool, error: new RollbackFailed(conn, new Error('first')) };
      for (const [name, value] of Object.entries(objects)) {
        for (const text of renderings(value)) {
          expect({ name, leaks: text.includes(password) || text.includes(encodeURIComponent(password)) }).toEqual({ name, leaks: false });
        }
      }
      // the view still says something useful
      expect(inspect(conn)).toMatch(/^Connection \{\s+state: 'ready',\s+processId: \d+/);
      expect(JSON.parse(JSON.stringify(pool))).toMatchObject({ min: 1, max: 2, size: 1 });
    } finally {
      conn.close();
      await pool.close();
    }
  });

  it('the views fail without the public view: the raw options do hold the password (the test can see a leak)', async () => {
    const { url, password } = secretUrl();
    const pool = new ConnectionPool({ connect: url, min: 0 });
    try {
      expect(inspect(pool.options, { depth: Infinity })).toContain(encodeURIComponent(password).slice(0, 4));
    } finally {
      await pool.close();
    }
  });
});
