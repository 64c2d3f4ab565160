/**
 * One cycle of a fault on a role: steady work, the fault, the outage
 * noticed, the fault held and healed, the role working again.
 *
 * Theory of operation. The role first proves it works while the link is
 * trusted (`steady`). The harness then marks the link untrusted (for an
 * outage fault; a slow link stays trusted), injects the fault and, for an
 * outage, waits until every connection of the role has been declared dead:
 * *detection* is timed from the injection to the latest of those deaths.
 * The role does its during-fault work, the fault is held (see faults.ts),
 * healed, and the harness waits until the role works again: *recovery* is
 * timed from the heal, or from the detection for a fault that does not
 * stand in the way (a terminated backend; a frozen one, thawed only after).
 * Every wait has the run's step deadline; missing one throws a StepTimeout.
 */
import type { Fault, FaultContext } from './faults';
import type { RoleRun } from './roles';
import type { SoakSettings } from './settings';
import { StepTimeout, sleep, waitFor } from './wait';
import type { ConnectionWatch } from './watch';

/** What one cycle measured. */
export interface CycleResult {
  /** Injection to the last connection declared dead (outage faults). */
  readonly detectMs: number | null;
  /** Heal (or detection) to working again. */
  readonly recoverMs: number;
  /** Deaths during the cycle, all connections. */
  readonly deaths: number;
}

/** What a cycle needs from its combination. */
export interface CycleHarness {
  readonly run: RoleRun;
  readonly fault: Fault;
  readonly settings: SoakSettings;
  /** The fault context for this cycle, given how to wait for failed attempts since `before`. */
  faultContext(attemptsFailed: () => Promise<void>): FaultContext;
  /** Records the kind of the fault in force (an outage fault makes the link untrusted), or null. */
  setFault(kind: Fault['kind'] | null): void;
}

interface Snapshot {
  readonly deaths: number;
  readonly failed: number;
}

/** Runs one cycle; see the file comment. */
export async function runCycle(h: CycleHarness): Promise<CycleResult> {
  const { run, fault, settings } = h;
  await run.steady();
  const ws = run.watches();
  const before: Snapshot[] = ws.map((w) => ({ deaths: w.deaths.length, failed: w.failedAttempts }));
  const ctx = h.faultContext(() => waitFor(() => ws.every((w, i) => w.failedAttempts > before[i].failed), settings.stepMs, `a failed reconnection attempt on every connection during ${fault.name}`));
  h.setFault(fault.kind);
  const injectedAt = Date.now();
  await fault.inject(ctx);
  const detectedAt = fault.kind === 'outage' ? await everyDeath(ws, before, settings, fault.name) : null;
  await run.duringFault();
  await fault.hold(ctx);
  if (!fault.healAfterRecovery) await fault.heal(ctx);
  const mark = fault.recoveryFrom === 'detection' && detectedAt !== null ? detectedAt : Date.now();
  const recoveredAt = await recovery(run, mark, settings, fault.name);
  if (fault.healAfterRecovery) await fault.heal(ctx);
  h.setFault(null);
  const deaths = ws.reduce((n, w, i) => n + w.deaths.length - before[i].deaths, 0);
  return { detectMs: detectedAt === null ? null : detectedAt - injectedAt, recoverMs: Math.max(0, recoveredAt - mark), deaths };
}

/** Waits until every connection died since `before`; returns the time of the latest of those first deaths. */
async function everyDeath(ws: ConnectionWatch[], before: Snapshot[], s: SoakSettings, fault: string): Promise<number> {
  await waitFor(() => ws.every((w, i) => w.deaths.length > before[i].deaths), s.stepMs, `every connection declared dead after ${fault}`);
  return Math.max(...ws.map((w, i) => w.deaths[before[i].deaths].at));
}

/** Waits until the role reports it works again after `mark`; returns when it did. */
async function recovery(run: RoleRun, mark: number, s: SoakSettings, fault: string): Promise<number> {
  const deadline = Date.now() + s.stepMs;
  for (;;) {
    const at = run.recoveredAt(mark);
    if (at !== null) return at;
    if (Date.now() > deadline) throw new StepTimeout(`recovery after ${fault}`, s.stepMs);
    await sleep(10);
  }
}
