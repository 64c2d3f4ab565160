/**
 * One line of the report: a workload measured for one driver.
 */
import type { DriverName } from './drivers';

/**
 * A floor measured beside the drivers: the pgbench binary (C and libpq) or
 * the raw Node floor `raw-node` (lib/raw-node.ts: prebuilt bytes on a bare socket).
 */
export type FloorName = 'pgbench' | 'raw-node';

/** Who produced a measurement: a driver or a floor. */
export type Participant = DriverName | FloorName;

/** A floor of a workload: run in the same rounds as the drivers. */
export interface Floor {
  readonly name: FloorName;
  run(): Promise<Measurement>;
}

/** How much CPU other processes took while a workload ran (see cpu.ts). */
export interface Contention {
  /** CPUs' worth of time used by processes outside this run (this process, its children, the bench server), averaged over the run. */
  readonly otherCpus: number;
  /** The 1-minute load average before and after. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** The printed warning. */
  readonly warning: string;
}

/** The rounds behind a median. */
export interface Spread {
  readonly min: number;
  readonly max: number;
  /** Every round's value in round order; null for a failed round. */
  readonly runs: ReadonlyArray<number | null>;
}

/** What a workload measured for one driver (or why it could not). */
export interface Measurement {
  /** Workload id, e.g. 'W1'. */
  readonly workload: string;
  readonly driver: Participant;
  /** The unit of `value`: 'q/s', 'rows/s', 'notify/s', 'ms'. */
  readonly unit: string;
  /** The headline number (higher is better unless `lowerIsBetter`). */
  readonly value: number;
  readonly lowerIsBetter?: boolean;
  readonly p50Us?: number;
  readonly p99Us?: number;
  /** Extra facts, e.g. peak RSS growth or notifications lost. */
  readonly note?: string;
  /** Shown instead of the number in the table (e.g. '> 15 s (never)'). */
  readonly display?: string;
  /** Set when the workload failed for this driver. */
  readonly error?: string;
  /** Min, max and every round's value when the workload ran in several rounds (`value` is their median). */
  readonly spread?: Spread;
  /** Set when other processes used the CPU during the run (the worst round's). */
  readonly contention?: Contention;
  /** Further numbers of the run, e.g. { peakRssMiB, cpuUsPerTx }; those of the median round. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** A workload: an id, a title and how to run it for one driver. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  /**
   * Runs are repeatable: the runner runs the drivers in BENCH_REPEAT
   * interleaved rounds and keeps each one's median. Workloads that repeat
   * inside one run (median of 5 reconnects) or take long (W10, W13) say false.
   */
  readonly repeatable?: boolean;
  run(driverName: DriverName): Promise<Measurement>;
  /** Floors measured in the same rounds as the drivers (W1 and W14: pgbench and raw Node; W6: raw Node). */
  readonly floors?: readonly Floor[];
}

/** A failed measurement carrying the error's message. */
export function failed(workload: string, driver: Participant, unit: string, err: unknown): Measurement {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { workload, driver, unit, value: NaN, error: message };
}
