/**
 * `npm run bench`: tspostgres against node-postgres and postgres.js on one
 * throwaway PostgreSQL server, then the micro-benchmarks.
 *
 * Theory of operation. A private cluster is started (scripts/pg-cluster.ts;
 * fsync=off is its default, we add synchronous_commit=off). Each workload
 * runs for every driver one after another on the same server; a failure for
 * one driver is printed and recorded, and the run goes on. The table goes to
 * stdout, bench/results/*.json and docs/guide/performance.md.
 *
 * Environment: BENCH_SECONDS (measured seconds per driver and workload,
 * default 2), BENCH_WARMUP (default 0.5), BENCH_REPEAT (interleaved repetitions of
 * the round-trip workloads, median kept; default 3), BENCH_ONLY (comma-separated ids, e.g.
 * "W1,W8,micro"), BENCH_DRIVERS (e.g. "tspostgres,pg"), BENCH_STREAM_ROWS (default 1,000,000), BENCH_NOTIFY
 * (default 5,000), BENCH_URL (use this server instead of starting one).
 */
import * as path from 'node:path';
import { Client } from 'pg';
import { startCluster, type Cluster } from '../scripts/pg-cluster';
import { DRIVERS } from './lib/drivers';
import { environment, environmentMarkdown } from './lib/env';
import { MICRO_BENCHES, runMicro, type MicroResult } from './lib/micro';
import { writeGuideSection, writeJson } from './lib/output';
import { fmt, markdownNotes, markdownTable } from './lib/report';
import { failed, type Measurement, type Workload } from './lib/result';
import { failoverWorkload } from './workloads/failover';
import { notifyWorkload } from './workloads/notify';
import { reconnectWorkload, restartWorkloads } from './workloads/reconnect';
import { roundTripWorkloads } from './workloads/roundtrip';
import { streamWorkload } from './workloads/stream';

process.noDeprecation = true; // pg warns on every queued query in W2b; that queueing is what we measure

const ROOT = path.resolve(__dirname, '..');
const num = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const drivers = process.env.BENCH_DRIVERS ? new Set(process.env.BENCH_DRIVERS.split(',').map((s) => s.trim())) : null;
const REPEAT = num('BENCH_REPEAT', 3);
/** BENCH_ONLY names an id or a family: 'W10' selects W10-terminate, W10-sigstop, ...; 'W9b' also W9b-listen. */
const wanted = (id: string): boolean => only === null || only.has(id) || only.has(id.split('-')[0]);

/** The server's version string. */
async function serverVersion(url: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return String((await c.query('SELECT version() AS v')).rows[0].v);
  } finally {
    await c.end();
  }
}

/** The measurement of median value among `runs` (failures sort last), noting every run's value. */
function median(runs: Measurement[]): Measurement {
  if (runs.length === 1) return runs[0];
  const ok = runs.filter((m) => !m.error).sort((a, b) => a.value - b.value);
  if (ok.length === 0) return runs[0];
  const mid = ok[Math.floor(ok.length / 2)];
  const all = `median of ${runs.length}: ${runs.map((m) => (m.error ? 'error' : fmt(m.value))).join(', ')}`;
  return { ...mid, note: mid.note ? `${mid.note}; ${all}` : all };
}

/** Prints one measurement line. */
function printLine(m: Measurement, rep: string): void {
  const lat = m.p50Us !== undefined ? `  p50 ${fmt(m.p50Us)} µs  p99 ${fmt(m.p99Us)} µs` : '';
  console.log(`  ${m.driver.padEnd(12)}${rep} ${m.error ? `ERROR ${m.error}` : `${fmt(m.value)} ${m.unit}${lat}${m.note ? `  (${m.note})` : ''}`}`);
}

/**
 * Runs every driver on one workload, printing each line as it finishes. A
 * repeatable workload runs the drivers in turn BENCH_REPEAT times
 * (interleaved, so a noisy moment hurts every driver alike) and keeps each
 * driver's median.
 */
async function runWorkload(w: Workload): Promise<Measurement[]> {
  console.log(`\n${w.id}: ${w.title}`);
  const ds = DRIVERS.filter((x) => drivers === null || drivers.has(x.name));
  const reps = w.repeatable ? REPEAT : 1;
  const runs = new Map<string, Measurement[]>(ds.map((d) => [d.name, []]));
  for (let r = 1; r <= reps; r++) {
    for (const d of ds) {
      const m = await w.run(d.name).catch((err: unknown) => failed(w.id, d.name, '', err));
      printLine(m, reps > 1 ? ` #${r}` : '');
      runs.get(d.name)!.push(m);
    }
  }
  return ds.map((d) => median(runs.get(d.name)!));
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
  const notes = [markdownNotes(ms), ...skipped.map((s) => `- ${s}`)].filter(Boolean).join('\n');
  if (notes) parts.push(`Notes:\n\n${notes}`);
  for (const m of micro) parts.push(`\`${m.file}\`${m.ok ? ` (${m.seconds.toFixed(1)} s)` : ''}:\n\n\`\`\`\n${m.output}\n\`\`\``);
  return parts.join('\n\n');
}

async function main(): Promise<void> {
  const measure = num('BENCH_SECONDS', 2);
  const warmup = num('BENCH_WARMUP', 0.5);
  const timing = { warmupMs: warmup * 1000, measureMs: measure * 1000 };
  let cluster: Cluster | null = null;
  const url = process.env.BENCH_URL ?? (cluster = await startCluster({ settings: { synchronous_commit: 'off' } })).url();
  try {
    const env = environment(await serverVersion(url), warmup, measure);
    console.log(environmentMarkdown(env));
    const all: Workload[] = [...roundTripWorkloads(url, timing), streamWorkload(url, num('BENCH_STREAM_ROWS', 1_000_000)),
      notifyWorkload(url, num('BENCH_NOTIFY', 5000))];
    const skipped: string[] = [];
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
    for (const w of ws) ms.push(...(await runWorkload(w)));
    for (const s of skipped) console.log(`\n${s}`);
    const micro = runMicros();
    const md = markdown(env, ws, ms, skipped, micro);
    console.log(`\n${markdownTable(ws, ms)}\n`);
    const dated = writeJson(ROOT, { environment: env, measurements: ms, skipped, micro });
    const guide = only === null && drivers === null && writeGuideSection(ROOT, md);
    console.log(`results: ${path.relative(ROOT, dated)}${guide ? ', docs/guide/performance.md' : ''}`);
  } finally {
    await cluster?.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
