/**
 * The server of the run (test/support/server.ts): every auth user connects
 * over TCP, the unix socket and TLS; wrong passwords are refused; the TLS
 * certificate verifies against the exported CA; databases isolate tests.
 */
import { Client, type ClientConfig } from 'pg';
import {
  adminQuery, createTestDatabase, describeLocal, describeServer, localCa, localServer, testServer,
  type TestDatabase, type TestUser,
} from '../support/server';

/** Connects, runs `sql`, disconnects; returns the first row. */
async function queryOnce(config: ClientConfig, sql: string): Promise<Record<string, unknown>> {
  const client = new Client(config);
  await client.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    await client.end();
  }
}

const WHO = `SELECT current_user AS user, inet_server_addr() IS NULL AS unix,
  (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl`;

/** A client config for `user` at `host` (TCP address or socket dir). */
function configFor(user: TestUser, host: string, ssl: ClientConfig['ssl'] = false): ClientConfig {
  return { host, port: testServer().port, user: user.user, password: user.password, database: 'postgres', ssl };
}

describeServer('the server of the run', () => {
  it('accepts the exported URL and reports a server version', async () => {
    const row = await queryOnce({ connectionString: testServer().url }, 'SHOW server_version_num');
    expect(Number(row.server_version_num)).toBeGreaterThanOrEqual(130000);
  });
});

describeLocal('the local throwaway cluster', () => {
  const methods = ['trust', 'md5', 'scram'] as const;

  it.each(methods)('lets the %s user in over TCP without TLS', async (m) => {
    const u = localServer().users[m];
    expect(await queryOnce(configFor(u, '127.0.0.1'), WHO)).toEqual({ user: u.user, unix: false, ssl: false });
  });

  it.each(methods)('lets the %s user in over the unix socket', async (m) => {
    const u = localServer().users[m];
    expect(await queryOnce(configFor(u, localServer().socketDir), WHO)).toEqual({ user: u.user, unix: true, ssl: false });
  });

  it.each(methods)('lets the %s user in over TLS verified against the exported CA', async (m) => {
    const u = localServer().users[m];
    const row = await queryOnce(configFor(u, '127.0.0.1', { ca: localCa(), rejectUnauthorized: true }), WHO);
    expect(row).toEqual({ user: u.user, unix: false, ssl: true });
  });

  it.each(['md5', 'scram'] as const)('refuses the %s user with a wrong password over TCP and the socket', async (m) => {
    const u = { ...localServer().users[m], password: 'wrong' };
    await expect(queryOnce(configFor(u, '127.0.0.1'), WHO)).rejects.toMatchObject({ code: '28P01' });
    await expect(queryOnce(configFor(u, localServer().socketDir), WHO)).rejects.toMatchObject({ code: '28P01' });
  });

  it('stores the md5 user password as MD5 and the scram user password as SCRAM', async () => {
    const { md5, scram } = localServer().users;
    const rows = await adminQuery<{ rolname: string; kind: string }>(
      'SELECT rolname, left(rolpassword, 3) AS kind FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname', [[md5.user, scram.user]]);
    expect(rows).toEqual([{ rolname: md5.user, kind: 'md5' }, { rolname: scram.user, kind: 'SCR' }]);
  });

  it('rejects a TLS connection that trusts no CA (the certificate is really checked)', async () => {
    const u = localServer().users.trust;
    await expect(queryOnce(configFor(u, '127.0.0.1', { rejectUnauthorized: true }), WHO)).rejects.toThrow(/certificate/);
  });

  it('lets the ssl-only user in over TLS and rejects it over plain TCP', async () => {
    const u = localServer().users.sslOnly;
    expect(await queryOnce(configFor(u, '127.0.0.1', { ca: localCa() }), WHO)).toMatchObject({ ssl: true });
    await expect(queryOnce(configFor(u, '127.0.0.1'), WHO)).rejects.toMatchObject({ code: '28000' });
  });

  it('runs with wal_level=logical', async () => {
    expect(await queryOnce({ connectionString: testServer().url }, 'SHOW wal_level')).toEqual({ wal_level: 'logical' });
  });
});

describeServer('createTestDatabase', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase('harness'); });
  afterAll(async () => { await db.drop(); });

  it('gives a fresh database whose URL connects to it', async () => {
    expect(await queryOnce({ connectionString: db.url() }, 'SELECT current_database() AS db')).toEqual({ db: db.name });
  });

  it('lets an ordinary user create tables in it', async () => {
    const local = testServer().local;
    const url = local ? db.url(local.users.scram) : db.url();
    await queryOnce({ connectionString: url }, 'CREATE TABLE t (id int)');
    expect(await queryOnce({ connectionString: url }, "SELECT to_regclass('public.t') IS NOT NULL AS made")).toEqual({ made: true });
  });

  it('drops the database with drop()', async () => {
    const other = await createTestDatabase('dropped');
    await other.drop();
    const rows = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
    expect(rows).toEqual([]);
  });
});
