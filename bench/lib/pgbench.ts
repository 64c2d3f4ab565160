/**
 * The pgbench binary as a floor (W1, W14): finding it, building its
 * command line, running it and reading its report and per-transaction log;
 * and how its tpcb-like script draws its values (W14).
 *
 * Theory of operation. A floor run is `pgbench -n -M prepared -c C -j J
 * -T S -l --log-prefix=<tmp>/tx <script> <url>` against the bench's own
 * server: no vacuum, prepared statements as the drivers use, one log line
 * per transaction. q/s (tps) comes from its report, p50/p99 from the logs,
 * and its CPU per transaction from this process's reaped-children time
 * across the run (pgbench's user + system, in 10 ms ticks).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from '../../scripts/pg-cluster';
import { reapedChildrenCpuSeconds } from './cpu';
import type { Measurement } from './result';
import { percentile } from './stats';

const exec = promisify(execFile);

/** One transaction's random values, drawn as pgbench's tpcb-like script draws them. */
export interface TpcbDraw {
  readonly aid: number;
  readonly bid: number;
  readonly tid: number;
  readonly delta: number;
}

/** A uniform integer in [lo, hi] (`random()` draws of `random(lo, hi)` in a pgbench script). */
export const uniform = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

/** aid in 1..100,000 × scale, bid in 1..scale, tid in 1..10 × scale, delta in -5,000..5,000. */
export function draw(scale: number): TpcbDraw {
  return { aid: uniform(1, 100_000 * scale), bid: uniform(1, scale), tid: uniform(1, 10 * scale), delta: uniform(-5000, 5000) };
}

/**
 * p50/p99 (µs) and count of the latencies in pgbench `-l` logs: one line per
 * transaction, `client_id transaction_no time script_no time_epoch time_us`,
 * `time` in µs (lines whose time is not a number, e.g. `skipped`, are left out).
 */
export function pgbenchLogLatencies(logs: readonly string[]): { p50Us: number; p99Us: number; count: number } {
  const values: number[] = [];
  for (const text of logs) {
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      const us = f.length >= 6 ? Number(f[2]) : NaN;
      if (f[2] !== '' && Number.isFinite(us)) values.push(us);
    }
  }
  const sorted = Float64Array.from(values).sort();
  return { p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99), count: sorted.length };
}

/** tps from pgbench's report ("tps = 1234.5 (without initial connection time)"); NaN when absent. */
export function pgbenchTps(stdout: string): number {
  const m = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout);
  return m ? Number(m[1]) : NaN;
}

/** The pgbench binary: `explicit` (BENCH_PGBENCH), else the one beside the server's binaries, else Debian's 15; null if none. */
export function findPgbench(cluster: Cluster | null, explicit?: string): string | null {
  const candidates = [explicit, cluster ? path.join(cluster.binDir, 'pgbench') : undefined, '/usr/lib/postgresql/15/bin/pgbench'];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  return null;
}

/** What a floor run of pgbench does. */
export interface PgbenchSpec {
  /** The workload id the measurement is for, e.g. 'W1'. */
  readonly workload: string;
  /** The unit reported: 'q/s' for a one-statement script, 'tps' for a transaction. */
  readonly unit: string;
  /** The script: `{ builtin: 'tpcb-like' }` or `{ sql }`, written to a file and run with `-f`. */
  readonly script: { readonly builtin: string } | { readonly sql: string };
  /** Clients (`-c`) and threads (`-j`). */
  readonly clients: number;
  readonly threads: number;
  /** Duration (`-T`), whole seconds, at least 1. */
  readonly seconds: number;
}

/** pgbench's arguments for `spec`, its `-f` script at `scriptFile` (for a `sql` script), its logs at `logPrefix`.<pid>[.<thread>]. */
export function pgbenchArgs(spec: PgbenchSpec, url: string, logPrefix: string, scriptFile: string): string[] {
  const script = 'builtin' in spec.script ? ['-b', spec.script.builtin] : ['-f', scriptFile];
  return ['-n', ...script, '-M', 'prepared', '-c', String(spec.clients), '-j', String(spec.threads),
    '-T', String(Math.max(1, Math.round(spec.seconds))), '-l', `--log-prefix=${logPrefix}`, url];
}

/** Runs pgbench for `spec` against `url`: its tps as the value, latencies from its log, its CPU per transaction. */
export async function runPgbench(bin: string, url: string, spec: PgbenchSpec): Promise<Measurement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pgbench-'));
  try {
    const scriptFile = path.join(dir, 'script.sql');
    if ('sql' in spec.script) fs.writeFileSync(scriptFile, `${spec.script.sql};\n`);
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const cpu0 = reapedChildrenCpuSeconds();
    const { stdout } = await exec(bin, pgbenchArgs(spec, url, path.join(logs, 'tx'), scriptFile), { maxBuffer: 1 << 24 });
    const cpu1 = reapedChildrenCpuSeconds();
    const lat = pgbenchLogLatencies(fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')));
    const tps = pgbenchTps(stdout);
    if (!(tps > 0)) throw new Error(`no tps in pgbench's output: ${stdout.slice(-300)}`);
    const cpuUsPerTx = cpu0 !== null && cpu1 !== null && lat.count > 0 ? ((cpu1 - cpu0) * 1e6) / lat.count : NaN;
    const per = spec.unit === 'q/s' ? 'q' : 'tx';
    return {
      workload: spec.workload, driver: 'pgbench', unit: spec.unit, value: tps, p50Us: lat.p50Us, p99Us: lat.p99Us,
      note: `client CPU ${cpuUsPerTx.toFixed(0)} µs/${per} (pgbench's user + system time, 10 ms ticks), ${lat.count} transactions`,
      metrics: { cpuUsPerTx, transactions: lat.count },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
