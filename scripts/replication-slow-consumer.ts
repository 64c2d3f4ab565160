/**
 * A slow consumer through a large logical replication stream (issue 13):
 * memory stays bounded because the stream stops reading at its high-water
 * mark of unacknowledged messages.
 *
 *   node --expose-gc -r ./scripts/register-ts.js scripts/replication-slow-consumer.ts [--changes N] [--ms M] [--plugin pgoutput|test_decoding] [--url URL]
 *
 * Inserts N rows (default 1,000,000; in transactions of 10,000) into a
 * table of a fresh database, then consumes the slot's changes with a
 * consumer that waits M ms on the real clock per message (default 1) and
 * acknowledges each one. Without --url it starts a throwaway cluster of its
 * own (scripts/pg-cluster.ts). Prints, every 10 s and at the end: changes
 * consumed, RSS now and at peak against the baseline taken (after a GC)
 * once the rows are written and the stream started (growth is also
 * measured from the lowest RSS seen, as memory freed before the baseline
 * may be given back to the system only later), the stream's buffered
 * and unacknowledged counts at their peak, and how many times reading
 * paused. Exits 1 when the peak RSS growth reaches 64 MiB or a change is
 * missing.
 */
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { ReplicationConnection, type ReplicationStreamState } from '../src/index';
import { startCluster, type Cluster } from './pg-cluster';

const BOUND_MIB = 64;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '1000000' },
      ms: { type: 'string', default: '1' },
      plugin: { type: 'string', default: 'pgoutput' },
      url: { type: 'string' },
    },
  });
  const changes = Number(values.changes);
  const perMs = Number(values.ms);
  const plugin = values.plugin === 'test_decoding' ? 'test_decoding' : 'pgoutput';
  let cluster: Cluster | null = null;
  let base = values.url;
  if (base === undefined) {
    cluster = await startCluster({ readyTimeoutMs: 120_000 });
    base = cluster.url('superuser');
  }
  const db = `slow_consumer_${process.pid}`;
  await sql(base, [`CREATE DATABASE ${db}`]);
  const u = new URL(base);
  u.pathname = `/${db}`;
  u.searchParams.set('sslmode', 'disable');
  const url = u.toString();
  const slot = `slow_${process.pid}`;
  try {
    await sql(url, ['CREATE TABLE t (id int NOT NULL, v text NOT NULL)', 'CREATE PUBLICATION slow_pub FOR TABLE t']);
    const repl = new ReplicationConnection();
    await repl.connect(url);
    await repl.createReplicationSlot(slot, { plugin, snapshot: 'nothing' });
    const batches: string[] = [];
    for (let first = 1; first <= changes; first += 10_000) {
      batches.push(`INSERT INTO t SELECT g, 'row ' || g FROM generate_series(${first}, ${Math.min(changes, first + 9_999)}) g`);
    }
    const t0 = Date.now();
    await sql(url, batches);
    log(`${changes} rows inserted in ${batches.length} transactions (${((Date.now() - t0) / 1000).toFixed(1)} s); consuming at ${perMs} ms per message (${plugin})`);

    const options: Record<string, string> = plugin === 'pgoutput' ? { proto_version: '1', publication_names: 'slow_pub' } : { 'include-xids': '0' };
    const stream = repl.startReplication({ slot, options });
    let pauses = 0;
    stream.onStateChange((s: ReplicationStreamState) => {
      if (s === 'paused') pauses++;
    });
    gc();
    const baseline = rssMiB();
    let peak = baseline;
    let low = baseline;
    let growthFromLow = 0;
    let peakBuffered = 0;
    let peakUnacked = 0;
    let rows = 0;
    const started = Date.now();
    const sample = (): void => {
      const rss = rssMiB();
      peak = Math.max(peak, rss);
      low = Math.min(low, rss);
      growthFromLow = Math.max(growthFromLow, rss - low); // RSS may fall below the baseline first (memory given back late)
      const st = stream.stats;
      peakBuffered = Math.max(peakBuffered, st.buffered);
      peakUnacked = Math.max(peakUnacked, st.unacknowledged);
    };
    const sampler = setInterval(sample, 200);
    const report = setInterval(() => {
      const st = stream.stats;
      log(`${rows}/${changes} changes, RSS ${rssMiB().toFixed(1)} MiB (baseline ${baseline.toFixed(1)}, peak +${(peak - baseline).toFixed(1)}), buffered ${st.buffered}, unacked ${st.unacknowledged}, lag ${st.lagBytes} bytes, paused ${pauses}x`);
    }, 10_000);
    const isChange = plugin === 'pgoutput' ? (m: { bytes: Uint8Array }) => m.bytes[0] === 0x49 : (m: { text: string }) => m.text.startsWith('table ');
    await stream.consumeStream(async (m) => {
      await new Promise((r) => setTimeout(r, perMs));
      if (isChange(m as never)) rows++;
      m.ack();
      if (rows === changes) void stream.stop();
    });
    clearInterval(sampler);
    clearInterval(report);
    sample();
    const seconds = (Date.now() - started) / 1000;
    const growth = Math.max(peak - baseline, growthFromLow);
    console.log(JSON.stringify({
      plugin, changes, consumed: rows, perMessageMs: perMs, seconds: Math.round(seconds), changesPerSecond: Math.round(rows / seconds),
      rssBaselineMiB: round(baseline), rssLowMiB: round(low), rssPeakMiB: round(peak), rssGrowthMiB: round(growth), peakBuffered, peakUnacknowledged: peakUnacked, pauses,
      statusUpdates: stream.stats.statusUpdates,
    }));
    await repl.dropReplicationSlot(slot, { wait: true });
    repl.close();
    process.exitCode = growth < BOUND_MIB && rows === changes ? 0 : 1;
  } finally {
    await sql(base, [`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}' AND NOT active`, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]).catch(() => undefined);
    await cluster?.destroy();
  }
}

async function sql(url: string, statements: string[]): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rssMiB(): number {
  return process.memoryUsage.rss() / 1024 / 1024;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 2;
});
