/**
 * A throwaway PgBouncer in front of a PostgreSQL server, for the tests of
 * the driver behind a pooler (issue 12).
 *
 * Theory of operation. `startPgBouncer()` makes a temp dir under the OS temp
 * folder, writes a `pgbouncer.ini` and an `auth_file` into it, and spawns
 * Debian's `pgbouncer` (found by {@link findPgBouncer}) in the foreground on
 * a free loopback port, its unix socket in the temp dir. The ini sets only
 * what the harness needs: one wildcard database (`*`, so every database of
 * the server is reachable under its own name), `pool_mode` (transaction by
 * default), a small `default_pool_size` (2: several clients share one server
 * connection, which is what a pooler in transaction mode is about),
 * `auth_type = trust` with the users in the auth file (PgBouncer asks no
 * password; it logs in to the server as the same user, so the server must
 * trust them too, as the throwaway cluster trusts `postgres`), and the log
 * file. Everything else keeps PgBouncer's compiled-in defaults, notably an
 * empty `ignore_startup_parameters`, so a client that sends a startup
 * parameter PgBouncer does not know is refused as in a default deployment.
 *
 * PgBouncer refuses to run as root: as root it runs as the `postgres` OS
 * user (else `nobody`), through `setpriv`, which also asks the kernel to
 * send it SIGTERM (immediate shutdown) when our process dies, so a killed
 * test run leaves no pooler behind. Readiness is "a TCP connect succeeds".
 * `stop()` sends SIGTERM and waits for the exit; `destroy()` stops it and
 * removes the temp dir.
 *
 * Dev tooling only: never shipped, imports nothing from src/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chownToServer, freePort, serverCommand } from './pg-cluster';

/** Where Debian's `pgbouncer` package installs the binary (not on a non-root PATH). */
const DEBIAN_BINARY = '/usr/sbin/pgbouncer';

/** PgBouncer's pooling modes. */
export type PoolMode = 'session' | 'transaction' | 'statement';

/** Options of {@link startPgBouncer}; only the server is required. */
export interface PgBouncerOptions {
  /** The PostgreSQL server behind: a host name, IP or unix socket folder, and its port. */
  readonly server: { readonly host: string; readonly port: number };
  /** Users PgBouncer lets in (auth_type trust; the server must trust them too). Default `['postgres']`. */
  readonly users?: readonly string[];
  /** Default `'transaction'`. */
  readonly poolMode?: PoolMode;
  /** Server connections per user and database. Default 2. */
  readonly defaultPoolSize?: number;
  /** Extra `[pgbouncer]` settings, e.g. `{ ignore_startup_parameters: 'extra_float_digits' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** The pgbouncer binary; default {@link findPgBouncer}. */
  readonly binary?: string;
  /** Parent of the temp dir; default `os.tmpdir()` (must be traversable by the pooler's OS user). */
  readonly baseDir?: string;
  /** Milliseconds to wait for readiness; default 15,000. */
  readonly readyTimeoutMs?: number;
}

/** A running (or stopped) throwaway PgBouncer. */
export interface PgBouncer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port clients connect to. */
  readonly port: number;
  /** Folder of PgBouncer's unix socket `.s.PGSQL.<port>`. */
  readonly socketDir: string;
  /** The temp dir: pgbouncer.ini, userlist.txt, pgbouncer.log. */
  readonly dir: string;
  /** PgBouncer's log file. */
  readonly logPath: string;
  /** The pooling mode it runs in. */
  readonly poolMode: PoolMode;
  /** Server connections per user and database. */
  readonly defaultPoolSize: number;
  /** The process id while running, else null. */
  readonly pid: number | null;
  /** A `postgres://user@127.0.0.1:<port>/<database>` URL through the pooler (user default `postgres`). */
  url(database: string, user?: string): string;
  /** The log written so far. */
  log(): string;
  /** SIGTERM (immediate shutdown), then waits for the exit. Idempotent. */
  stop(): Promise<void>;
  /** Stops it and removes the temp dir. Idempotent. */
  destroy(): Promise<void>;
}

/** Raised when PgBouncer cannot be found or started; the message carries the log tail. */
export class PgBouncerError extends Error {
  readonly code = 'ERR_TEST_PGBOUNCER';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgBouncerError';
  }
}

/** True when `file` exists and is executable. */
function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The pgbouncer binary: `PGBOUNCER` when set, else `pgbouncer` on PATH, else `/usr/sbin/pgbouncer`; null when none. */
export function findPgBouncer(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PGBOUNCER) return executable(env.PGBOUNCER) ? env.PGBOUNCER : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = dir ? path.join(dir, 'pgbouncer') : '';
    if (file && executable(file)) return file;
  }
  return executable(DEBIAN_BINARY) ? DEBIAN_BINARY : null;
}

// ---------------------------------------------------------------- files

/** The ini file; see the file comment for what is set and why. */
function iniFile(dir: string, port: number, o: PgBouncerOptions, poolMode: PoolMode, poolSize: number): string {
  const settings: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: dir,
    auth_type: 'trust',
    auth_file: path.join(dir, 'userlist.txt'),
    pool_mode: poolMode,
    default_pool_size: String(poolSize),
    max_client_conn: '200',
    logfile: path.join(dir, 'pgbouncer.log'),
    admin_users: 'postgres',
    ...o.settings,
  };
  const lines = ['; written by scripts/pgbouncer.ts', '[databases]', `* = host=${o.server.host} port=${o.server.port}`, '', '[pgbouncer]'];
  for (const [k, v] of Object.entries(settings)) lines.push(`${k} = ${v}`);
  return lines.join('\n') + '\n';
}

/** The auth file: each user with an empty password (auth_type trust ignores it, but the user must be listed). */
function authFile(users: readonly string[]): string {
  return users.map((u) => `"${u.replace(/"/g, '""')}" ""`).join('\n') + '\n';
}

/** Makes the temp dir with its two files, owned by the pooler's OS user. */
function prepareDir(o: PgBouncerOptions, port: number, poolMode: PoolMode, poolSize: number): string {
  const dir = fs.mkdtempSync(path.join(o.baseDir ?? os.tmpdir(), 'tspgb-'));
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), iniFile(dir, port, o, poolMode, poolSize));
  fs.writeFileSync(path.join(dir, 'userlist.txt'), authFile(o.users ?? ['postgres']));
  fs.writeFileSync(path.join(dir, 'pgbouncer.log'), '');
  chownToServer(dir);
  return dir;
}

/** True when a TCP connection to host:port succeeds. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Resolves after `ms` milliseconds (readiness polling only). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- the pooler

/** The pgbouncer process. */
class ThrowawayPgBouncer implements PgBouncer {
  readonly host = '127.0.0.1';
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly port: number,
    readonly poolMode: PoolMode,
    readonly defaultPoolSize: number,
  ) {
    this.logPath = path.join(dir, 'pgbouncer.log');
  }

  get socketDir(): string {
    return this.dir;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  url(database: string, user = 'postgres'): string {
    return `postgres://${encodeURIComponent(user)}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  log(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  /** Spawns pgbouncer in the foreground; its own output goes to the log too. */
  spawn(binary: string): void {
    const { cmd, args, ids } = serverCommand([binary, path.join(this.dir, 'pgbouncer.ini')], 'SIGTERM');
    const log = fs.openSync(this.logPath, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], ...ids });
    fs.closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => {
      if (this.child === child) this.child = null;
      resolve();
    }));
  }

  /** Waits until a TCP connect succeeds; throws with the log when pgbouncer exits or the time is up. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new PgBouncerError(`pgbouncer exited during start-up:\n${this.log()}`);
      if (await canConnect(this.host, this.port)) return;
      await pause(25);
    }
    await this.stop();
    throw new PgBouncerError(`pgbouncer not ready after ${timeoutMs} ms:\n${this.log()}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    await this.exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a throwaway PgBouncer in front of `options.server` (see the file
 * comment). Throws {@link PgBouncerError} when no pgbouncer binary is found
 * or it does not start; on failure the temp dir is removed.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = options.binary ?? findPgBouncer();
  if (!binary) throw new PgBouncerError(`no pgbouncer found (on PATH or ${DEBIAN_BINARY}); install Debian's pgbouncer package, or set PGBOUNCER`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, binary, await freePort());
    } catch (err) {
      // the free port was taken by another process meanwhile: try another one
      const busy = err instanceof PgBouncerError && /Address already in use/.test(err.message);
      if (!busy || attempt >= 5) throw err;
    }
  }
}

/** One start on `port`; on failure the temp dir is removed. */
async function startOnce(options: PgBouncerOptions, binary: string, port: number): Promise<PgBouncer> {
  const poolMode = options.poolMode ?? 'transaction';
  const poolSize = options.defaultPoolSize ?? 2;
  const bouncer = new ThrowawayPgBouncer(prepareDir(options, port, poolMode, poolSize), port, poolMode, poolSize);
  try {
    bouncer.spawn(binary);
    await bouncer.waitReady(options.readyTimeoutMs ?? 15_000);
    return bouncer;
  } catch (err) {
    await bouncer.destroy();
    throw err;
  }
}
