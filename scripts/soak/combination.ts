/**
 * One fault on one role, for N cycles, with everything the harness judges.
 *
 * Theory of operation. A combination gets a fresh database on the run's
 * cluster (owned by the unprivileged client user), a fresh fault proxy in
 * front of the cluster, and the harness's own connection. It counts the
 * process's file descriptors before anything is opened, captures
 * unhandled Deferred failures, starts the role, runs the cycles, a last
 * steady phase, and the role's judgement. Then it undoes the fault, closes
 * everything it opened, and checks: no tracked Deferred pending, no
 * unhandled failure, the descriptor count back where it was (sockets
 * included), RSS sampled after every cycle (first, last, max; growth
 * beyond the bound is flagged). A cycle that misses a deadline ends the
 * cycling (recorded as a violation); the judgement still runs.
 */
import type { Cluster } from '../pg-cluster';
import { startFaultProxy, type FaultProxy } from '../../test/support/fault-proxy';
import { captureUnhandledFailures } from '../../src/defer';
import { Admin } from './admin';
import { runCycle, type CycleResult } from './cycle';
import type { Fault, FaultContext } from './faults';
import { destroyedButOpen, fdTable, newFds, openFds, rssMiB, settledFds } from './resources';
import type { Role, RoleContext, RoleRun, RoleVerdict } from './roles';
import type { SoakSettings } from './settings';
import { spread, type Spread } from './stats';
import { DeferredTracker } from './tracker';
import { waitFor, within } from './wait';

/** The judged outcome of one fault on one role. */
export interface ComboResult {
  readonly fault: string;
  readonly role: string;
  /** 'not built': the role does not exist yet; nothing ran. */
  readonly status: 'pass' | 'fail' | 'not built';
  /** Cycles asked for, and completed. */
  readonly cycles: number;
  readonly cyclesDone: number;
  /** Deaths of the role's connections (all of them), and those outside any fault. */
  readonly outages: number;
  readonly unplannedOutages: number;
  readonly failedAttempts: number;
  readonly detectMs: Spread | null;
  readonly recoverMs: Spread | null;
  /** The role's exactly-once line, and its counts. */
  readonly exactlyOnce: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly trackedDeferreds: number;
  readonly fds: { readonly before: number; readonly after: number };
  readonly rssMiB: { readonly first: number; readonly last: number; readonly max: number } | null;
  readonly violations: string[];
  readonly seconds: number;
}

/** What a combination needs from the run. */
export interface ComboOptions {
  readonly cluster: Cluster;
  readonly cycles: number;
  readonly settings: SoakSettings;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Where process-level events (unhandled rejections, uncaught exceptions) of this combination go. */
  readonly processEvents: string[];
}

/** A row for a role that is not built. */
export function notBuilt(fault: Fault, role: Role, cycles: number): ComboResult {
  return {
    fault: fault.name, role: role.name, status: 'not built', cycles, cyclesDone: 0, outages: 0, unplannedOutages: 0, failedAttempts: 0,
    detectMs: null, recoverMs: null, exactlyOnce: 'not built', counts: {}, trackedDeferreds: 0, fds: { before: NaN, after: NaN }, rssMiB: null, violations: [], seconds: 0,
  };
}

/** Everything a combination opened, to judge and to close. */
interface Rig {
  readonly db: string;
  readonly proxy: FaultProxy;
  readonly admin: Admin;
  readonly tracker: DeferredTracker;
  /** The kind of the fault in force, or null. */
  fault: Fault['kind'] | null;
  run: RoleRun | null;
}

/** Runs `fault` on `role` for `o.cycles` cycles; see the file comment. */
export async function runCombination(fault: Fault, role: Role, o: ComboOptions): Promise<ComboResult> {
  if (!role.built) return notBuilt(fault, role, o.cycles);
  const started = Date.now();
  if (o.cluster.pid === null) await o.cluster.start();
  const fdsBefore = openFds();
  const fdsOpen = fdTable();
  const unhandled = captureUnhandledFailures();
  const violations: string[] = [];
  const cycles: CycleResult[] = [];
  const rss: number[] = [];
  const rig = await openRig(fault, role, o);
  let verdict: RoleVerdict | null = null;
  try {
    rig.run = await within(role.start(roleContext(rig, o)), o.settings.stepMs, `${role.name} started`);
    await runCycles(rig, fault, o, cycles, rss, violations);
    verdict = await within(rig.run.finish(), 3 * o.settings.stepMs + o.settings.acquireTimeoutMs, `${role.name} finished and judged`);
    violations.push(...verdict.violations);
  } catch (e) {
    violations.push(`aborted: ${(e as Error).message}`);
  } finally {
    await closeRig(rig, fault, o).catch((e: Error) => violations.push(`cleanup: ${e.message}`));
  }
  violations.push(...(await settledDeferreds(rig.tracker)), ...unhandled.restore().map((e) => `unhandled failure: ${e.name}: ${e.message}`), ...o.processEvents);
  const fdsAfter = await settledFds(fdsBefore, 10_000);
  if (fdsAfter > fdsBefore) violations.push(`${fdsAfter - fdsBefore} file descriptors still open after the combination closed everything: ${[...newFds(fdsOpen), ...destroyedButOpen()].join('; ')}`);
  const rssSummary = rss.length === 0 ? null : { first: rss[0], last: rss[rss.length - 1], max: Math.max(...rss) };
  if (rssSummary && rssSummary.last - rssSummary.first > o.settings.rssBoundMiB) violations.push(`RSS grew ${Math.round(rssSummary.last - rssSummary.first)} MiB over the cycles (bound ${o.settings.rssBoundMiB})`);
  return {
    fault: fault.name,
    role: role.name,
    status: violations.length === 0 ? 'pass' : 'fail',
    cycles: o.cycles,
    cyclesDone: cycles.length,
    ...outageCounts(rig),
    detectMs: spread(cycles.flatMap((c) => (c.detectMs === null ? [] : [c.detectMs]))),
    recoverMs: spread(cycles.map((c) => c.recoverMs)),
    exactlyOnce: verdict?.summary ?? '-',
    counts: verdict?.counts ?? {},
    trackedDeferreds: rig.tracker.tracked,
    fds: { before: fdsBefore, after: fdsAfter },
    rssMiB: rssSummary,
    violations,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** The cycles, then a last steady phase; a failed cycle ends them. */
async function runCycles(rig: Rig, fault: Fault, o: ComboOptions, cycles: CycleResult[], rss: number[], violations: string[]): Promise<void> {
  const run = rig.run!;
  for (let i = 1; i <= o.cycles; i++) {
    try {
      const r = await runCycle({ run, fault, settings: o.settings, faultContext: (f) => faultContext(rig, run, o, f), setFault: (k) => (rig.fault = k) });
      cycles.push(r);
      o.log(`  cycle ${i}/${o.cycles}: ${r.deaths} deaths, detect ${r.detectMs ?? '-'} ms, recover ${r.recoverMs} ms`);
    } catch (e) {
      violations.push(`cycle ${i}: ${(e as Error).message}`);
      await fault.reset(faultContext(rig, run, o, async () => undefined)).catch(() => undefined);
      rig.fault = null;
      return;
    }
    violations.push(...rig.tracker.overdue());
    rss.push(rssMiB());
  }
  await run.steady().catch((e: Error) => violations.push(`after the last cycle: ${e.message}`));
}

function faultContext(rig: Rig, run: RoleRun, o: ComboOptions, attemptsFailed: () => Promise<void>): FaultContext {
  return {
    cluster: o.cluster,
    proxy: rig.proxy,
    admin: rig.admin,
    settings: o.settings,
    clientUser: o.cluster.users.trust.user,
    pids: () => run.watches().map((w) => w.conn.processId).filter((p): p is number => typeof p === 'number'),
    attemptsFailed,
  };
}

function roleContext(rig: Rig, o: ComboOptions): RoleContext {
  const u = new URL(o.cluster.url('trust', rig.db));
  u.host = `${rig.proxy.host}:${rig.proxy.port}`;
  u.searchParams.set('sslmode', 'disable');
  return {
    url: u.toString(),
    admin: rig.admin,
    settings: o.settings,
    tracker: rig.tracker,
    linkTrusted: () => rig.fault !== 'outage',
    faultInForce: () => rig.fault !== null,
  };
}

/** A fresh database and proxy, and the harness's connection. */
async function openRig(fault: Fault, role: Role, o: ComboOptions): Promise<Rig> {
  const db = `soak_${fault.name}_${role.name}`.replace(/-/g, '_');
  await onPostgres(o, [`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, `CREATE DATABASE ${db} OWNER ${o.cluster.users.trust.user}`]);
  const proxy = await startFaultProxy({ targetHost: o.cluster.host, targetPort: o.cluster.port });
  o.log(`  database ${db}, server :${o.cluster.port}, proxy :${proxy.port}`);
  return { db, proxy, admin: new Admin(o.cluster.url('superuser', db)), tracker: new DeferredTracker(), fault: null, run: null };
}

/** Undoes the fault, closes the harness's connection and the proxy, drops the database. */
async function closeRig(rig: Rig, fault: Fault, o: ComboOptions): Promise<void> {
  if (rig.run !== null) await fault.reset(faultContext(rig, rig.run, o, async () => undefined));
  if (o.cluster.pid === null) await o.cluster.start();
  await rig.admin.close();
  // let the links end by themselves first: resetting a socket whose FIN is still on its way leaks its descriptor (Node 20)
  await waitFor(() => rig.proxy.connections === 0, 10_000, 'proxy links closed').catch(() => undefined);
  await rig.proxy.close();
  await onPostgres(o, [`DROP DATABASE IF EXISTS ${rig.db} WITH (FORCE)`]);
}

/** Statements on the cluster's `postgres` database, on a connection of their own. */
async function onPostgres(o: ComboOptions, statements: string[]): Promise<void> {
  const admin = new Admin(o.cluster.url('superuser'));
  try {
    for (const sql of statements) await admin.retry(sql, [], o.settings.stepMs);
  } finally {
    await admin.close();
  }
}

/** Waits (a little) for tracked Deferreds to fire after the close; describes the ones that do not. */
async function settledDeferreds(tracker: DeferredTracker): Promise<string[]> {
  await waitFor(() => tracker.inFlight === 0, 5000, 'tracked Deferreds settled').catch(() => undefined);
  return [...tracker.overdue(), ...tracker.stillPending()];
}

function outageCounts(rig: Rig): Pick<ComboResult, 'outages' | 'unplannedOutages' | 'failedAttempts'> {
  const ws = rig.run?.watches() ?? [];
  const deaths = ws.flatMap((w) => w.deaths);
  return { outages: deaths.length, unplannedOutages: deaths.filter((d) => !d.duringFault).length, failedAttempts: ws.reduce((n, w) => n + w.failedAttempts, 0) };
}
