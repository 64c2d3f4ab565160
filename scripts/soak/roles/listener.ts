/**
 * The listener role: a Connection with a DeadConnectionDetector and two
 * listen() subscribers on one channel; the harness sends numbered NOTIFYs
 * on its own connection and judges delivery with a NotificationLedger.
 *
 * Between faults a burst is sent while the listener is connected and must
 * reach both subscribers (or be excused by a death after it was sent);
 * during a fault a smaller burst is sent, trusted only under a slow fault.
 */
import type { Subscription } from 'rxjs';
import { Connection } from '../../../src/index';
import { NotificationLedger } from '../notifications';
import { soakDetector } from '../settings';
import { trackCalls } from '../tracker';
import { waitFor } from '../wait';
import { ConnectionWatch } from '../watch';
import { callDeadline } from './calls';
import type { Role, RoleContext, RoleRun, RoleVerdict } from './role';

const CHANNEL = 'soak';
const STEADY_BURST = 5;
const FAULT_BURST = 3;

class ListenerRun implements RoleRun {
  private readonly ledger = new NotificationLedger(2);
  private readonly subs: Subscription[] = [];
  private deathsExcused = 0;

  constructor(private readonly ctx: RoleContext, private readonly conn: Connection, private readonly watch: ConnectionWatch) {
    for (const i of [0, 1]) {
      const onListen = i === 0 ? (): void => watch.listenConfirmed() : undefined;
      this.subs.push(conn.listen(CHANNEL, { onListen }).subscribe({
        next: (x) => this.ledger.received(i, x),
        error: (e: Error) => watch.unexpected.push(`listen(${CHANNEL}) errored: ${e.message}`),
      }));
    }
  }

  watches(): ConnectionWatch[] {
    return [this.watch];
  }

  async steady(): Promise<void> {
    await waitFor(() => this.watch.connected, this.ctx.settings.stepMs, 'listener connected');
    await this.burst(STEADY_BURST);
    await waitFor(() => this.delivered(), this.ctx.settings.stepMs, 'delivery of every notification sent while connected');
  }

  async duringFault(): Promise<void> {
    await this.burst(FAULT_BURST);
  }

  recoveredAt(mark: number): number | null {
    return this.watch.connected ? Math.max(mark, this.watch.lastListenAt) : null;
  }

  async finish(): Promise<RoleVerdict> {
    await waitFor(() => this.delivered(), this.ctx.settings.stepMs, 'delivery before the end').catch(() => undefined);
    const recovered = this.watch.connected;
    this.watch.closingNow();
    for (const s of this.subs) s.unsubscribe();
    this.conn.close();
    this.watch.dispose();
    const { counts, violations } = this.ledger.judge(this.watch.expectedGaps);
    if (!recovered) violations.push('not connected at the end');
    violations.push(...this.watch.unexpected);
    const c = counts;
    return {
      summary: `2 subscribers: ${c.trustedDelivered}/${c.trusted} once in order (${c.excused} excused); ${c.untrustedDelivered}/${c.untrusted} sent in outages arrived; dup ${c.duplicates}; gaps ${c.gaps}/${c.gapsOwed}`,
      counts: { ...c },
      violations,
    };
  }

  /** Sends `n` numbered NOTIFYs, one after the other. */
  private async burst(n: number): Promise<void> {
    for (let k = 0; k < n; k++) {
      const trusted = this.ctx.linkTrusted() && this.watch.connected;
      const seq = this.ledger.numberNext(trusted, this.watch.expectedGaps);
      try {
        await this.ctx.admin.query('SELECT pg_notify($1, $2)', [CHANNEL, String(seq)]);
      } catch {
        this.ledger.notSent(seq); // the server is down: nothing was sent
      }
    }
  }

  /** Excuses what deaths since the last call may have lost; true when nothing trusted is missing. */
  private delivered(): boolean {
    const deaths = this.watch.deaths;
    for (; this.deathsExcused < deaths.length; this.deathsExcused++) this.ledger.excuseBefore(deaths[this.deathsExcused].at);
    return this.ledger.pending().length === 0;
  }
}

async function start(ctx: RoleContext): Promise<RoleRun> {
  const conn = new Connection({ detector: soakDetector(ctx.settings), connectTimeoutMs: ctx.settings.connectTimeoutMs });
  trackCalls(conn, ctx.tracker, callDeadline(ctx.settings));
  await conn.connect(ctx.url);
  const watch = new ConnectionWatch(conn, ctx.faultInForce);
  const run = new ListenerRun(ctx, conn, watch);
  await waitFor(() => watch.connected, ctx.settings.stepMs, 'first LISTEN');
  return run;
}

/** The listener role; see the file comment. */
export const listenerRole: Role = {
  name: 'listener',
  built: true,
  description: 'a Connection with a detector and two listen() subscribers on one channel; the harness sends numbered NOTIFYs',
  start,
};
