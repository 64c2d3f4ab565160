/**
 * The pipelined role: one Connection with a DeadConnectionDetector and 8
 * lanes, each with one runQuery in flight at all times, so the driver
 * pipelines them. A lane alternates an autocommit INSERT of a row with a
 * unique id and a `SELECT $1::int` whose answer must be its own parameter
 * (results matched to their queries). A write that failed with
 * ConnectionDead was never sent, the contract says, so it is written again
 * with the same id; any other failure of a write is outcome-unknown. A gap
 * observer checks that each outage is announced.
 */
import { Connection } from '../../../src/index';
import { WRITES_TABLE, WriteLedger } from '../ledger';
import { soakDetector } from '../settings';
import { trackCalls } from '../tracker';
import { sleep, waitFor, within } from '../wait';
import { ConnectionWatch } from '../watch';
import { callDeadline } from './calls';
import { codeOf, Progress, type Role, type RoleContext, type RoleRun, type RoleVerdict } from './role';

const LANES = 8;
const STEADY_SUCCESSES = 20;

class PipelineRun implements RoleRun {
  private readonly ledger = new WriteLedger('pipe');
  private readonly progress = new Progress();
  private readonly mismatches: string[] = [];
  private reads = 0;
  private stopped = false;
  private readonly lanes: Array<Promise<void>>;

  constructor(private readonly ctx: RoleContext, private readonly conn: Connection, private readonly watch: ConnectionWatch) {
    this.lanes = Array.from({ length: LANES }, (_, k) => this.lane(k));
  }

  watches(): ConnectionWatch[] {
    return [this.watch];
  }

  async steady(): Promise<void> {
    const target = this.progress.total + STEADY_SUCCESSES;
    await waitFor(() => this.watch.connected && this.progress.total >= target, this.ctx.settings.stepMs, `${STEADY_SUCCESSES} pipelined successes`);
  }

  async duringFault(): Promise<void> {
    // the lanes keep going through the fault
  }

  recoveredAt(mark: number): number | null {
    return this.watch.connected ? this.progress.firstSince(mark) : null;
  }

  async finish(): Promise<RoleVerdict> {
    const violations: string[] = [];
    this.stopped = true;
    await within(Promise.all(this.lanes), this.ctx.settings.stepMs, 'the lanes to stop').catch((e: Error) => violations.push(e.message));
    this.watch.closingNow();
    this.conn.close();
    this.watch.dispose();
    const { counts, violations: table } = await this.ledger.judge(this.ctx.admin, this.ctx.settings.stepMs);
    const w = this.watch;
    if (w.gaps !== w.expectedGaps) violations.push(`${w.gaps} gaps for ${w.expectedGaps} outages`);
    violations.push(...table, ...this.mismatches, ...w.unexpected);
    const c = counts;
    const failures = Object.fromEntries([...this.ledger.failures].map(([code, n]) => [`safe:${code}`, n]));
    return {
      summary: `writes ${c.committed} committed, all once; ${c.unknown} outcome-unknown (${c.unknownCommitted} in); ${c.retried} retried after ConnectionDead; dup ${c.duplicates}, lost ${c.lost}; reads ${this.reads}, ${this.mismatches.length} wrong; gaps ${w.gaps}/${w.expectedGaps}`,
      counts: { ...c, reads: this.reads, wrongAnswers: this.mismatches.length, gaps: w.gaps, gapsOwed: w.expectedGaps, ...failures },
      violations,
    };
  }

  /** Writes and reads until stopped. */
  private async lane(k: number): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      await this.write(`p${k}-${n}`);
      if (!this.stopped) await this.read(k * 1_000_000 + n);
    }
  }

  private async write(id: string): Promise<void> {
    for (;;) {
      try {
        await this.conn.runOperation('INSERT INTO soak_rows (id, role) VALUES ($1, $2)', [id, 'pipe']);
        this.ledger.commit(id);
        this.progress.note();
        return;
      } catch (e) {
        if (codeOf(e) !== 'ERR_CONNECTION_DEAD') {
          this.ledger.outcomeUnknown(id); // it may have run before the link failed
          return sleep(20);
        }
        this.ledger.safeFailure(id, 'ERR_CONNECTION_DEAD', !this.stopped);
        if (this.stopped) return;
        await sleep(50);
      }
    }
  }

  private async read(v: number): Promise<void> {
    try {
      const rows = await this.conn.runQuery<{ v: number }>('SELECT $1::int AS v', [v]);
      this.reads++;
      if (rows.length !== 1 || rows[0].v !== v) this.mismatches.push(`SELECT ${v} answered ${JSON.stringify(rows)}`);
      else this.progress.note();
    } catch {
      await sleep(20);
    }
  }
}

async function start(ctx: RoleContext): Promise<RoleRun> {
  const s = ctx.settings;
  await ctx.admin.query(`${WRITES_TABLE}; GRANT ALL ON soak_rows TO PUBLIC`);
  const conn = new Connection({ detector: soakDetector(s), connectTimeoutMs: s.connectTimeoutMs });
  trackCalls(conn, ctx.tracker, callDeadline(s));
  await conn.connect(ctx.url);
  const watch = new ConnectionWatch(conn, ctx.faultInForce);
  watch.observeGaps('soak_gaps');
  await waitFor(() => watch.connected, s.stepMs, 'first LISTEN');
  return new PipelineRun(ctx, conn, watch);
}

/** The pipelined role; see the file comment. */
export const pipelineRole: Role = {
  name: 'pipeline',
  built: true,
  description: 'one Connection with a detector, 8 runQuery calls in flight at all times (autocommit INSERTs with unique ids, SELECT $1 echoes)',
  start,
};
