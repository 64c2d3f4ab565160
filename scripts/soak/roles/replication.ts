/**
 * The replication role: a logical replication stream (pgoutput, protocol 1)
 * on a ReplicationConnection with a DeadConnectionDetector, consumed by a
 * consumer that acknowledges in batches of random size (often inside a
 * transaction), while the harness's writer commits transactions on its
 * own connection, straight to the server. Judged by the database
 * (../replication-ledger.ts): every committed transaction applied exactly
 * once, in commit order, never split across a resume; one gap per outage
 * that followed streaming; the slot's confirmed_flush_lsn, sampled all
 * along, never at or past a commit the consumer had not acknowledged (past
 * the last acknowledged commit is fine: an idle stream reports a
 * keepalive's position).
 *
 * Liveness is the stream's own: a status update every heartbeat interval
 * asking for a reply when the link has been quiet, and death after the
 * heartbeat deadline without a word (the detector's heartbeat stays off: a
 * walsender does not run its query).
 *
 * A frozen walsender (SIGSTOP) keeps the slot: no new session can stream
 * from it until the old process runs again. So the role also counts as
 * recovered when its connection is live on a new session, the stream is
 * retrying START_REPLICATION, and the slot is held by a stopped process
 * (state T in /proc); delivery resumes once the harness thaws it, and the
 * next steady phase checks it.
 */
import * as fs from 'node:fs';
import { DeadConnectionDetector, parseLsn, ReplicationConnection, type ReplicationStream } from '../../../src/index';
import { Admin } from '../admin';
import { AppliedLog, ChangeWriter, commitPositions, judgeReplication, pgoutputParser, readLedger, REPLICATION_TABLES, SlotSampler } from '../replication-ledger';
import { reconnectDelays, type SoakSettings } from '../settings';
import { waitFor, waitForAsync, within } from '../wait';
import { ConnectionWatch } from '../watch';
import type { Role, RoleContext, RoleRun, RoleVerdict } from './role';

const STEADY_ROWS = 200;
const FAULT_ROWS = 100;
const PUBLICATION = 'soak_pub';

class ReplicationRun implements RoleRun {
  private stoppedHeld = 0;

  constructor(
    private readonly ctx: RoleContext,
    private readonly repl: ReplicationConnection,
    private readonly stream: ReplicationStream,
    private readonly slot: string,
    private readonly watch: ConnectionWatch,
    private readonly log: AppliedLog,
    private readonly writer: ChangeWriter,
    private readonly writerDb: Admin,
    private readonly sampler: SlotSampler,
    private readonly sampleDb: Admin,
  ) {}

  watches(): ConnectionWatch[] {
    return [this.watch];
  }

  async steady(): Promise<void> {
    const s = this.ctx.settings;
    this.writer.target = this.writer.attemptedRows + STEADY_ROWS;
    await waitFor(() => this.writer.attemptedRows >= this.writer.target, s.stepMs, `${STEADY_ROWS} rows written`);
    await waitForAsync(() => this.caughtUp(), s.stepMs, 'every committed row applied, the stream live');
  }

  async duringFault(): Promise<void> {
    this.writer.target = this.writer.attemptedRows + FAULT_ROWS; // the writer keeps going (the server may be down)
  }

  recoveredAt(mark: number): number | null {
    if (this.watch.connected && this.streamLive()) return Math.max(mark, this.watch.lastListenAt);
    if (this.heldByStoppedProcess(mark)) return Date.now();
    return null;
  }

  async finish(): Promise<RoleVerdict> {
    const s = this.ctx.settings;
    const violations: string[] = [];
    await this.writer.stop();
    await waitForAsync(() => this.caughtUp(), s.stepMs, 'every committed row applied at the end').catch((e: Error) => violations.push(e.message));
    this.log.flush();
    const samples = await this.sampler.stop(() => commitPositions(this.log));
    const { ledger, violations: table } = await readLedger(this.writerDb);
    const judged = judgeReplication(ledger, this.log);
    this.log.detach();
    const resumes = this.stream.stats.resumes;
    const recovered = this.watch.connected && this.streamLive();
    this.watch.closingNow();
    await within(this.stream.stop(), s.stepMs, 'stream.stop()').catch((e: Error) => violations.push(e.message));
    await within(this.repl.dropReplicationSlot(this.slot, { wait: true }), s.stepMs, 'DROP_REPLICATION_SLOT').catch((e: Error) => violations.push(`drop slot: ${e.message}`));
    this.repl.close();
    this.watch.dispose();
    await this.writerDb.close();
    await this.sampleDb.close();
    const w = this.watch;
    if (!recovered) violations.push('not streaming at the end');
    if (w.gaps !== w.expectedGaps) violations.push(`${w.gaps} gaps for ${w.expectedGaps} outages`);
    violations.push(...table, ...judged.violations, ...samples.violations, ...w.unexpected);
    const c = judged.counts;
    return {
      summary: `transactions ${c.appliedTransactions}/${c.transactions} applied once in commit order (rows ${c.appliedRows}/${c.rows}); dup ${c.duplicates}, lost ${c.lost}, split ${c.split}; ${c.dropped} unacked resent; gaps ${w.gaps}/${w.expectedGaps}; slot past an unacked commit ${samples.ahead}/${samples.samples} (past the acked one, idle: ${samples.pastAck})${this.stoppedHeld > 0 ? `; held by a frozen walsender ${this.stoppedHeld}x` : ''}`,
      counts: { ...c, resumes, writerUnknown: this.writer.unknown, samples: samples.samples, samplesAhead: samples.ahead, samplesPastAck: samples.pastAck, gapsOwed: w.expectedGaps, heldByFrozen: this.stoppedHeld },
      violations,
    };
  }

  private streamLive(): boolean {
    return this.stream.state === 'streaming' || this.stream.state === 'paused';
  }

  /** Every row the ledger says committed is applied, and the stream is live. */
  private async caughtUp(): Promise<boolean> {
    const [{ n }] = await this.writerDb.query<{ n: number }>('SELECT coalesce(sum(n), 0)::int AS n FROM repl_ledger');
    return this.log.rows >= n && this.streamLive() && this.watch.connected;
  }

  /** A new session is live and the stream is retrying, but a stopped (SIGSTOP) process holds the slot; see the file comment. */
  private heldByStoppedProcess(mark: number): boolean {
    const r = this.sampler.result;
    if (!this.watch.live || this.stream.state !== 'reconnecting' || r.sampledAt < mark) return false;
    if (r.activePid === null || r.activePid === this.repl.processId) return false;
    if (!processStopped(r.activePid)) return false;
    this.stoppedHeld++;
    return true;
  }
}

/** Whether `pid` is in the stopped state (T) per /proc; false when unknown. */
function processStopped(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

/** The stream's detector: reconnection only (no heartbeat, no operation deadline: the stream holds its connection). */
function replicationDetector(s: SoakSettings): DeadConnectionDetector {
  return new DeadConnectionDetector({ reconnectionIterator: () => reconnectDelays(s.reconnectDelayMs) });
}

async function start(ctx: RoleContext): Promise<RoleRun> {
  const s = ctx.settings;
  const user = new URL(ctx.url).username;
  const database = new URL(ctx.admin.url).pathname.slice(1);
  const slot = database.replace(/\W/g, '_').toLowerCase();
  await ctx.admin.query(`ALTER ROLE ${user} REPLICATION`);
  await ctx.admin.query(`${REPLICATION_TABLES}; CREATE PUBLICATION ${PUBLICATION} FOR TABLE repl_rows, repl_ledger`);
  const repl = new ReplicationConnection({ detector: replicationDetector(s), connectTimeoutMs: s.connectTimeoutMs });
  await repl.connect(ctx.url);
  const watch = new ConnectionWatch(repl, ctx.faultInForce);
  await ctx.tracker.track(repl.createReplicationSlot(slot, { plugin: 'pgoutput', snapshot: 'nothing' }), 'createReplicationSlot', s.stepMs);
  const sampleDb = new Admin(ctx.admin.url);
  const [row] = await sampleDb.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  const stream = repl.startReplication({
    slot, options: { proto_version: '1', publication_names: PUBLICATION },
    statusIntervalMs: s.heartbeat.intervalMs, timeoutMs: s.heartbeat.timeoutMs,
  });
  const log = new AppliedLog(stream, pgoutputParser(repl.types));
  stream.onGap(() => {
    watch.gaps++;
    watch.listenConfirmed();
  });
  const sampler = new SlotSampler(sampleDb, slot, () => log.ackedCommitLsn, parseLsn(row.lsn));
  const writerDb = new Admin(ctx.admin.url);
  const writer = new ChangeWriter(writerDb, 20);
  await waitFor(() => stream.state === 'streaming', s.stepMs, 'the stream started');
  watch.listenConfirmed();
  return new ReplicationRun(ctx, repl, stream, slot, watch, log, writer, writerDb, sampler, sampleDb);
}

/** The replication role; see the file comment. */
export const replicationRole: Role = {
  name: 'replication',
  built: true,
  description: 'a logical replication stream (pgoutput) with a detector, acknowledged in batches of random size; the harness commits transactions and a ledger of them on its own connection',
  start,
};
