import { Samples, percentile, summarize } from '../../bench/lib/stats';

describe('bench stats', () => {
  it('reads nearest-rank percentiles from ascending values', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('gives NaN for the percentile of nothing', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('keeps every sample when the buffer grows past its first size', () => {
    const s = new Samples();
    for (let i = 0; i < 70_000; i++) s.push(i);
    expect(s.count).toBe(70_000);
    expect(s.values()[69_999]).toBe(69_999);
  });

  it('summarizes milliseconds as microseconds, sorting numerically', () => {
    const s = new Samples();
    for (const ms of [10, 0.2, 1, 0.05]) s.push(ms);
    expect(summarize(s)).toEqual({ count: 4, p50Us: 200, p99Us: 10_000, maxUs: 10_000 });
  });
});
