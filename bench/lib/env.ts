/**
 * The environment a run was measured in: Node, CPUs, PostgreSQL, timing.
 */
import * as os from 'node:os';

/** Facts printed above the table and stored in the JSON. */
export interface BenchEnvironment {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly postgres: string;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
  /** Interleaved rounds of the repeatable workloads (BENCH_REPEAT). */
  readonly rounds?: number;
  /** The 1-, 5- and 15-minute load averages when the run started. */
  readonly loadAverage?: readonly number[];
}

/** Collects the environment; `postgres` is the server's `SELECT version()`. */
export function environment(postgres: string, warmupSeconds: number, measureSeconds: number, rounds = 3): BenchEnvironment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(), node: process.version, platform: `${process.platform} ${process.arch} ${os.release()}`,
    cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', postgres, warmupSeconds, measureSeconds, rounds,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The environment as Markdown bullets. */
export function environmentMarkdown(e: BenchEnvironment): string {
  return [
    `- Date: ${e.date}`, `- Node ${e.node} on ${e.platform}, ${e.cpus} CPU(s): ${e.cpuModel}`,
    `- Server: ${e.postgres}`,
    `- Timed workloads per driver and round: ${e.warmupSeconds} s warm-up + ${e.measureSeconds} s measured; ` +
      `repeatable workloads run in ${e.rounds ?? 3} interleaved rounds (BENCH_REPEAT; driver order rotated each round) and report the median (min–max of the rounds beside it)`,
    ...(e.loadAverage ? [`- Load average at the start: ${e.loadAverage.join(', ')} (⚠ marks a run during which other processes used the CPU)`] : []),
  ].join('\n');
}
