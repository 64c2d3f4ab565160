/** Small summaries of measured durations (reported, never asserted). */

/** Median and maximum of a set of numbers; null for an empty set. */
export interface Spread {
  readonly median: number;
  readonly max: number;
  readonly count: number;
}

/** The {@link Spread} of `xs` (median: the mean of the middle two for an even count). */
export function spread(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, max: s[s.length - 1], count: s.length };
}

/** "median/max" in milliseconds, or "-" when nothing was measured. */
export function formatSpread(x: Spread | null): string {
  return x === null ? '-' : `${Math.round(x.median)}/${Math.round(x.max)}`;
}
