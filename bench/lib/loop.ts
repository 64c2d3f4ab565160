/**
 * Closed-loop load: `workers` loops, each awaiting one operation before
 * starting the next, for a warm-up and then a measured window.
 *
 * Theory of operation. Every worker runs until the deadline
 * (warm-up + measure). An operation counts, and its latency is recorded, when
 * it *started* inside the measured window; the elapsed time is from the
 * window's start to the last such operation's end, so an operation that
 * straddles the deadline is counted with its full duration. The process's
 * CPU time (user + system) is read when the first measured operation starts
 * and after the last one ends; divided by the measured operations it is the
 * client's CPU per operation (of everything the process did meanwhile).
 */
import { performance } from 'node:perf_hooks';
import { Samples, summarize, type LatencySummary } from './stats';

/** The phases of a run, in milliseconds. */
export interface LoopTiming {
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** What a closed loop measured. */
export interface LoopResult extends LatencySummary {
  /** Operations that started in the measured window. */
  readonly ops: number;
  /** Operations per second. */
  readonly opsPerSec: number;
  /** Sum of the operations' return values (e.g. rows) per second. */
  readonly unitsPerSec: number;
  /** This process's CPU time (user + system) in the measured window per operation, µs. */
  readonly cpuUsPerOp: number;
}

/** One operation; returns how many units (rows) it produced. */
export type Operation = (worker: number) => PromiseLike<number>;

/**
 * Runs `workers` closed loops of `op` for `timing`; resolves with the counts
 * and latency percentiles of the measured window. A failing operation fails
 * the run.
 */
export async function closedLoop(op: Operation, workers: number, timing: LoopTiming): Promise<LoopResult> {
  const start = performance.now() + timing.warmupMs;
  const deadline = start + timing.measureMs;
  const samples = new Samples();
  let units = 0;
  let lastEnd = start;
  let cpu0: NodeJS.CpuUsage | null = null;
  const worker = async (w: number): Promise<void> => {
    for (let t0 = performance.now(); t0 < deadline; t0 = performance.now()) {
      if (t0 >= start) cpu0 ??= process.cpuUsage();
      const n = await op(w);
      if (t0 < start) continue;
      const t1 = performance.now();
      samples.push(t1 - t0);
      units += n;
      if (t1 > lastEnd) lastEnd = t1;
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  const cpu = cpu0 === null ? null : process.cpuUsage(cpu0);
  const seconds = (lastEnd - start) / 1000;
  const cpuUsPerOp = cpu === null ? NaN : (cpu.user + cpu.system) / samples.count;
  return { ...summarize(samples), ops: samples.count, opsPerSec: samples.count / seconds, unitsPerSec: units / seconds, cpuUsPerOp };
}
