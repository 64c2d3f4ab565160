/**
 * Interleaved rounds and the median of a driver's runs.
 *
 * Theory of operation. A workload runs in rounds: in each round every
 * participant (driver, or a floor such as pgbench) runs once, one after
 * another, and the order is rotated by one place per round, so no driver
 * always runs first (cold caches) or last (after the others warmed the
 * server), and a noisy moment of the machine falls on different drivers.
 * A driver's result is the measurement of median value among its rounds,
 * carrying the spread (min and max of the successful rounds and every
 * round's value); failed rounds sort last and never become the median
 * unless every round failed.
 */
import type { Measurement } from './result';

/** `items` rotated left by `round` places (round 0 keeps the order). */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = ((round % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The median of ascending `sorted` values (the mean of the middle two for an even count); NaN when empty. */
export function medianOf(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * The measurement of median value among `runs` (for an even count, the
 * lower-middle run, so the headline is a value that was measured), with
 * `spread` ({ min, max, runs }) when there was more than one round and
 * `contention` of the worst round. A single run comes back unchanged.
 */
export function aggregate(runs: readonly Measurement[]): Measurement {
  if (runs.length === 0) throw new Error('aggregate of no runs');
  if (runs.length === 1) return runs[0];
  const ok = runs.filter((m) => !m.error && Number.isFinite(m.value)).sort((a, b) => a.value - b.value);
  const contention = worstContention(runs);
  if (ok.length === 0) return { ...runs[0], ...(contention ? { contention } : {}) };
  const mid = ok[Math.floor((ok.length - 1) / 2)];
  const values = runs.map((m) => (m.error || !Number.isFinite(m.value) ? null : m.value));
  const spread = { min: ok[0].value, max: ok[ok.length - 1].value, runs: values };
  const { contention: _own, ...rest } = mid;
  return { ...rest, spread, ...(contention ? { contention } : {}) };
}

/** The contention of the round where other processes used the most CPU, if any round had one. */
function worstContention(runs: readonly Measurement[]): Measurement['contention'] {
  let worst: Measurement['contention'];
  for (const m of runs) if (m.contention && (!worst || m.contention.otherCpus > worst.otherCpus)) worst = m.contention;
  return worst;
}

/** The spread as a fraction of the median: (max - min) / median; NaN without a spread. */
export function relativeSpread(m: Measurement): number {
  if (!m.spread || !(m.value > 0)) return NaN;
  return (m.spread.max - m.spread.min) / m.value;
}
