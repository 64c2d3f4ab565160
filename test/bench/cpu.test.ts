import { contentionBetween, parseBusyTicks, parseProcStat, treeTicks, type CpuSnapshot } from '../../bench/lib/cpu';

const PROC_STAT = 'cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 1 2 3\n';
/** A /proc/<pid>/stat line: utime 10, stime 5, cutime 3, cstime 2, and a command name with spaces and a parenthesis. */
const PID_STAT = '4242 (node (bench) x) S 17 4242 17 0 -1 4194304 100 0 0 0 10 5 3 2 20 0 11 0 100 1000 200';

const snap = (atMs: number, busyTicks: number, ownTicks: number, load1 = 1): CpuSnapshot => ({ atMs, busyTicks, ownTicks, load1 });

describe('bench CPU contention', () => {
  it('counts user, nice, system, irq, softirq and steal as busy, not idle or iowait', () => {
    expect(parseBusyTicks(PROC_STAT)).toBe(100 + 5 + 50 + 3 + 2 + 1);
    expect(() => parseBusyTicks('intr 1\n')).toThrow(/no cpu line/);
  });

  it('reads pid, parent and own plus reaped children\'s ticks, whatever the command name holds', () => {
    expect(parseProcStat(PID_STAT)).toEqual({ pid: 4242, ppid: 17, ticks: 20, childTicks: 5 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('sums the trees under the roots once each, leaving other processes out', () => {
    const procs = [
      [1, 0, 1000], [10, 1, 5], [11, 10, 7], [12, 11, 1], [20, 1, 50], [30, 1, 100], [31, 30, 2],
    ].map(([pid, ppid, ticks]) => ({ pid, ppid, ticks, childTicks: 0 }));
    expect(treeTicks(procs, [10])).toBe(13);
    expect(treeTicks(procs, [10, 11, 30])).toBe(115);
    expect(treeTicks(procs, [99])).toBe(0);
  });

  it('warns when the machine was busier than this run by more than the threshold', () => {
    // 2 s; the machine was busy 300 ticks, this run 100: others kept 1 CPU busy.
    const c = contentionBetween(snap(0, 1000, 500, 0.5), snap(2000, 1300, 600, 1.5), 0.25);
    expect(c?.otherCpus).toBe(1);
    expect(c?.warning).toBe('other processes used 1.00 CPU over 2.0 s (load 0.50 → 1.50)');
    expect(contentionBetween(snap(0, 1000, 500), snap(2000, 1140, 600), 0.25)).toBeUndefined();
  });

  it('does not judge runs too short for tick granularity, nor count negative other time', () => {
    expect(contentionBetween(snap(0, 0, 0), snap(20, 100, 0), 0.25)).toBeUndefined();
    expect(contentionBetween(snap(0, 100, 0), snap(1000, 110, 50), 0.25)).toBeUndefined();
  });
});
