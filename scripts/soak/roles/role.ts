/**
 * What a role is: a way of using the driver that the soak puts through
 * every fault (a listener, the example worker, a pool under writes, a
 * pipelined connection).
 *
 * Theory of operation. A {@link Role} starts a {@link RoleRun} against a
 * fresh database reached through the fault proxy. The run keeps its load
 * going by itself; the harness calls {@link RoleRun.steady} between faults
 * (work while the link is trusted, confirmed before it returns) and
 * {@link RoleRun.duringFault} while a fault is in force, asks
 * {@link RoleRun.recoveredAt} whether it works again after a fault, and
 * finally {@link RoleRun.finish}, which stops the load, closes the clients
 * and judges what happened against the database.
 */
import type { Admin } from '../admin';
import type { SoakSettings } from '../settings';
import type { DeferredTracker } from '../tracker';
import type { ConnectionWatch } from '../watch';

/** The roles, in table order. */
export const ROLE_NAMES = ['listener', 'worker', 'pool', 'pipeline', 'replication'] as const;

/** A role's name. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** What a role gets from the harness. */
export interface RoleContext {
  /** The soak database through the fault proxy, as the unprivileged role the clients use. */
  readonly url: string;
  /** The harness's own connection to the soak database (superuser, straight to the server). */
  readonly admin: Admin;
  readonly settings: SoakSettings;
  readonly tracker: DeferredTracker;
  /** False while a fault that breaks the link is in force (a slow link stays trusted). */
  linkTrusted(): boolean;
  /** Whether any fault is in force now (a death then is not unplanned). */
  faultInForce(): boolean;
}

/** The outcome of a run, judged by the database and the harness. */
export interface RoleVerdict {
  /** One line for the table's exactly-once column. */
  readonly summary: string;
  /** The counts behind it (for the JSON report). */
  readonly counts: Readonly<Record<string, number>>;
  /** Everything that broke a promise. */
  readonly violations: string[];
}

/** A role started against a database; see the file comment. */
export interface RoleRun {
  /** Every connection of the role now (a pool's members), watched. */
  watches(): ConnectionWatch[];
  /** Work while the link is trusted; resolves once it is confirmed (throws a StepTimeout otherwise). */
  steady(): Promise<void>;
  /** Work while a fault is in force (may be lost, never doubled). */
  duringFault(): Promise<void>;
  /** When the role worked again after `mark` (Date.now()), or null while it does not. */
  recoveredAt(mark: number): number | null;
  /** Stops the load, closes the clients, and judges. */
  finish(): Promise<RoleVerdict>;
}

/** A role: how to start it, or that it does not exist yet. */
export interface Role {
  readonly name: RoleName;
  /** False: listed in the table as 'not built', never run. */
  readonly built: boolean;
  /** One line for the docs. */
  readonly description: string;
  /** Starts it; resolves once it works. */
  start(ctx: RoleContext): Promise<RoleRun>;
}

/** The time of the first success since a mark; see {@link RoleRun.recoveredAt}. */
export class Progress {
  private readonly times: number[] = [];
  /** Successes so far. */
  total = 0;

  /** Records a success now. */
  note(): void {
    this.total++;
    this.times.push(Date.now());
    if (this.times.length > 64) this.times.splice(0, 32);
  }

  /** The first success at or after `mark` among the recent ones, or null. */
  firstSince(mark: number): number | null {
    return this.times.find((t) => t >= mark) ?? null;
  }
}

/** The error code of a failure (`code`, else its name). */
export function codeOf(e: unknown): string {
  const x = e as { code?: unknown; name?: unknown };
  return String(x?.code ?? x?.name ?? 'unknown');
}
