/**
 * Heartbeat: an idle probe with its own deadline, on the reactor's clock.
 *
 * Theory of operation. TCP keepalive notices a peer that has vanished, but
 * only after minutes, and never notices a link that still ACKs while no
 * bytes arrive (a blackholing proxy) or a server process that is frozen
 * (SIGSTOP, a hung host) while the kernel keeps the socket open. The
 * heartbeat closes that gap: every `intervalMs`, when the connection is
 * 'ready' and idle (nothing queued or running), it runs a cheap query
 * (`SELECT 1` by default) and arms a timer of `timeoutMs`. If the answer has
 * not come when the timer fires, it aborts the session with a
 * {@link HeartbeatTimeout}: in-flight work fails at once, the session ends
 * with a death the detector accepts, and reconnection starts.
 *
 * A busy connection is not probed (a probe would queue behind user work and
 * misread a long query as a hang); `operationDeadlineMs` on the detector
 * covers hung operations. All timers come from the injected clock, so the
 * heartbeat is tested on a VirtualReactor without sleeping.
 */
import type { DelayedCall, ReactorTime } from '../../reactor/interfaces';
import { HeartbeatTimeout } from './death';

/** Heartbeat settings (milliseconds). */
export interface HeartbeatOptions {
  /** Time between probes of an idle, ready connection. */
  intervalMs: number;
  /** How long a probe may take before the connection is declared dead. */
  timeoutMs: number;
  /** The probe statement (default `SELECT 1`). */
  query?: string;
}

/** What the heartbeat needs of a connection. */
export interface HeartbeatTarget {
  readonly state: string;
  readonly busy: boolean;
  runQuery(sql: string): PromiseLike<unknown> & { addBoth(fn: (r: unknown) => unknown): unknown };
  abortSession(error: Error): void;
}

/** Probes one connection periodically; see the file comment. */
export class Heartbeat {
  /** Probes started so far. */
  probes = 0;
  /** Probes that missed their deadline. */
  timeouts = 0;
  private timer: DelayedCall | null = null;
  private deadline: DelayedCall | null = null;
  private probing = false;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly clock: ReactorTime,
    readonly options: HeartbeatOptions,
  ) {}

  /** Whether the probe loop is running. */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts the loop (the first probe comes after `intervalMs`); idempotent. */
  start(): void {
    if (this.timer === null) this.schedule();
  }

  /** Stops the loop; a probe in flight is left to finish, its deadline is dropped. */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.deadline?.cancel();
    this.deadline = null;
    this.probing = false;
  }

  private schedule(): void {
    this.timer = this.clock.callLater(this.options.intervalMs, () => this.tick());
  }

  private tick(): void {
    this.schedule();
    if (this.probing || this.target.state !== 'ready' || this.target.busy) return;
    this.probe();
  }

  private probe(): void {
    this.probing = true;
    this.probes++;
    const { timeoutMs } = this.options;
    const deadline = this.clock.callLater(timeoutMs, () => {
      this.deadline = null;
      this.probing = false;
      this.timeouts++;
      this.target.abortSession(new HeartbeatTimeout(timeoutMs));
    });
    this.deadline = deadline;
    this.target.runQuery(this.options.query ?? 'SELECT 1').addBoth(() => {
      if (this.deadline !== deadline) return undefined;
      deadline.cancel();
      this.deadline = null;
      this.probing = false;
      return undefined; // a failed probe is the detector's business (it routed the call)
    });
  }
}
