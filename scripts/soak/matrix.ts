/**
 * The fault matrix: every selected fault on every selected role, N cycles
 * each, one combination after the other, against a throwaway cluster of
 * its own (scripts/pg-cluster.ts).
 *
 * Theory of operation. The run starts a cluster (or takes one), listens for
 * process-level trouble (an unhandled rejection; an uncaught exception,
 * which without the listener would have crashed the process; a Deferred
 * failure reported late by the garbage collector) and charges it to the
 * combination running then. Each combination is judged on its own (see
 * combination.ts); a role that does not exist yet is listed as 'not built'.
 * `onRow` sees the report after each combination, so a long run can be
 * written out as it goes.
 */
import * as os from 'node:os';
import { startCluster, type Cluster } from '../pg-cluster';
import { Admin } from './admin';
import { runCombination, type ComboResult } from './combination';
import { FAULTS } from './faults';
import type { SoakReport } from './report';
import { ROLES } from './roles';
import { selectCombinations } from './selection';
import { DEFAULT_SETTINGS, type SoakSettings } from './settings';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Cycles per combination (default 20). */
  readonly cycles?: number;
  /** `--only` filters (default: everything). */
  readonly only?: readonly string[];
  /** Overrides of {@link DEFAULT_SETTINGS}. */
  readonly settings?: Partial<SoakSettings>;
  /** Progress lines (default: nowhere). */
  readonly log?: (line: string) => void;
  /** Called after every combination with the report so far. */
  readonly onRow?: (report: SoakReport) => void;
  /** A running cluster to use (default: a new one, destroyed at the end). */
  readonly cluster?: Cluster;
}

/** Runs the matrix; see the file comment. Resolves with the report (failures are in it, not thrown). */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const cycles = options.cycles ?? 20;
  const settings: SoakSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const log = options.log ?? ((): void => undefined);
  const combos = selectCombinations(options.only ?? []);
  const cluster = options.cluster ?? (await startCluster({ readyTimeoutMs: 120_000 }));
  const report: SoakReport = { startedAt: new Date().toISOString(), finishedAt: null, cycles, settings, environment: await environment(cluster), rows: [] };
  const events = processEvents();
  try {
    for (const c of combos) {
      log(`${c.fault} x ${c.role}`);
      const row: ComboResult = await runCombination(FAULTS[c.fault], ROLES[c.role], { cluster, cycles, settings, log, processEvents: events.begin() });
      report.rows.push(row);
      log(`${c.fault} x ${c.role}: ${row.status}${row.violations.length ? ` (${row.violations.length} violations)` : ''}, ${row.seconds} s`);
      options.onRow?.(report);
    }
  } finally {
    events.stop();
    if (options.cluster === undefined) await cluster.destroy();
  }
  report.finishedAt = new Date().toISOString();
  report.environment.loadAtEnd = os.loadavg()[0];
  return report;
}

/** The rows that failed. */
export function failures(report: SoakReport): ComboResult[] {
  return report.rows.filter((r) => r.status === 'fail');
}

/** Node, CPUs, load, and the server's version. */
async function environment(cluster: Cluster): Promise<Record<string, string | number>> {
  const admin = new Admin(cluster.url('superuser'));
  try {
    const [v] = await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return { node: process.version, cpus: os.cpus().length, loadAtStart: os.loadavg()[0], server: v.v, binDir: cluster.binDir };
  } finally {
    await admin.close();
  }
}

/** Process-level listeners whose events go to the list of the combination running now. */
function processEvents(): { begin(): string[]; stop(): void } {
  let sink: string[] = [];
  const describe = (x: unknown): string => (x instanceof Error ? `${x.name}: ${x.message}` : String(x));
  const onRejection = (reason: unknown): void => void sink.push(`unhandled rejection: ${describe(reason)}`);
  const onException = (error: unknown): void => void sink.push(`uncaught exception (the process would have crashed): ${describe(error)}`);
  const onWarning = (w: Error): void => {
    if (w.name === 'DeferredUnhandledFailure') sink.push(`unhandled Deferred failure, reported late: ${w.message.split('\n')[0]}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  process.on('warning', onWarning);
  return {
    begin: () => (sink = []),
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      process.off('warning', onWarning);
    },
  };
}
