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
}

/** Collects the environment; `postgres` is the server's `SELECT version()`. */
export function environment(postgres: string, warmupSeconds: number, measureSeconds: number): BenchEnvironment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(), node: process.version, platform: `${process.platform} ${process.arch} ${os.release()}`,
    cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', postgres, warmupSeconds, measureSeconds,
  };
}

/** The environment as Markdown bullets. */
export function environmentMarkdown(e: BenchEnvironment): string {
  return [
    `- Date: ${e.date}`, `- Node ${e.node} on ${e.platform}, ${e.cpus} CPU(s): ${e.cpuModel}`,
    `- Server: ${e.postgres}`, `- Each workload per driver: ${e.warmupSeconds} s warm-up + ${e.measureSeconds} s measured; round trips (W1-W3, D1) alternate the drivers 3 times (BENCH_REPEAT) and report the median`,
  ].join('\n');
}
