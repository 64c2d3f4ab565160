/**
 * W13: failover, milliseconds from the standby's promotion to the first
 * successful write.
 *
 * Theory of operation. Each driver gets a primary and a streaming standby of
 * its own (scripts/pg-replica.ts) and a self-healing write handle given both
 * nodes, primary first, with `target_session_attrs=primary` where the
 * driver has it (a node that is not a hot standby, the one that takes
 * writes):
 *
 * - ours: a Connection with a DeadConnectionDetector (a retry every 100 ms,
 *   and its default demand retries: the writes that fail with ConnectionDead
 *   while it is dead bring the next attempt forward), the multi-host URI;
 * - postgres.js: `max: 1`, the same URI (it parses several hosts and
 *   `target_session_attrs`), `backoff: () => 0.1` (a retry every 100 ms).
 *   Not `read-write`: postgres.js 3.4.9 judges `read-write` by
 *   `default_transaction_read_only` alone, which a hot standby reports as
 *   off, so with it postgres.js settled on the standby during the outage
 *   (hundreds of writes failing with 25006 per failover) and its first write
 *   after the promotion needed no reconnection at all: a head start that
 *   came from not honouring the attribute. `primary` it judges right
 *   (`in_hot_standby`), like ours, so both now look for the new primary the
 *   same way; writes refused read-only are still counted in the note;
 * - pg: no multi-host support and no target_session_attrs, so it is measured
 *   with what a pg user writes by hand: when the Client is gone, every 100 ms
 *   try each host in order and keep the first where `pg_is_in_recovery()`
 *   is false. The number is that loop's, with pg underneath.
 *
 * A repetition: the handle writes (`INSERT`) every millisecond; the primary
 * stops (fast shutdown); after 1 s of outage the standby is asked to promote
 * (`pg_promote(false)`, t0); the value is the time from t0 to the first
 * write that succeeds. The note gives every repetition's value, the
 * server's own share (t0 until `pg_is_in_recovery()` is false, polled by the
 * harness every 2 ms on one connection), the driver's share (the median of
 * the difference; negative when the write got in before the harness's poll
 * saw it), and counts writes refused as read-only (25006): a
 * handle that connected to the standby during the outage. Then the old
 * primary is rebuilt as the standby and the next repetition fails over the
 * other way. The median of the repetitions is reported (lower is better).
 */
import { Client } from 'pg';
import postgres from 'postgres';
import { findBinDir } from '../../scripts/pg-cluster';
import { nodeQuery, startReplicaPair, type ReplicaPair } from '../../scripts/pg-replica';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';

const WRITE_SQL = 'INSERT INTO w13 (at) VALUES (now())';
const OUTAGE_MS = 1000;
const CAP_MS = 30_000;

/** A handle that keeps writing to whichever node is the primary. */
interface Writer {
  write(): Promise<void>;
  close(): Promise<void>;
}

/** A constant 100 ms between reconnection attempts, for every driver. */
function* every100ms(): Generator<number> {
  for (;;) yield 100;
}

/** The attribute both multi-host drivers get (see the file comment for why not read-write). */
const TARGET = { target_session_attrs: 'primary' };

/** Ours: a Connection with a DeadConnectionDetector and target_session_attrs=primary. */
async function writerOurs(pair: ReplicaPair): Promise<Writer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Connection, DeadConnectionDetector } = require('../../src/index') as typeof import('../../src/index');
  const conn = new Connection({ detector: new DeadConnectionDetector({ reconnectionIterator: every100ms }), connectTimeoutMs: 2000 });
  await conn.connect(pair.url({ params: { ...TARGET, sslmode: 'disable' } }));
  return { write: async () => void (await conn.runOperation(WRITE_SQL)), close: async () => conn.close() };
}

/** postgres.js: max 1, both hosts, target_session_attrs=primary, a retry every 100 ms. */
async function writerPostgresJs(pair: ReplicaPair): Promise<Writer> {
  const sql = postgres(pair.url({ params: TARGET }), { max: 1, backoff: () => 0.1, connect_timeout: 2, onnotice: () => undefined });
  return { write: async () => void (await sql.unsafe(WRITE_SQL)), close: () => sql.end({ timeout: 1 }) };
}

/** pg: the hand-written loop of the file comment. */
async function writerPg(pair: ReplicaPair): Promise<Writer> {
  let client: Client | null = null;
  let nextSearch = 0;
  const drop = (c: Client): void => {
    if (client === c) client = null;
    void c.end().catch(() => undefined);
  };
  const findPrimary = async (): Promise<Client> => {
    for (const node of pair.nodes) {
      const c = new Client({ connectionString: node.url(), connectionTimeoutMillis: 2000 });
      c.on('error', () => drop(c));
      try {
        await c.connect();
        if (!(await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r) return c;
      } catch {
        /* this host is down: try the next */
      }
      drop(c);
    }
    throw new Error('no primary found');
  };
  const live = async (): Promise<Client> => {
    if (client) return client;
    if (performance.now() < nextSearch) throw new Error('no primary yet');
    nextSearch = performance.now() + 100;
    return (client = await findPrimary());
  };
  return {
    write: async () => {
      const c = await live();
      await c.query(WRITE_SQL).catch((e: unknown) => {
        if ((e as { code?: string }).code !== '25006') drop(c);
        throw e;
      });
    },
    close: async () => void (await client?.end().catch(() => undefined)),
  };
}

const writers: Record<DriverName, (pair: ReplicaPair) => Promise<Writer>> = {
  tspostgres: writerOurs, pg: writerPg, 'postgres.js': writerPostgresJs,
};

/** Resolves after `ms` (the probe interval and the outage; real time is what we measure here). */
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one failover measured. */
interface FailoverRun {
  /** ms from the promotion request to the first successful write (NaN: none within the cap). */
  firstWrite: number;
  /** ms from the promotion request to the server out of recovery, as the harness saw it. */
  promoted: number;
  /** Writes refused with 25006 (read-only) during the outage and after. */
  readOnly: number;
}

/** One failover with `w` writing throughout; leaves the pair whole, roles swapped. */
async function failoverOnce(pair: ReplicaPair, w: Writer): Promise<FailoverRun> {
  let ok = 0;
  let readOnly = 0;
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      await w.write().then(() => ok++, (e: { code?: string }) => e.code === '25006' && readOnly++);
      await pause(1);
    }
  })();
  await pair.primary.stop();
  await pause(OUTAGE_MS);
  const before = ok;
  const t0 = performance.now();
  const promoted = pair.promote().then(() => performance.now() - t0);
  while (ok === before && performance.now() - t0 < CAP_MS) await pause(1);
  const firstWrite = ok > before ? performance.now() - t0 : NaN;
  const run = { firstWrite, promoted: await promoted, readOnly };
  stop = true;
  await probe;
  await pair.rebuild();
  return run;
}

const median = (xs: number[]): number => {
  const ok = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return ok.length ? ok[Math.floor(ok.length / 2)] : NaN;
};
const list = (xs: number[]): string => xs.map((t) => (Number.isNaN(t) ? `>${CAP_MS}` : t.toFixed(0))).join(', ');

/** W13 for one driver: its own pair, `reps` failovers; value is the median ms from promotion to the first write. */
export async function runFailover(driver: DriverName, reps: number): Promise<Measurement> {
  const pair = await startReplicaPair({ settings: { synchronous_commit: 'off' }, readyTimeoutMs: 120_000 });
  try {
    await nodeQuery(pair.primary, 'CREATE TABLE w13 (at timestamptz NOT NULL)');
    const runs: FailoverRun[] = [];
    for (let i = 0; i < reps; i++) {
      const w = await writers[driver](pair);
      try {
        runs.push(await failoverOnce(pair, w));
      } finally {
        await w.close();
      }
    }
    const value = median(runs.map((r) => r.firstWrite));
    const share = median(runs.map((r) => r.firstWrite - r.promoted));
    const note = `ms from pg_promote to first successful write: ${list(runs.map((r) => r.firstWrite))}; ` +
      `server out of recovery after ${list(runs.map((r) => r.promoted))} ms; the driver's share (median of first write − out of recovery): ${share.toFixed(0)} ms; ` +
      `writes refused read-only (25006): ${runs.map((r) => r.readOnly).join(', ')}`;
    return { workload: 'W13', driver, unit: 'ms', value, lowerIsBetter: true, note, ...(Number.isNaN(value) ? { display: `> ${CAP_MS / 1000} s (never)` } : {}) };
  } finally {
    await pair.destroy();
  }
}

/** The W13 workload, or why it is skipped. */
export function failoverWorkload(reps = 5): { workload: Workload | null; skipped: string } {
  if (findBinDir() === null) return { workload: null, skipped: 'W13 (failover) skipped: it starts a primary and a standby of its own and found no server binaries' };
  const title = `failover (primary stopped, standby promoted after 1 s): first write after promotion, median of ${reps}; pg: a hand-written host loop`;
  return { workload: { id: 'W13', title, run: (d) => runFailover(d, reps) }, skipped: '' };
}
