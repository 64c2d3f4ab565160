import { aggregate, medianOf, relativeSpread, roundOrder } from '../../bench/lib/rounds';
import type { Measurement } from '../../bench/lib/result';

const m = (value: number, extra: Partial<Measurement> = {}): Measurement => ({ workload: 'W1', driver: 'pg', unit: 'q/s', value, ...extra });
const busy = (otherCpus: number): Measurement['contention'] => ({ otherCpus, loadBefore: 1, loadAfter: 2, warning: `other ${otherCpus}` });

describe('bench rounds', () => {
  it('rotates the order by one place per round, so each driver leads once in three rounds', () => {
    const names = ['tspostgres', 'pg', 'postgres.js'];
    expect([0, 1, 2, 3].map((r) => roundOrder(names, r))).toEqual([
      ['tspostgres', 'pg', 'postgres.js'], ['pg', 'postgres.js', 'tspostgres'], ['postgres.js', 'tspostgres', 'pg'], ['tspostgres', 'pg', 'postgres.js'],
    ]);
    expect(roundOrder([], 2)).toEqual([]);
  });

  it('takes the median of the middle values', () => {
    expect(medianOf([1, 2, 9])).toBe(2);
    expect(medianOf([1, 2, 4, 9])).toBe(3);
    expect(medianOf([])).toBeNaN();
  });

  it('keeps the median round with min, max and every round in round order', () => {
    const a = aggregate([m(300, { p50Us: 3 }), m(100, { p50Us: 1 }), m(200, { p50Us: 2 })]);
    expect(a.value).toBe(200);
    expect(a.p50Us).toBe(2);
    expect(a.spread).toEqual({ min: 100, max: 300, runs: [300, 100, 200] });
    expect(relativeSpread(a)).toBe(1);
  });

  it('takes the lower middle of an even count, a value that was measured', () => {
    expect(aggregate([m(10), m(40), m(20), m(30)]).value).toBe(20);
  });

  it('never picks a failed round unless all failed, and records it as null', () => {
    const failed = m(NaN, { error: 'boom' });
    const a = aggregate([failed, m(5), m(7)]);
    expect(a.value).toBe(5);
    expect(a.error).toBeUndefined();
    expect(a.spread?.runs).toEqual([null, 5, 7]);
    expect(aggregate([failed, m(NaN, { error: 'again' })]).error).toBe('boom');
  });

  it('carries the worst contention of any round, not only the median round\'s', () => {
    const a = aggregate([m(1, { contention: busy(0.5) }), m(2), m(3, { contention: busy(1.5) })]);
    expect(a.value).toBe(2);
    expect(a.contention?.otherCpus).toBe(1.5);
    expect(aggregate([m(1, { contention: busy(0.9) }), m(2), m(3)]).contention?.otherCpus).toBe(0.9);
    expect(aggregate([m(1, { contention: busy(0.9) }), m(2), m(3)]).value).toBe(2);
    expect(aggregate([m(1), m(2), m(3)]).contention).toBeUndefined();
  });

  it('returns a single run unchanged, without a spread', () => {
    const one = m(42, { note: 'n' });
    expect(aggregate([one])).toBe(one);
    expect(relativeSpread(one)).toBeNaN();
  });
});
