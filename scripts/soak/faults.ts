/**
 * The faults of the matrix: each one how to inject it, what to wait for
 * while it is in force, and how to heal it.
 *
 * Theory of operation. An 'outage' fault must make every connection of the
 * role be declared dead (the harness waits for that, with a deadline); a
 * 'slow' fault leaves the link up but slow for a while (an outage is then
 * allowed, not required). `hold` is what must happen before healing: for a
 * refusal or a server that is down, every connection has failed at least
 * one reconnection attempt (so the refusal was really met); for a slow
 * fault, its window passes. A frozen backend is thawed only after the role
 * has recovered on a new one, as a hung server would stay hung. `reset`
 * undoes whatever a fault left behind when a cycle failed half-way; it is
 * idempotent.
 */
import type { Cluster } from '../pg-cluster';
import type { FaultProxy } from '../../test/support/fault-proxy';
import type { Admin } from './admin';
import type { SoakSettings } from './settings';
import { sleep } from './wait';

/** The faults, in table order. */
export const FAULT_NAMES = [
  'terminate', 'restart-fast', 'restart-immediate', 'blackhole', 'sigstop', 'latency', 'trickle', 'refused-role', 'refused-tcp',
] as const;

/** A fault's name. */
export type FaultName = (typeof FAULT_NAMES)[number];

/** What a fault acts on. */
export interface FaultContext {
  readonly cluster: Cluster;
  /** The proxy every client of the role connects through. */
  readonly proxy: FaultProxy;
  /** Superuser, straight to the server. */
  readonly admin: Admin;
  readonly settings: SoakSettings;
  /** The database user the role's clients log in as (not a superuser, so CONNECTION LIMIT applies). */
  readonly clientUser: string;
  /** The backend process ids of the role's connections now. */
  pids(): number[];
  /** Resolves once every connection of the role has failed a reconnection attempt since the fault was injected. */
  attemptsFailed(): Promise<void>;
}

/** One fault; see the file comment. */
export interface Fault {
  readonly name: FaultName;
  readonly kind: 'outage' | 'slow';
  /** One line for the docs. */
  readonly description: string;
  /** Heal only after the role recovered (the fault does not stand in the way of recovery). */
  readonly healAfterRecovery: boolean;
  /** Recovery is timed from the heal, or (nothing stands in its way) from the detection of the outage. */
  readonly recoveryFrom: 'heal' | 'detection';
  inject(ctx: FaultContext): Promise<void>;
  hold(ctx: FaultContext): Promise<void>;
  heal(ctx: FaultContext): Promise<void>;
  reset(ctx: FaultContext): Promise<void>;
}

/** pg_terminate_backend for each of `pids`. */
async function terminate(ctx: FaultContext, pids: number[]): Promise<void> {
  await ctx.admin.retry('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids], ctx.settings.stepMs);
}

/** Starts the server if it is not running (waits until it takes connections). */
async function ensureRunning(ctx: FaultContext): Promise<void> {
  if (ctx.cluster.pid === null) await ctx.cluster.start();
}

const nothing = async (): Promise<void> => undefined;

function restart(mode: 'fast' | 'immediate'): Fault {
  return {
    name: mode === 'fast' ? 'restart-fast' : 'restart-immediate',
    kind: 'outage',
    description: `the server stopped (${mode === 'fast' ? 'fast shutdown, SIGINT' : 'immediate shutdown, SIGQUIT: crash recovery at start'}) until every connection failed a reconnection attempt, then started`,
    healAfterRecovery: false,
    recoveryFrom: 'heal',
    inject: (ctx) => ctx.cluster.stop(mode),
    hold: (ctx) => ctx.attemptsFailed(),
    heal: ensureRunning,
    reset: ensureRunning,
  };
}

/** Backends this process froze and has not thawed yet. */
const frozen = new Set<number>();

function thawAll(): Promise<void> {
  for (const pid of [...frozen]) {
    frozen.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  }
  return Promise.resolve();
}

function slow(name: 'latency' | 'trickle', description: string, on: (ctx: FaultContext) => void, off: (ctx: FaultContext) => Promise<void>): Fault {
  return {
    name,
    kind: 'slow',
    description,
    healAfterRecovery: false,
    recoveryFrom: 'heal',
    inject: async (ctx) => on(ctx),
    hold: (ctx) => sleep(ctx.settings.slowWindowMs),
    heal: off,
    reset: off,
  };
}

/**
 * Ends the latency fault without reordering bytes: the proxy's delay(0)
 * would write new chunks at once while delayed ones still wait in their
 * timers, so new chunks are held (stall) until every delayed one is out (a
 * timer of the same duration set after them fires after them), then the
 * delay is turned off and the held chunks released, in order.
 */
async function endLatency(ctx: FaultContext): Promise<void> {
  ctx.proxy.stall();
  await sleep(ctx.settings.latencyMs);
  ctx.proxy.delay(0);
  ctx.proxy.unstall();
}

async function connectionLimit(ctx: FaultContext, limit: number): Promise<void> {
  await ctx.admin.retry(`ALTER ROLE ${ctx.clientUser} CONNECTION LIMIT ${limit}`, [], ctx.settings.stepMs);
}

/** Whether the client role had REPLICATION before the refused-role fault took it (null: no fault in force). */
let hadReplication: boolean | null = null;

/**
 * Refuses the client role's logins: CONNECTION LIMIT 0, and NOREPLICATION
 * for walsenders (the server does not hold a walsender to the role's
 * connection limit: seen on PostgreSQL 15, the replication role reconnected
 * through it; without the REPLICATION attribute a walsender login fails,
 * 42501).
 */
async function refuseRole(ctx: FaultContext): Promise<void> {
  const [r] = await ctx.admin.retry<{ repl: boolean }>('SELECT rolreplication AS repl FROM pg_roles WHERE rolname = $1', [ctx.clientUser], ctx.settings.stepMs);
  hadReplication ??= r?.repl ?? false;
  await ctx.admin.retry(`ALTER ROLE ${ctx.clientUser} CONNECTION LIMIT 0 NOREPLICATION`, [], ctx.settings.stepMs);
}

/** Undoes {@link refuseRole} (idempotent). */
async function admitRole(ctx: FaultContext): Promise<void> {
  await connectionLimit(ctx, -1);
  if (hadReplication === true) await ctx.admin.retry(`ALTER ROLE ${ctx.clientUser} REPLICATION`, [], ctx.settings.stepMs);
  hadReplication = null;
}

/** Every fault, by name. */
export const FAULTS: Readonly<Record<FaultName, Fault>> = {
  terminate: {
    name: 'terminate',
    kind: 'outage',
    description: "pg_terminate_backend of every backend of the role (SQLSTATE 57P01); nothing to heal",
    healAfterRecovery: false,
    recoveryFrom: 'detection',
    inject: (ctx) => terminate(ctx, ctx.pids()),
    hold: nothing,
    heal: nothing,
    reset: nothing,
  },
  'restart-fast': restart('fast'),
  'restart-immediate': restart('immediate'),
  blackhole: {
    name: 'blackhole',
    kind: 'outage',
    description: 'the proxy holds every byte both ways (TCP stays up) until every connection failed a reconnection attempt; then the held bytes are discarded',
    healAfterRecovery: false,
    recoveryFrom: 'heal',
    inject: async (ctx) => ctx.proxy.stall(),
    hold: (ctx) => ctx.attemptsFailed(),
    heal: async (ctx) => ctx.proxy.unstall({ discard: true }),
    reset: async (ctx) => ctx.proxy.unstall({ discard: true }),
  },
  sigstop: {
    name: 'sigstop',
    kind: 'outage',
    description: 'every backend of the role frozen with SIGSTOP (its socket stays open); SIGCONT once the role works on new backends',
    healAfterRecovery: true,
    recoveryFrom: 'detection',
    inject: async (ctx) => {
      for (const pid of ctx.pids()) {
        frozen.add(pid);
        process.kill(pid, 'SIGSTOP');
      }
    },
    hold: nothing,
    heal: thawAll,
    reset: thawAll,
  },
  latency: slow(
    'latency',
    'every chunk forwarded late (settings.latencyMs each way) for settings.slowWindowMs; ended without reordering (see endLatency)',
    (ctx) => ctx.proxy.delay(ctx.settings.latencyMs),
    endLatency,
  ),
  trickle: slow(
    'trickle',
    'at most settings.trickle.bytes per direction and link every settings.trickle.everyMs, for settings.slowWindowMs',
    (ctx) => ctx.proxy.trickle(ctx.settings.trickle.bytes, ctx.settings.trickle.everyMs),
    async (ctx) => ctx.proxy.trickle(0),
  ),
  'refused-role': {
    name: 'refused-role',
    kind: 'outage',
    description: "ALTER ROLE ... CONNECTION LIMIT 0 NOREPLICATION and the role's backends terminated: reconnection is refused by the server (53300; 42501 for a walsender) until every connection failed an attempt; then the limit is lifted (and REPLICATION given back)",
    healAfterRecovery: false,
    recoveryFrom: 'heal',
    inject: async (ctx) => {
      await refuseRole(ctx);
      await terminate(ctx, ctx.pids());
    },
    hold: (ctx) => ctx.attemptsFailed(),
    heal: admitRole,
    reset: admitRole,
  },
  'refused-tcp': {
    name: 'refused-tcp',
    kind: 'outage',
    description: 'every link reset (RST) and the proxy stops listening: reconnection gets ECONNREFUSED until every connection failed an attempt; then it listens again',
    healAfterRecovery: false,
    recoveryFrom: 'heal',
    inject: async (ctx) => {
      await ctx.proxy.refuseNew(true);
      ctx.proxy.dropAll('rst');
    },
    hold: (ctx) => ctx.attemptsFailed(),
    heal: (ctx) => ctx.proxy.refuseNew(false),
    reset: (ctx) => ctx.proxy.refuseNew(false),
  },
};
