/**
 * The pool role: a ConnectionPool of 3 members, each with its own
 * DeadConnectionDetector (the pool's detector factory), under a write load
 * of 4 writers. Each write is a transaction (runInteraction) inserting one
 * row with a unique id; the WriteLedger compares what the writers were told
 * with the table. A safe failure is written again with the same id.
 */
import { CommitOutcomeUnknown, ConnectionPool, type Connection, type Cursor } from '../../../src/index';
import { WRITES_TABLE, WriteLedger } from '../ledger';
import { soakDetector } from '../settings';
import { sleep, waitFor, within } from '../wait';
import { ConnectionWatch } from '../watch';
import { poolCallDeadline } from './calls';
import { codeOf, Progress, type Role, type RoleContext, type RoleRun, type RoleVerdict } from './role';

const MEMBERS = 3;
const WRITERS = 4;
const THINK_MS = 10;
const STEADY_COMMITS = 10;

/** One write: the row, and a read of it in the same transaction. */
async function write(c: Cursor, id: string): Promise<void> {
  await c.execute('INSERT INTO soak_rows (id, role) VALUES ($1, $2)', [id, 'pool']);
  await c.execute('SELECT count(*) FROM soak_rows WHERE id = $1', [id]);
}

class PoolRun implements RoleRun {
  private readonly ledger = new WriteLedger('pool');
  private readonly progress = new Progress();
  private readonly watched = new Map<Connection, ConnectionWatch>();
  private stopped = false;
  private readonly writers: Array<Promise<void>>;

  constructor(private readonly ctx: RoleContext, private readonly pool: ConnectionPool) {
    this.writers = Array.from({ length: WRITERS }, (_, k) => this.writer(k));
  }

  watches(): ConnectionWatch[] {
    for (const conn of this.pool.connections) {
      if (!this.watched.has(conn)) this.watched.set(conn, new ConnectionWatch(conn, this.ctx.faultInForce));
    }
    return [...this.watched.values()];
  }

  async steady(): Promise<void> {
    const target = this.ledger.committedCount + STEADY_COMMITS;
    await waitFor(() => this.allLive() && this.ledger.committedCount >= target, this.ctx.settings.stepMs, `${STEADY_COMMITS} commits with every member live`);
  }

  async duringFault(): Promise<void> {
    // the writers keep writing through the fault
  }

  recoveredAt(mark: number): number | null {
    return this.allLive() ? this.progress.firstSince(mark) : null;
  }

  async finish(): Promise<RoleVerdict> {
    const violations: string[] = [];
    this.stopped = true;
    const s = this.ctx.settings;
    await within(Promise.all(this.writers), s.stepMs + s.acquireTimeoutMs, 'the writers to stop').catch((e: Error) => violations.push(e.message));
    for (const w of this.watched.values()) w.closingNow();
    await within(this.pool.close(), s.stepMs, 'pool.close()').catch((e: Error) => violations.push(e.message));
    const watches = [...this.watched.values()];
    watches.forEach((w) => w.dispose());
    const { counts, violations: table } = await this.ledger.judge(this.ctx.admin, s.stepMs);
    violations.push(...table, ...watches.flatMap((w) => w.unexpected));
    const replaced = watches.length - MEMBERS;
    const c = counts;
    const failures = Object.fromEntries([...this.ledger.failures].map(([code, n]) => [`safe:${code}`, n]));
    return {
      summary: `writes ${c.committed} committed, all once; ${c.unknown} outcome-unknown (${c.unknownCommitted} in); ${c.retried} retried safely; dup ${c.duplicates}, lost ${c.lost}${replaced > 0 ? `; ${replaced} members replaced` : ''}`,
      counts: { ...c, membersReplaced: replaced, ...failures },
      violations,
    };
  }

  private allLive(): boolean {
    const ws = this.watches();
    return ws.length > 0 && this.pool.connections.every((c) => this.watched.get(c)?.live === true);
  }

  /** Writes until stopped; a safe failure is retried with the same id. */
  private async writer(k: number): Promise<void> {
    const deadline = poolCallDeadline(this.ctx.settings);
    for (let n = 0; !this.stopped; n++) {
      const id = `w${k}-${n}`;
      for (;;) {
        try {
          await this.ctx.tracker.track(this.pool.runInteraction(write, id), 'pool.runInteraction', deadline);
          this.ledger.commit(id);
          this.progress.note();
          break;
        } catch (e) {
          if (e instanceof CommitOutcomeUnknown) {
            this.ledger.outcomeUnknown(id);
            break;
          }
          this.ledger.safeFailure(id, codeOf(e), !this.stopped);
          if (this.stopped) break;
          await sleep(50);
        }
      }
      await sleep(THINK_MS);
    }
  }
}

async function start(ctx: RoleContext): Promise<RoleRun> {
  const s = ctx.settings;
  await ctx.admin.query(`${WRITES_TABLE}; GRANT ALL ON soak_rows TO PUBLIC`);
  const pool = new ConnectionPool({
    min: MEMBERS,
    max: MEMBERS,
    connect: ctx.url,
    acquireTimeoutMs: s.acquireTimeoutMs,
    connectionOptions: { connectTimeoutMs: s.connectTimeoutMs },
    detector: () => soakDetector(s),
  });
  await pool.start();
  const run = new PoolRun(ctx, pool);
  run.watches();
  return run;
}

/** The pool role; see the file comment. */
export const poolRole: Role = {
  name: 'pool',
  built: true,
  description: 'a ConnectionPool of 3 with a detector factory; 4 writers, each write a runInteraction inserting a row with a unique id',
  start,
};
