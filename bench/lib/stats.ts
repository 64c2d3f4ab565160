/**
 * Latency samples and their summary.
 *
 * Theory of operation. A benchmark pushes one duration (ms, from
 * `performance.now()`) per operation into a {@link Samples}; the buffer is a
 * growable Float64Array, so recording costs no allocation per sample.
 * {@link summarize} sorts a copy once and reads percentiles by the
 * nearest-rank rule, as pgbench reports them.
 */

/** A growable buffer of durations in milliseconds. */
export class Samples {
  private data = new Float64Array(1 << 16);
  private n = 0;

  /** Records one duration (ms). */
  push(ms: number): void {
    if (this.n === this.data.length) this.grow();
    this.data[this.n++] = ms;
  }

  /** How many durations were recorded. */
  get count(): number {
    return this.n;
  }

  /** A copy of the recorded durations, unsorted. */
  values(): Float64Array {
    return this.data.slice(0, this.n);
  }

  private grow(): void {
    const next = new Float64Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

/** Percentiles of a set of durations, in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/**
 * The nearest-rank percentile `p` (0..100) of ascending `sorted`; NaN when
 * empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p99 and max of `samples` (ms in, µs out). */
export function summarize(samples: Samples): LatencySummary {
  const sorted = samples.values().sort();
  const us = (ms: number): number => Math.round(ms * 1000);
  return {
    count: sorted.length,
    p50Us: us(percentile(sorted, 50)),
    p99Us: us(percentile(sorted, 99)),
    maxUs: us(sorted.length ? sorted[sorted.length - 1] : NaN),
  };
}
