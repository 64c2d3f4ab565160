/**
 * One connection under test, watched from the outside: its state changes
 * (deaths, failed reconnection attempts, a close nobody asked for) and, for
 * connections that LISTEN, the confirmations and gaps that announce each
 * outage.
 *
 * Theory of operation. A death is a transition to 'dead'; a failed attempt
 * is 'reconnecting' with an error. An outage must be announced to a
 * listen() subscriber by exactly one NotificationGap, but a death before
 * LISTEN was confirmed again is part of the same outage for the
 * subscriber, so the gaps expected are the deaths that followed a
 * confirmed LISTEN. The listener is "connected" (a notification sent now
 * must arrive) while the state is ready or busy and LISTEN was confirmed
 * since the last death.
 */
import type { Subscription } from 'rxjs';
import { NotificationGap, type Connection, type ConnectionState } from '../../src/index';

/** What a watch needs of a connection: a Connection, or a ReplicationConnection (no listen()). */
export interface WatchedConnection {
  readonly state: ConnectionState;
  readonly processId: number | undefined;
  onStateChange(fn: (state: ConnectionState, reason?: Error) => void): () => void;
}

/** One death of a watched connection. */
export interface Death {
  /** Date.now() when the state became 'dead'. */
  readonly at: number;
  /** The error it came with. */
  readonly reason: string;
  /** Whether the harness had a fault in force then (false: an unplanned outage). */
  readonly duringFault: boolean;
}

/** Watches one connection; see the file comment. */
export class ConnectionWatch {
  /** Every death, in order. */
  readonly deaths: Death[] = [];
  /** Failed reconnection attempts. */
  failedAttempts = 0;
  /** LISTEN confirmations (first and after each recovery). */
  listens = 0;
  /** Date.now() of the last LISTEN confirmation. */
  lastListenAt = 0;
  /** Gaps the gap observer received. */
  gaps = 0;
  /** Gaps owed: deaths that followed a confirmed LISTEN. */
  expectedGaps = 0;
  /** What went wrong that no cycle asked for (a close with an error, a listen() that errored). */
  readonly unexpected: string[] = [];
  /** The current state. */
  state: ConnectionState;
  private confirmedSinceDeath = false;
  private closing = false;
  private readonly stop: Array<() => void> = [];

  /**
   * @param conn the connection
   * @param faultInForce whether the harness has a fault in force now
   */
  constructor(readonly conn: WatchedConnection, private readonly faultInForce: () => boolean) {
    this.state = conn.state;
    this.stop.push(conn.onStateChange((s, reason) => this.changed(s, reason)));
  }

  /** Ready or busy. */
  get live(): boolean {
    return this.state === 'ready' || this.state === 'busy';
  }

  /** Live, with LISTEN confirmed since the last death. */
  get connected(): boolean {
    return this.live && this.confirmedSinceDeath;
  }

  /** Records a LISTEN confirmation (an onListen hook calls it). */
  listenConfirmed(): void {
    this.listens++;
    this.lastListenAt = Date.now();
    this.confirmedSinceDeath = true;
  }

  /** Subscribes a gap observer on `channel`: counts gaps and LISTEN confirmations. */
  observeGaps(channel: string): void {
    const sub: Subscription = (this.conn as Connection).listen(channel, { onListen: () => this.listenConfirmed() }).subscribe({
      next: (n) => {
        if (n instanceof NotificationGap) this.gaps++;
      },
      error: (e: Error) => this.unexpected.push(`listen(${channel}) errored: ${e.message}`),
    });
    this.stop.push(() => sub.unsubscribe());
  }

  /** The harness is about to close the connection: a 'closed' state is expected now. */
  closingNow(): void {
    this.closing = true;
  }

  /** Stops watching (unsubscribes everything). */
  dispose(): void {
    for (const fn of this.stop.splice(0)) fn();
  }

  /** Whether it failed a reconnection attempt since `failedBefore` attempts. */
  failedSince(failedBefore: number): boolean {
    return this.failedAttempts > failedBefore;
  }

  private changed(s: ConnectionState, reason: Error | undefined): void {
    this.state = s;
    if (s === 'dead') this.died(reason);
    if (s === 'reconnecting' && reason !== undefined) this.failedAttempts++;
    if (s === 'closed' && !this.closing) this.unexpected.push(`closed by the driver: ${reason?.message ?? 'no reason'}`);
  }

  private died(reason: Error | undefined): void {
    this.deaths.push({ at: Date.now(), reason: reason ? `${reason.name}: ${reason.message}` : '?', duringFault: this.faultInForce() });
    if (this.confirmedSinceDeath) this.expectedGaps++;
    this.confirmedSinceDeath = false;
  }
}
