/**
 * What W14 needs to know about pgbench: how its tpcb-like script draws its
 * values, and how to read its report and its per-transaction log.
 */
import { percentile } from './stats';

/** One transaction's random values, drawn as pgbench's tpcb-like script draws them. */
export interface TpcbDraw {
  readonly aid: number;
  readonly bid: number;
  readonly tid: number;
  readonly delta: number;
}

/** A uniform integer in [lo, hi] (`random()` draws of `random(lo, hi)` in a pgbench script). */
export const uniform = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

/** aid in 1..100,000 × scale, bid in 1..scale, tid in 1..10 × scale, delta in -5,000..5,000. */
export function draw(scale: number): TpcbDraw {
  return { aid: uniform(1, 100_000 * scale), bid: uniform(1, scale), tid: uniform(1, 10 * scale), delta: uniform(-5000, 5000) };
}

/**
 * p50/p99 (µs) and count of the latencies in pgbench `-l` logs: one line per
 * transaction, `client_id transaction_no time script_no time_epoch time_us`,
 * `time` in µs (lines whose time is not a number, e.g. `skipped`, are left out).
 */
export function pgbenchLogLatencies(logs: readonly string[]): { p50Us: number; p99Us: number; count: number } {
  const values: number[] = [];
  for (const text of logs) {
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      const us = f.length >= 6 ? Number(f[2]) : NaN;
      if (f[2] !== '' && Number.isFinite(us)) values.push(us);
    }
  }
  const sorted = Float64Array.from(values).sort();
  return { p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99), count: sorted.length };
}

/** tps from pgbench's report ("tps = 1234.5 (without initial connection time)"); NaN when absent. */
export function pgbenchTps(stdout: string): number {
  const m = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout);
  return m ? Number(m[1]) : NaN;
}
