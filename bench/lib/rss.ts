/**
 * Peak resident set size while something runs: `process.memoryUsage().rss`
 * sampled every 50 ms, minus the value just before it started.
 */

/** Runs `fn` while sampling RSS; resolves with its value and the peak growth in MiB. */
export async function withPeakRss<T>(fn: () => Promise<T>, everyMs = 50): Promise<{ value: T; peakMiB: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakMiB: (peak - baseline) / (1024 * 1024) };
  } finally {
    clearInterval(timer);
  }
}
