/**
 * `npm run bench`: tspostgres against node-postgres and postgres.js on one
 * throwaway PostgreSQL server, then the micro-benchmarks.
 *
 * Theory of operation. A private cluster is started (scripts/pg-cluster.ts;
 * fsync=off is its default, we add synchronous_commit=off). Each workload
 * runs for every driver on the same server. A repeatable workload runs in
 * BENCH_REPEAT interleaved rounds (each driver once per round, the order
 * rotated by one each round; see lib/rounds.ts) and reports each driver's
 * median with its spread; a workload with a floor (W14's pgbench) runs the
 * floor in the same rounds. Every single run is bracketed by CPU snapshots
 * (lib/cpu.ts): when other processes kept the CPU busy meanwhile, the run
 * carries a warning, printed at once, marked ⚠ in the table and kept in the
 * JSON. A failure for one driver is printed and recorded, and the run goes
 * on. The table goes to stdout, bench/results/*.json and (for a full run)
 * docs/guide/performance.md. `--compare FILE` then prints the change of every
 * workload and driver against an earlier result file (lib/compare.ts);
 * `--compare OLD --against NEW` only compares two files, running nothing.
 *
 * Environment: BENCH_SECONDS (measured seconds per driver and workload,
 * default 2), BENCH_WARMUP (default 0.5), BENCH_REPEAT (interleaved rounds,
 * default 3), BENCH_CPU_WARN (CPUs other processes may use before a run is
 * flagged, default 0.25), BENCH_ONLY (comma-separated ids or families, e.g.
 * "W1,W5,W12c,micro"), BENCH_DRIVERS (e.g. "tspostgres,pg"),
 * BENCH_STREAM_ROWS (default 1,000,000), BENCH_NOTIFY (default 5,000),
 * BENCH_BATCH_ROWS (W5, default 1,000), BENCH_COPY_IN_ROWS (W6, default
 * 100,000), BENCH_COPY_IN_COPIES (W6-in copies per run, default 5),
 * BENCH_COPY_OUT_ROWS (W6, default 1,000,000), BENCH_CONNECTS (W12c
 * connects per driver and round, default 30), BENCH_TPCB_SECONDS (W14
 * measured seconds, default 5), BENCH_TPCB_SCALE (W14 pgbench scale, default
 * 10), BENCH_PGBENCH (the pgbench binary), BENCH_CANCEL (W11 cancels per driver and round, default 20), BENCH_URL (use this server instead
 * of starting one; W9b, W10-restart and W12c need the private one).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { Client } from 'pg';
import { startCluster, type Cluster } from '../scripts/pg-cluster';
import { parseBenchArgs } from './lib/args';
import { compareRecords, comparisonText, type ComparableRecord } from './lib/compare';
import { contentionBetween, localPostmaster, takeSnapshot } from './lib/cpu';
import { DRIVERS } from './lib/drivers';
import { environment, environmentMarkdown } from './lib/env';
import { MICRO_BENCHES, runMicro, type MicroResult } from './lib/micro';
import { writeGuideSection, writeJson, type RunRecord } from './lib/output';
import { findPgbench } from './lib/pgbench';
import { cell, markdownFloorTable, markdownNotes, markdownTable } from './lib/report';
import { failed, type Measurement, type Participant, type Workload } from './lib/result';
import { aggregate, roundOrder } from './lib/rounds';
import { failoverWorkload } from './workloads/failover';
import { notifyWorkload } from './workloads/notify';
import { reconnectWorkload, restartWorkloads } from './workloads/reconnect';
import { roundTripWorkloads } from './workloads/roundtrip';
import { streamWorkload } from './workloads/stream';
import { batchWorkloads } from './workloads/batch';
import { copyWorkloads } from './workloads/copy';
import { connectWorkloads } from './workloads/connect';
import { tpcbWorkloads } from './workloads/tpcb';
import { cancelWorkload } from './workloads/cancel';
import { replicationWorkload } from './workloads/replication';

process.noDeprecation = true; // pg warns on every queued query in W2b; that queueing is what we measure

const ROOT = path.resolve(__dirname, '..');
const num = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const drivers = process.env.BENCH_DRIVERS ? new Set(process.env.BENCH_DRIVERS.split(',').map((s) => s.trim())) : null;
const REPEAT = num('BENCH_REPEAT', 3);
const CPU_WARN = num('BENCH_CPU_WARN', 0.25);
/** BENCH_ONLY names an id or a family: 'W10' selects W10-terminate, W10-sigstop, ...; 'W9b' also W9b-listen. */
const wanted = (id: string): boolean => only === null || only.has(id) || only.has(id.split('-')[0]);

/** The server's version string and the PID of a backend (to find a local postmaster). */
async function serverFacts(url: string): Promise<{ version: string; backendPid: number }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const row = (await c.query('SELECT version() AS v, pg_backend_pid() AS pid')).rows[0] as { v: string; pid: number };
    return { version: String(row.v), backendPid: Number(row.pid) };
  } finally {
    await c.end();
  }
}

/** Prints one measurement line. */
function printLine(m: Measurement, rep: string): void {
  const lat = m.p50Us !== undefined ? `  p50 ${cell({ ...m, value: m.p50Us, spread: undefined, contention: undefined })} µs  p99 ${cell({ ...m, value: m.p99Us ?? NaN, spread: undefined, contention: undefined })} µs` : '';
  const body = m.error ? `ERROR ${m.error}` : `${cell({ ...m, contention: undefined })} ${m.unit}${m.contention ? ' ⚠' : ''}${lat}${m.note ? `  (${m.note})` : ''}`;
  console.log(`  ${m.driver.padEnd(12)}${rep} ${body}${m.contention ? `\n  ${''.padEnd(12)}${rep} ⚠ ${m.contention.warning}` : ''}`);
}

/** Something that runs in a round: a driver or a floor. */
interface Entrant {
  readonly name: Participant;
  run(): Promise<Measurement>;
}

/** Runs one entrant once, between two CPU snapshots; a failure becomes a failed measurement. */
async function runOnce(w: Workload, e: Entrant, roots: readonly number[]): Promise<Measurement> {
  const before = takeSnapshot(roots);
  const m = await e.run().catch((err: unknown) => failed(w.id, e.name, '', err));
  const after = takeSnapshot(roots);
  const contention = before && after ? contentionBetween(before, after, CPU_WARN) : undefined;
  return contention ? { ...m, contention } : m;
}

/**
 * Runs every driver (and the workload's floor) on one workload, printing each
 * line as it finishes. A repeatable workload runs in BENCH_REPEAT interleaved
 * rounds, the order rotated each round, and keeps each entrant's median.
 */
async function runWorkload(w: Workload, roots: readonly number[]): Promise<Measurement[]> {
  console.log(`\n${w.id}: ${w.title}`);
  const t0 = Date.now();
  const entrants: Entrant[] = DRIVERS.filter((x) => drivers === null || drivers.has(x.name)).map((d) => ({ name: d.name, run: () => w.run(d.name) }));
  for (const f of w.floors ?? []) if (drivers === null || drivers.has(f.name)) entrants.push({ name: f.name, run: () => f.run() });
  const reps = w.repeatable ? REPEAT : 1;
  const runs = new Map<Participant, Measurement[]>(entrants.map((e) => [e.name, []]));
  for (let r = 0; r < reps; r++) {
    for (const e of roundOrder(entrants, r)) {
      const m = await runOnce(w, e, roots);
      printLine(m, reps > 1 ? ` #${r + 1}` : '');
      runs.get(e.name)!.push(m);
    }
  }
  const medians = entrants.map((e) => aggregate(runs.get(e.name)!));
  if (reps > 1) for (const m of medians) printLine(m, ' median');
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return medians;
}

/** Runs the micro-benchmarks in child processes and prints their output. */
function runMicros(): MicroResult[] {
  if (!wanted('micro')) return [];
  return MICRO_BENCHES.map((file) => {
    console.log(`\n== ${file}`);
    const r = runMicro(ROOT, file);
    console.log(r.output);
    return r;
  });
}

/** The Markdown of the whole run (environment, table, notes, skipped, micro). */
function markdown(env: ReturnType<typeof environment>, ws: Workload[], ms: Measurement[], skipped: string[], micro: MicroResult[]): string {
  const parts = [`Measured ${env.date.slice(0, 10)} by \`npm run bench\`:`, environmentMarkdown(env), markdownTable(ws, ms)];
  const floors = markdownFloorTable(ws, ms);
  if (floors) parts.push(`The raw Node floor (prebuilt protocol bytes on a bare socket, answers skipped over; \`bench/lib/raw-node.ts\`) beside ours and pgbench:\n\n${floors}`);
  const notes = [markdownNotes(ms), ...skipped.map((s) => `- ${s}`)].filter(Boolean).join('\n');
  if (notes) parts.push(`Notes:\n\n${notes}`);
  for (const m of micro) parts.push(`\`${m.file}\`${m.ok ? ` (${m.seconds.toFixed(1)} s)` : ''}:\n\n\`\`\`\n${m.output}\n\`\`\``);
  return parts.join('\n\n');
}

/** A result file. */
function readRecord(file: string): ComparableRecord {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ComparableRecord;
}

/** Prints the comparison of `after` against the file `beforeFile`. */
function printComparison(beforeFile: string, after: ComparableRecord, afterLabel: string): void {
  const before = readRecord(beforeFile);
  const label = `${path.relative(ROOT, beforeFile)}${before.environment?.date ? ` (${before.environment.date})` : ''}`;
  console.log(`\n${comparisonText(compareRecords(before, after), label, afterLabel)}`);
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.compare && args.against) {
    printComparison(args.compare, readRecord(args.against), path.relative(ROOT, args.against));
    return;
  }
  if (args.compare) readRecord(args.compare); // fail before a long run, not after it
  const measure = num('BENCH_SECONDS', 2);
  const warmup = num('BENCH_WARMUP', 0.5);
  const timing = { warmupMs: warmup * 1000, measureMs: measure * 1000 };
  let cluster: Cluster | null = null;
  // The private server has TLS on; without sslmode=disable ours (libpq's default, prefer) would run every
  // workload over TLS while pg and postgres.js (no TLS unless asked) ran in plain text. W12c sets TLS itself.
  const url = process.env.BENCH_URL ?? `${(cluster = await startCluster({ settings: { synchronous_commit: 'off' } })).url()}?sslmode=disable`;
  try {
    const facts = await serverFacts(url);
    const postmaster = cluster?.pid ?? localPostmaster(facts.backendPid);
    const roots = postmaster ? [postmaster] : [];
    const env = environment(facts.version, warmup, measure, REPEAT);
    console.log(environmentMarkdown(env));
    const all: Workload[] = [...roundTripWorkloads(url, timing, findPgbench(cluster, process.env.BENCH_PGBENCH)), ...batchWorkloads(url, timing, num('BENCH_BATCH_ROWS', 1000)),
      ...copyWorkloads(url, num('BENCH_COPY_IN_ROWS', 100_000), num('BENCH_COPY_OUT_ROWS', 1_000_000), num('BENCH_COPY_IN_COPIES', 5)),
      streamWorkload(url, num('BENCH_STREAM_ROWS', 1_000_000)), notifyWorkload(url, num('BENCH_NOTIFY', 5000)), cancelWorkload(url, num('BENCH_CANCEL', 20)),
      replicationWorkload(url, num('BENCH_REPLICATION_ROWS', 1_000_000))];
    const skipped: string[] = [];
    const connect = connectWorkloads(cluster, num('BENCH_CONNECTS', 30));
    all.push(...connect.workloads);
    skipped.push(...connect.skipped);
    const tpcb = tpcbWorkloads(url, cluster, { warmupMs: warmup * 1000, measureMs: num('BENCH_TPCB_SECONDS', 5) * 1000 },
      num('BENCH_TPCB_SCALE', 10), process.env.BENCH_PGBENCH);
    all.push(...tpcb.workloads);
    skipped.push(...tpcb.skipped);
    const reconnect = reconnectWorkload(url, cluster);
    if (reconnect.workload) all.push(reconnect.workload);
    else skipped.push(reconnect.skipped);
    if (reconnect.workload) {
      const restart = restartWorkloads(url, cluster);
      all.push(...restart.workloads);
      skipped.push(...restart.skipped);
    }
    const failover = failoverWorkload();
    if (failover.workload) all.push(failover.workload);
    else skipped.push(failover.skipped);
    const ws = all.filter((w) => wanted(w.id));
    const ms: Measurement[] = [];
    for (const w of ws) ms.push(...(await runWorkload(w, roots)));
    for (const s of skipped) console.log(`\n${s}`);
    const micro = runMicros();
    const md = markdown(env, ws, ms, skipped, micro);
    console.log(`\n${markdownTable(ws, ms)}\n\n${markdownFloorTable(ws, ms)}\n`);
    const record: RunRecord = { environment: env, measurements: ms, skipped, micro };
    const full = only === null && drivers === null;
    const dated = writeJson(ROOT, record, full);
    const guide = full && writeGuideSection(ROOT, md);
    console.log(`results: ${path.relative(ROOT, dated)}${guide ? ', docs/guide/performance.md' : ''}`);
    if (args.compare) printComparison(args.compare, record, 'this run');
  } finally {
    await cluster?.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
