/**
 * The replication fault scenario shared by test/faults/replication*.test.ts:
 * a logical stream (test_decoding or pgoutput) with a DeadConnectionDetector,
 * a writer committing transactions on its own connection, a consumer that
 * acknowledges in batches of random size, a sampler of the slot's
 * confirmed_flush_lsn, and one fault per cycle. Judged by the database
 * (scripts/soak/replication-ledger.ts): every committed transaction applied
 * once, in commit order, never split; one gap per outage; the slot never
 * confirmed at or past a commit the consumer had not acknowledged (past
 * its last acknowledged commit is fine: an idle stream reports a
 * keepalive's position).
 *
 * `REPLICATION_CYCLES` (default 2) and `REPLICATION_ROWS` (default 3,000)
 * size a run; the full run is 10 cycles and 100,000 rows, by hand.
 */
import { DeadConnectionDetector, parseLsn, ReplicationConnection, type ReplicationStream } from '../../src/index';
import { Admin } from '../../scripts/soak/admin';
import { formatSpread, spread } from '../../scripts/soak/stats';
import {
  AppliedLog, ChangeWriter, commitPositions, judgeReplication, pgoutputParser, readLedger, REPLICATION_TABLES, SlotSampler, testDecodingParser,
  type ReplicationCounts,
} from '../../scripts/soak/replication-ledger';

/** Cycles per fault: `REPLICATION_CYCLES` (default 2; 10 by hand). */
export function replicationCycles(env: NodeJS.ProcessEnv = process.env): number {
  return positive('REPLICATION_CYCLES', env.REPLICATION_CYCLES, 2);
}

/** Rows written across the cycles: `REPLICATION_ROWS` (default 3,000; 100,000 by hand). */
export function replicationRows(env: NodeJS.ProcessEnv = process.env): number {
  return positive('REPLICATION_ROWS', env.REPLICATION_ROWS, 3000);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${value}: expected a positive integer`);
  return n;
}

export type Plugin = 'test_decoding' | 'pgoutput';

/** What a fault gets: the connection and stream under test. */
export interface FaultTarget {
  readonly repl: ReplicationConnection;
  readonly stream: ReplicationStream;
  /** Failed reconnection attempts so far. */
  failedAttempts(): number;
}

/** One scenario; see the file comment. */
export interface ScenarioOptions {
  readonly plugin: Plugin;
  /** Where the replication connection goes (maybe through a fault proxy). */
  readonly replicationUrl: string;
  /** Superuser, straight to the server, on the scenario's database: writer, sampler, ledger. */
  readonly directUrl: string;
  readonly slot: string;
  readonly cycles: number;
  readonly rows: number;
  /** Injects the fault and heals it; resolves when healed (the stream may still be resuming). */
  readonly fault: (t: FaultTarget, cycle: number) => Promise<void>;
  /** Gives up on a step after this (never a bound on speed; default 60 s). */
  readonly stepMs?: number;
}

/** The numbers of a scenario (printed by the tests, reported by hand runs). */
export interface ScenarioResult {
  readonly counts: ReplicationCounts;
  readonly violations: string[];
  readonly deaths: number;
  readonly failedAttempts: number;
  readonly resumes: number;
  /** Outage length per gap (gap.to - gap.from, reactor ms). */
  readonly outageMs: number[];
  readonly samples: number;
  readonly samplesAhead: number;
  /** Samples past the acknowledged commit with no commit between (an idle stream's keepalive position): fine. */
  readonly samplesPastAck: number;
  readonly writerUnknown: number;
  readonly seconds: number;
}

/** Runs a scenario; the caller asserts on the result. */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const stepMs = o.stepMs ?? 60_000;
  const writerDb = new Admin(o.directUrl);
  const sampleDb = new Admin(o.directUrl);
  await writerDb.query(REPLICATION_TABLES);
  if (o.plugin === 'pgoutput') await writerDb.query('CREATE PUBLICATION repl_pub FOR TABLE repl_rows, repl_ledger');
  const detector = new DeadConnectionDetector({ reconnectionIterator: () => schedule() });
  const repl = new ReplicationConnection({ detector, connectTimeoutMs: 2000 });
  let deaths = 0;
  let failedAttempts = 0;
  repl.onStateChange((s, reason) => {
    if (s === 'dead') deaths++;
    if (s === 'reconnecting' && reason !== undefined) failedAttempts++;
  });
  await repl.connect(o.replicationUrl);
  await repl.createReplicationSlot(o.slot, { plugin: o.plugin, snapshot: 'nothing' });
  const [slotRow] = await sampleDb.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [o.slot]);
  const options: Record<string, string> = o.plugin === 'pgoutput' ? { proto_version: '1', publication_names: 'repl_pub' } : { 'include-xids': '1' };
  const stream = repl.startReplication({ slot: o.slot, options, statusIntervalMs: 100, timeoutMs: 3000 });
  const log = new AppliedLog(stream, o.plugin === 'pgoutput' ? pgoutputParser(repl.types) : testDecodingParser());
  const sampler = new SlotSampler(sampleDb, o.slot, () => log.ackedCommitLsn, parseLsn(slotRow.lsn));
  const writer = new ChangeWriter(writerDb);
  const target: FaultTarget = { repl, stream, failedAttempts: () => failedAttempts };
  const violations: string[] = [];
  try {
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      // steady: half the cycle's rows written and applied while the stream is up
      writer.target = Math.round((o.rows * (cycle - 0.5)) / o.cycles);
      await writer.reached(stepMs * 4);
      await caughtUp(writerDb, log, stream, stepMs, `cycle ${cycle}: the rows written before the fault`);
      // the fault, with the other half written meanwhile
      writer.target = Math.round((o.rows * cycle) / o.cycles);
      const gapsBefore = log.gaps.length;
      await o.fault(target, cycle);
      await until(() => log.gaps.length > gapsBefore, stepMs, `cycle ${cycle}: the gap after the outage`);
      await writer.reached(stepMs * 4);
    }
    await caughtUp(writerDb, log, stream, stepMs * 2, 'every committed row applied at the end');
  } catch (e) {
    violations.push((e as Error).message);
  }
  await writer.stop();
  await caughtUp(writerDb, log, stream, stepMs, 'the last transactions').catch(() => undefined);
  log.flush();
  const samples = await sampler.stop(() => commitPositions(log));
  const { ledger, violations: table } = await readLedger(writerDb);
  const judged = judgeReplication(ledger, log);
  log.detach();
  violations.push(...table, ...judged.violations, ...samples.violations);
  const resumes = stream.stats.resumes;
  await stream.stop();
  await repl.dropReplicationSlot(o.slot, { wait: true }).catch((e: Error) => violations.push(`drop slot: ${e.message}`));
  repl.close();
  await writerDb.close();
  await sampleDb.close();
  return {
    counts: judged.counts, violations, deaths, failedAttempts, resumes, outageMs: log.gaps.map((g) => g.to - g.from),
    samples: samples.samples, samplesAhead: samples.ahead, samplesPastAck: samples.pastAck, writerUnknown: writer.unknown, seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** One line of numbers for the test output. */
export function describeResult(name: string, r: ScenarioResult): string {
  const c = r.counts;
  const s = spread(r.outageMs);
  return `${name}: ${c.transactions} transactions / ${c.rows} rows committed; applied ${c.appliedTransactions} / ${c.appliedRows} ` +
    `(dup ${c.duplicates}, lost ${c.lost}, split ${c.split}, out of order ${c.outOfOrder}; ${c.empty} empty transactions of other sessions); deaths ${r.deaths}, gaps ${c.gaps}, resumes ${r.resumes}, ` +
    `failed attempts ${r.failedAttempts}; outage ms median/max ${formatSpread(s)}; ${c.dropped} unacknowledged messages dropped and sent again; ` +
    `slot sampled ${r.samples} times, past an unacknowledged commit ${r.samplesAhead} (past the acknowledged one, idle: ${r.samplesPastAck}); writer outcome-unknown ${r.writerUnknown}; ${r.seconds} s`;
}

/** Every committed row (per the ledger) applied, and the stream live. */
async function caughtUp(db: Admin, log: AppliedLog, stream: ReplicationStream, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [{ n }] = await db.retry<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM repl_ledger', [], ms).catch(() => [{ n: Infinity }]);
    if (log.rows >= n && (stream.state === 'streaming' || stream.state === 'paused')) return;
    if (stream.state === 'failed' || stream.state === 'stopped') throw new Error(`${what}: the stream ended (${stream.state})`);
    if (Date.now() > deadline) throw new Error(`${what}: ${log.rows} of ${n} rows applied after ${ms} ms (stream ${stream.state})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once `cond()` holds; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** At once, then every 200 ms, for about two minutes. */
function* schedule(): Generator<number> {
  yield 0;
  for (let i = 0; i < 600; i++) yield 200;
}
