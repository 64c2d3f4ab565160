/**
 * How tests find the PostgreSQL server of the run.
 *
 * Theory of operation. Jest's global setup (global-setup.ts) gets one server
 * per test run and describes it in `PGTEST_*` environment variables, which
 * the test workers inherit. This module is the only reader and writer of
 * those variables: `exportServerEnv()` writes them, `testServer()` reads
 * them back as a typed {@link TestServer}. Tests isolate themselves with
 * {@link createTestDatabase} (a fresh database per file), never with a
 * cluster of their own.
 *
 * Kinds of server: `local` (the throwaway cluster: unix socket, TLS and the
 * trust/md5/scram users are known), `external` (`PGTEST_URL` given by the
 * user: only its URL is known), `container` (testcontainers). Tests that need
 * the local cluster's extras use {@link describeLocal}, which skips them with
 * a visible reason on the other kinds. With no server at all (`PGTEST_NONE`)
 * {@link describeServer} skips with the install hint; under `CI=true` the
 * global setup fails instead, so nothing is skipped there.
 */
import { Client } from 'pg';
import * as fs from 'node:fs';

/** A role and its password ('' when it authenticates by trust). */
export interface TestUser {
  readonly user: string;
  readonly password: string;
}

/** What is known only of the local throwaway cluster. */
export interface LocalServer {
  /** Folder of the unix socket; pass it as `host` to a client. */
  readonly socketDir: string;
  /** PEM path of the CA that signed the server certificate (CN/SAN localhost, 127.0.0.1). */
  readonly caCertPath: string;
  /** The server's data directory. */
  readonly dataDir: string;
  /** The folder of the server binaries (psql, pg_ctl, ...). */
  readonly binDir: string;
  /** The postmaster's PID. */
  readonly pid: number;
  /** Role per authentication method. */
  readonly users: {
    readonly superuser: TestUser;
    readonly trust: TestUser;
    readonly md5: TestUser;
    readonly scram: TestUser;
    readonly sslOnly: TestUser;
  };
}

/** The server of the run. */
export interface TestServer {
  readonly kind: 'local' | 'external' | 'container';
  /** A URL with superuser (or the given user's) rights: what tests connect to by default. */
  readonly url: string;
  /** Same as url; named for clarity where admin rights matter. */
  readonly superuserUrl: string;
  readonly host: string;
  readonly port: number;
  /** Present only for kind 'local'. */
  readonly local: LocalServer | null;
}

/** The environment variable names, for documentation and child processes. */
export const ENV = {
  url: 'PGTEST_URL', kind: 'PGTEST_KIND', host: 'PGTEST_HOST', port: 'PGTEST_PORT',
  superuserUrl: 'PGTEST_SUPERUSER_URL', socketDir: 'PGTEST_SOCKET_DIR', ca: 'PGTEST_CA',
  dataDir: 'PGTEST_DATA_DIR', binDir: 'PGTEST_BIN_DIR', pid: 'PGTEST_PID', none: 'PGTEST_NONE',
} as const;

/** Writes `server` into `env` as PGTEST_* variables (done by the global setup). */
export function exportServerEnv(server: TestServer, env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, {
    [ENV.url]: server.url, [ENV.kind]: server.kind, [ENV.host]: server.host,
    [ENV.port]: String(server.port), [ENV.superuserUrl]: server.superuserUrl,
  });
  if (server.local) exportLocalEnv(server.local, env);
}

/** The local-only part of {@link exportServerEnv}. */
function exportLocalEnv(local: LocalServer, env: NodeJS.ProcessEnv): void {
  Object.assign(env, {
    [ENV.socketDir]: local.socketDir, [ENV.ca]: local.caCertPath, [ENV.dataDir]: local.dataDir,
    [ENV.binDir]: local.binDir, [ENV.pid]: String(local.pid),
  });
  for (const [key, u] of Object.entries(local.users)) {
    const name = key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    env[`PGTEST_${name}_USER`] = u.user;
    env[`PGTEST_${name}_PASSWORD`] = u.password;
  }
}

/** Reads one local user back from the environment. */
function userFromEnv(name: string, env: NodeJS.ProcessEnv): TestUser {
  return { user: env[`PGTEST_${name}_USER`] ?? '', password: env[`PGTEST_${name}_PASSWORD`] ?? '' };
}

/** The local part of the server from the environment, or null. */
function localFromEnv(env: NodeJS.ProcessEnv): LocalServer | null {
  if (env[ENV.kind] !== 'local') return null;
  const users = {
    superuser: userFromEnv('SUPERUSER', env), trust: userFromEnv('TRUST', env), md5: userFromEnv('MD5', env),
    scram: userFromEnv('SCRAM', env), sslOnly: userFromEnv('SSL_ONLY', env),
  };
  return {
    socketDir: env[ENV.socketDir] ?? '', caCertPath: env[ENV.ca] ?? '', dataDir: env[ENV.dataDir] ?? '',
    binDir: env[ENV.binDir] ?? '', pid: Number(env[ENV.pid]), users,
  };
}

/** The server of the run, or null when the global setup found none (reason in PGTEST_NONE). */
export function maybeTestServer(env: NodeJS.ProcessEnv = process.env): TestServer | null {
  const url = env[ENV.url];
  if (!url || env[ENV.none]) return null;
  const parsed = new URL(url);
  const kind = (env[ENV.kind] as TestServer['kind'] | undefined) ?? 'external';
  return {
    kind, url, superuserUrl: env[ENV.superuserUrl] ?? url,
    host: env[ENV.host] ?? parsed.hostname, port: Number(env[ENV.port] ?? (parsed.port || 5432)),
    local: localFromEnv(env),
  };
}

/** The server of the run; throws with the reason when there is none. */
export function testServer(): TestServer {
  const server = maybeTestServer();
  if (!server) throw new Error(process.env[ENV.none] ?? 'no test server: run the tests through jest (global setup)');
  return server;
}

/** The local throwaway cluster's extras; throws when the server is not local. */
export function localServer(): LocalServer {
  const local = testServer().local;
  if (!local) throw new Error('this test needs the local throwaway cluster (unset PGTEST_URL)');
  return local;
}

/** The CA certificate of the local cluster, as PEM text. */
export function localCa(): string {
  return fs.readFileSync(localServer().caCertPath, 'utf8');
}

/**
 * `describe` when `missing` is null, else `describe.skip` with the reason in
 * the title: the one place a suite is skipped (callers decide whether CI
 * runs it anyway, to fail there).
 */
export function describeUnless(missing: string | null, name: string, fn: () => void): void {
  if (missing === null) describe(name, fn);
  else describe.skip(`${name} [skipped: ${missing}]`, fn);
}

/** `describe` when a server exists, else skipped with the reason in the title. */
export function describeServer(name: string, fn: () => void): void {
  describeUnless(maybeTestServer() ? null : `no PostgreSQL server: ${process.env[ENV.none] ?? 'unknown'}`, name, fn);
}

/** `describe` when the server is the local cluster, else skipped with the reason in the title. */
export function describeLocal(name: string, fn: () => void): void {
  describeUnless(maybeTestServer()?.local ? null : `needs the local throwaway cluster; server is ${process.env[ENV.kind] ?? 'absent'}`, name, fn);
}

/** A database made for one test file. */
export interface TestDatabase {
  readonly name: string;
  /** The superuser URL (or a given user/password) pointed at this database. */
  url(user?: TestUser): string;
  /** Drops the database, terminating its remaining sessions. */
  drop(): Promise<void>;
}

/** Runs `sql` on the server's `postgres` database (or the URL given) with admin rights. */
export async function adminQuery<R extends object = Record<string, unknown>>(
  sql: string, params: unknown[] = [], url = testServer().superuserUrl,
): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** `url` with its user, password and database replaced. */
function withDatabase(url: string, database: string, user?: TestUser): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = encodeURIComponent(user.user);
    u.password = user.password ? encodeURIComponent(user.password) : '';
  }
  return u.toString();
}

/**
 * Creates a fresh database for one test file (name `tsp_<prefix>_<random>`),
 * where every role may create objects in schema public. Call `drop()` in
 * `afterAll`. Needs CREATEDB rights on an external server.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const server = testServer();
  const name = `tsp_${prefix.replace(/\W/g, '_').toLowerCase()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  await adminQuery('GRANT ALL ON SCHEMA public TO PUBLIC', [], withDatabase(server.superuserUrl, name));
  return {
    name,
    url: (user) => withDatabase(server.superuserUrl, name, user),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
