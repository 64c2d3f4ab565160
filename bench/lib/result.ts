/**
 * One line of the report: a workload measured for one driver.
 */
import type { DriverName } from './drivers';

/** What a workload measured for one driver (or why it could not). */
export interface Measurement {
  /** Workload id, e.g. 'W1'. */
  readonly workload: string;
  readonly driver: DriverName;
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
}

/** A workload: an id, a title and how to run it for one driver. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  /** Runs are short and repeatable: the runner alternates drivers BENCH_REPEAT times and keeps the median. */
  readonly repeatable?: boolean;
  run(driverName: DriverName): Promise<Measurement>;
}

/** A failed measurement carrying the error's message. */
export function failed(workload: string, driver: DriverName, unit: string, err: unknown): Measurement {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { workload, driver, unit, value: NaN, error: message };
}
