import { compareRecords, comparisonText, ratioToBestPeer, signedChange } from '../../bench/lib/compare';
import type { Measurement } from '../../bench/lib/result';

const m = (workload: string, driver: Measurement['driver'], value: number, extra: Partial<Measurement> = {}): Measurement =>
  ({ workload, driver, unit: extra.lowerIsBetter ? 'ms' : 'q/s', value, ...extra });

describe('bench --compare', () => {
  it('signs the change so that positive is better, inverting lower-is-better units', () => {
    expect(signedChange(100, 110, false)).toBeCloseTo(0.1);
    expect(signedChange(100, 90, false)).toBeCloseTo(-0.1);
    expect(signedChange(20, 10, true)).toBeCloseTo(1);
    expect(signedChange(10, 20, true)).toBeCloseTo(-0.5);
    expect(signedChange(0, 20, false)).toBeNaN();
    expect(signedChange(NaN, 20, false)).toBeNaN();
  });

  it('gives ours against the better peer, for throughput and for lower-is-better', () => {
    expect(ratioToBestPeer([m('W1', 'tspostgres', 300), m('W1', 'pg', 200), m('W1', 'postgres.js', 250)], 'W1')).toBeCloseTo(1.2);
    const lower = { lowerIsBetter: true };
    expect(ratioToBestPeer([m('W9', 'tspostgres', 20, lower), m('W9', 'pg', 10, lower), m('W9', 'postgres.js', 40, lower)], 'W9')).toBeCloseTo(0.5);
    expect(ratioToBestPeer([m('W1', 'tspostgres', 300), m('W1', 'pg', NaN, { error: 'x' })], 'W1')).toBeNaN();
  });

  it('matches by workload and driver and lists what is new and what is gone', () => {
    const before = { measurements: [m('W1', 'tspostgres', 100), m('W1', 'pg', 200), m('W9', 'pg', 10, { lowerIsBetter: true })] };
    const after = { measurements: [m('W1', 'tspostgres', 150), m('W1', 'pg', 200), m('W5', 'pg', 7)] };
    const rows = compareRecords(before, after);
    expect(rows.map((r) => [r.workload, r.driver, r.before, r.after])).toEqual([
      ['W1', 'tspostgres', 100, 150], ['W1', 'pg', 200, 200], ['W5', 'pg', undefined, 7], ['W9', 'pg', 10, undefined],
    ]);
    expect(rows[0].change).toBeCloseTo(0.5);
    expect(rows[0].ratioBefore).toBeCloseTo(0.5);
    expect(rows[0].ratioAfter).toBeCloseTo(0.75);
    expect(rows[1].ratioBefore).toBeUndefined();
    expect(rows[2].change).toBeNaN();
  });

  it('marks a change inside either run\'s min-max spread as noise', () => {
    const spread = (min: number, max: number) => ({ spread: { min, max, runs: [min, max] } });
    const inside = compareRecords({ measurements: [m('W1', 'pg', 100, spread(90, 130))] }, { measurements: [m('W1', 'pg', 120)] });
    expect(inside[0].noise).toBe(true);
    const outside = compareRecords({ measurements: [m('W1', 'pg', 100, spread(90, 110))] }, { measurements: [m('W1', 'pg', 120, spread(115, 125))] });
    expect(outside[0].noise).toBe(false);
    const noSpread = compareRecords({ measurements: [m('W1', 'pg', 100)] }, { measurements: [m('W1', 'pg', 120)] });
    expect(noSpread[0].noise).toBe(false);
  });

  it('prints one line per workload and driver with the signed change', () => {
    const text = comparisonText(compareRecords(
      { measurements: [m('W1', 'tspostgres', 1000), m('W1', 'pg', 1000), m('W9', 'pg', 10, { lowerIsBetter: true }), m('W7', 'pg', 5)] },
      { measurements: [m('W1', 'tspostgres', 1100), m('W1', 'pg', 1000), m('W9', 'pg', 20, { lowerIsBetter: true }), m('W5', 'pg', 3)] },
    ), 'old.json', 'this run');
    const lines = text.split('\n');
    expect(lines[0]).toContain('old.json');
    expect(lines[1]).toMatch(/W1 +tspostgres +1,000 → 1,100 +q\/s +\+10\.0% +ours\/best peer 1\.00× → 1\.10×/);
    expect(lines[3]).toMatch(/W9 +pg +10\.0 → 20\.0 +ms +−50\.0%/);
    expect(lines[4]).toMatch(/W5 +pg .* new$/);
    expect(lines[5]).toMatch(/W7 +pg .* gone or failed$/);
  });
});
