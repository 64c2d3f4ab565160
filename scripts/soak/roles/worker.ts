/**
 * The worker role: examples/worker.ts as shipped (LISTEN for jobs, claim
 * with FOR UPDATE SKIP LOCKED in runInteraction, drain on notifications,
 * gaps and a safety poll), with the run's liveness settings. Its handler
 * inserts a `handled` row inside the claiming transaction, so the table
 * shows how many times each job's handling committed. The harness enqueues
 * jobs on its own connection; a gap observer on the worker's connection
 * checks that each outage is announced.
 */
import { startWorker, type Worker } from '../../../examples/worker';
import { reconnectDelays } from '../settings';
import { trackCalls } from '../tracker';
import { waitFor, waitForAsync } from '../wait';
import { ConnectionWatch } from '../watch';
import { callDeadline } from './calls';
import type { Role, RoleContext, RoleRun, RoleVerdict } from './role';

const STEADY_JOBS = 3;
const FAULT_JOBS = 2;

class WorkerRun implements RoleRun {
  constructor(private readonly ctx: RoleContext, private readonly worker: Worker, private readonly watch: ConnectionWatch) {}

  watches(): ConnectionWatch[] {
    return [this.watch];
  }

  async steady(): Promise<void> {
    await waitFor(() => this.watch.connected, this.ctx.settings.stepMs, 'worker connected');
    await this.enqueue(STEADY_JOBS);
    await waitForAsync(async () => (await this.openJobs()) === 0, this.ctx.settings.stepMs, 'every job done');
  }

  async duringFault(): Promise<void> {
    await this.enqueue(FAULT_JOBS).catch(() => undefined); // the server may be down
  }

  recoveredAt(mark: number): number | null {
    return this.watch.connected ? Math.max(mark, this.watch.lastListenAt) : null;
  }

  async finish(): Promise<RoleVerdict> {
    const violations: string[] = [];
    await waitForAsync(async () => (await this.openJobs()) === 0, this.ctx.settings.stepMs, 'every job done').catch((e: Error) => violations.push(e.message));
    this.watch.closingNow();
    this.worker.stop();
    this.watch.dispose();
    const jobs = await this.ctx.admin.retry<{ id: number; done: boolean; handled: number }>(
      'SELECT j.id, j.done_at IS NOT NULL AS done, (SELECT count(*) FROM handled h WHERE h.job_id = j.id)::int AS handled FROM jobs j ORDER BY j.id',
      [],
      this.ctx.settings.stepMs,
    );
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const j of jobs) {
      if (!j.done) violations.push(`job ${j.id} never done`);
      if (j.handled !== 1) violations.push(`job ${j.id} handled ${j.handled} times (committed handling)`);
    }
    const reported = this.worker.done;
    if (new Set(reported).size !== reported.length) violations.push('the worker reported a job done twice');
    for (const id of reported) if (!byId.get(id)?.done) violations.push(`job ${id} reported done but not done in the table`);
    const w = this.watch;
    if (w.gaps !== w.expectedGaps) violations.push(`${w.gaps} gaps for ${w.expectedGaps} outages`);
    violations.push(...w.unexpected);
    const once = jobs.filter((j) => j.done && j.handled === 1).length;
    return {
      summary: `jobs ${jobs.length}: ${once} done once (${reported.length} reported); gaps ${w.gaps}/${w.expectedGaps}`,
      counts: { jobs: jobs.length, once, reported: reported.length, gaps: w.gaps, gapsOwed: w.expectedGaps },
      violations,
    };
  }

  private async enqueue(n: number): Promise<void> {
    for (let k = 0; k < n; k++) {
      await this.ctx.admin.query("WITH j AS (INSERT INTO jobs (payload) VALUES ('soak') RETURNING id) SELECT pg_notify('jobs', id::text) FROM j");
    }
  }

  private async openJobs(): Promise<number> {
    const [r] = await this.ctx.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE done_at IS NULL');
    return r.n;
  }
}

async function start(ctx: RoleContext): Promise<RoleRun> {
  const s = ctx.settings;
  await ctx.admin.query('CREATE TABLE handled (job_id int NOT NULL); GRANT ALL ON handled TO PUBLIC');
  const worker = await startWorker({
    dsn: ctx.url,
    pollMs: 500,
    handle: (job, cursor) => cursor.execute('INSERT INTO handled (job_id) VALUES ($1)', [job.id]),
    heartbeat: s.heartbeat,
    operationDeadlineMs: s.operationDeadlineMs,
    connectTimeoutMs: s.connectTimeoutMs,
    reconnectionIterator: () => reconnectDelays(s.reconnectDelayMs),
  });
  trackCalls(worker.conn, ctx.tracker, callDeadline(s));
  const watch = new ConnectionWatch(worker.conn, ctx.faultInForce);
  watch.observeGaps('soak_gaps');
  await waitFor(() => watch.connected, s.stepMs, 'first LISTEN');
  return new WorkerRun(ctx, worker, watch);
}

/** The worker role; see the file comment. */
export const workerRole: Role = {
  name: 'worker',
  built: true,
  description: 'examples/worker.ts: LISTEN for jobs, claim with FOR UPDATE SKIP LOCKED in runInteraction, drain on notifications, gaps and a poll',
  start,
};
