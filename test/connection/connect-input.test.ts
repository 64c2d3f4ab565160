/**
 * What `connect()` does with its input: misuse fails before any I/O with a
 * library error (never a connection to the default socket), and the object
 * form's libpq keywords and node-postgres spellings reach the server.
 */
import { ConfigurationError, Connection, InterfaceError } from '../../src/index';
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { createTestDatabase, describeLocal, describeServer, testServer, type TestDatabase } from '../support/server';

/**
 * How `d` settles within `ms` of real time: its error, 'connected', or
 * 'pending'. The config is loaded on real promises, and the Deferred fires
 * through the virtual reactor, so the reactor is flushed while waiting.
 */
async function settle(reactor: VirtualReactor, d: PromiseLike<unknown>, ms = 300): Promise<unknown> {
  let outcome: unknown = 'pending';
  d.then(
    () => (outcome = 'connected'),
    (e: unknown) => (outcome = e),
  );
  const deadline = performance.now() + ms;
  while (outcome === 'pending' && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    reactor.flush();
  }
  return outcome;
}

describe('connect() with input that is not connection parameters', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 123],
    ['an array', ['postgres://h/db']],
  ])('fails for %s with InterfaceError ERR_INVALID_ARGUMENT, asynchronously and without connecting', async (_, input) => {
    const reactor = new VirtualReactor();
    const conn = new Connection({ reactor, env: {} });
    const d = conn.connect(input as string);
    const err = await settle(reactor, d);
    expect(err).toBeInstanceOf(InterfaceError);
    expect((err as InterfaceError).code).toBe('ERR_INVALID_ARGUMENT');
    reactor.flush();
    expect(reactor.connectAttempts).toEqual([]);
    expect(conn.closed).toBe(true);
  });

  it('fails for an unknown key with ConfigurationError naming it, without connecting', async () => {
    const reactor = new VirtualReactor();
    const err = await settle(reactor, new Connection({ reactor, env: {} }).connect({ host: 'h', statement_timeout: 1000 } as never));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/"statement_timeout" is a server setting/);
    expect(reactor.connectAttempts).toEqual([]);
  });

  it('fails for a host array holding a non-string with ConfigurationError naming the key', async () => {
    const reactor = new VirtualReactor();
    const err = await settle(reactor, new Connection({ reactor, env: {} }).connect({ host: ['a', 1] } as never));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/"host\[1\]" must be a string/);
  });

  it('still means "PG* variables and defaults" for no argument', async () => {
    const reactor = new VirtualReactor();
    const conn = new Connection({ reactor, env: { PGHOST: 'envhost', PGPORT: '6001', PGUSER: 'u', PGSSLMODE: 'disable' } });
    const d = conn.connect();
    d.addErrback(() => undefined); // closed below, still connecting
    for (const deadline = performance.now() + 10_000; reactor.connectAttempts.length === 0 && performance.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 2)); // the config is loaded on real promises (pgpass lookup): generous on a busy machine
      reactor.flush();
    }
    expect(reactor.connectAttempts.map((a) => a.endpoint)).toEqual([{ kind: 'tcp', host: 'envhost', port: 6001 }]);
    conn.close();
  });
});

describeServer('connect() with the object form against the server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('connectinput');
  });
  afterAll(() => db.drop());

  it('parses connectionString and lays libpq keywords over it', async () => {
    const conn = new Connection();
    await conn.connect({ connectionString: db.url(), application_name: 'from-object', ssl: false } as never);
    try {
      expect(await conn.runQuery('SELECT current_database() AS db, current_setting($1) AS app', ['application_name'])).toEqual([
        { db: db.name, app: 'from-object' },
      ]);
    } finally {
      conn.close();
    }
  });

  it('takes dbname and a host array like the string form', async () => {
    const u = new URL(db.url());
    const { host, port } = testServer();
    const conn = new Connection();
    await conn.connect({ host: ['127.0.0.1', host], port: [1, port], user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), dbname: db.name, sslmode: 'disable' } as never);
    try {
      expect(await conn.runQuery('SELECT current_database() AS db')).toEqual([{ db: db.name }]);
    } finally {
      conn.close();
    }
  });
});

describeLocal('connect() with node-postgres ssl options against the local cluster', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('connectssl');
  });
  afterAll(() => db.drop());

  it('encrypts without verifying for ssl: { rejectUnauthorized: false }', async () => {
    const conn = new Connection({ env: {} });
    await conn.connect({ connectionString: db.url(), ssl: { rejectUnauthorized: false } } as never);
    try {
      expect(await conn.runQuery('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
    } finally {
      conn.close();
    }
  });

  it('verifies the server against the system roots for ssl: true (the test CA is not among them)', async () => {
    const conn = new Connection({ env: {} });
    const err = await conn.connect({ connectionString: db.url(), ssl: true } as never).then(() => null, (e: unknown) => e as Error);
    conn.close();
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/certificate|self.signed|verify/i);
  });
});
