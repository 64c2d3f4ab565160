/**
 * Did something else use the CPU while a workload ran?
 *
 * Theory of operation. Before and after a run we take a {@link CpuSnapshot}:
 * the machine's busy time from the `cpu` line of /proc/stat, and the CPU time
 * of *this run's* processes: the tree of processes under this process (the
 * bench server started by scripts/pg-cluster.ts, pgbench, standbys) and under
 * any extra root (the postmaster of a BENCH_URL server on this machine). A
 * process's own time is `utime + stime` and the time of its exited, reaped
 * children is `cutime + cstime` (both in /proc/<pid>/stat), so summing all
 * four over the live tree counts every process of the run once, even those
 * that exited during it. The busy time the machine spent beyond that, divided
 * by the wall time, is how many CPUs other processes kept busy; above a
 * threshold (BENCH_CPU_WARN, default 0.25 CPU) the run carries a warning,
 * with the 1-minute load average before and after. Times are in clock ticks
 * (USER_HZ, 100 on Linux) for both sources. Without /proc (not Linux) no
 * snapshot is taken and no warning is given.
 */
import * as fs from 'node:fs';
import type { Contention } from './result';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux architecture Node runs on). */
export const TICKS_PER_SECOND = 100;

/** What /proc said at one moment. */
export interface CpuSnapshot {
  /** Wall clock (`Date.now()`), ms. */
  readonly atMs: number;
  /** Ticks the machine's CPUs were busy (all CPUs summed). */
  readonly busyTicks: number;
  /** Ticks of this run's process trees (own + reaped children). */
  readonly ownTicks: number;
  /** 1-minute load average. */
  readonly load1: number;
}

/** One process as /proc/<pid>/stat describes it. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  readonly ticks: number;
  /** cutime + cstime: the ticks of its exited, reaped children. */
  readonly childTicks: number;
}

/** Busy ticks from the text of /proc/stat: user + nice + system + irq + softirq + steal of the `cpu` line. */
export function parseBusyTicks(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = f;
  return user + nice + system + irq + softirq + steal;
}

/** Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses); null if malformed. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(close + 2).trim().split(/\s+/);
  // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  const ppid = Number(f[1]);
  const childTicks = Number(f[13]) + Number(f[14]);
  const ticks = Number(f[11]) + Number(f[12]) + childTicks;
  return Number.isFinite(pid) && Number.isFinite(ppid) && Number.isFinite(ticks) ? { pid, ppid, ticks, childTicks } : null;
}

/** The summed ticks of every process in the trees under `roots` (each process counted once). */
export function treeTicks(procs: readonly ProcStat[], roots: readonly number[]): number {
  const children = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const p of procs) {
    byPid.set(p.pid, p);
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const seen = new Set<number>();
  let sum = 0;
  const stack = roots.filter((r) => byPid.has(r));
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    sum += byPid.get(pid)!.ticks;
    for (const c of children.get(pid) ?? []) stack.push(c.pid);
  }
  return sum;
}

/** Every process's stat; processes that exit while we read are skipped. */
function readProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const p = parseProcStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (p) out.push(p);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True when /proc/stat can be read (Linux). */
export function cpuAccountingAvailable(): boolean {
  try {
    fs.accessSync('/proc/stat', fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** A snapshot now, counting the trees under this process and `extraRoots`; null without /proc. */
export function takeSnapshot(extraRoots: readonly number[] = []): CpuSnapshot | null {
  if (!cpuAccountingAvailable()) return null;
  const busyTicks = parseBusyTicks(fs.readFileSync('/proc/stat', 'utf8'));
  const ownTicks = treeTicks(readProcs(), [process.pid, ...extraRoots]);
  const load1 = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  return { atMs: Date.now(), busyTicks, ownTicks, load1 };
}

/**
 * The contention between two snapshots: CPUs other processes kept busy on
 * average; a warning when that is above `thresholdCpus`, else undefined.
 * Runs shorter than 50 ms are not judged (tick granularity).
 */
export function contentionBetween(a: CpuSnapshot, b: CpuSnapshot, thresholdCpus: number): Contention | undefined {
  const seconds = (b.atMs - a.atMs) / 1000;
  if (seconds < 0.05) return undefined;
  const otherTicks = Math.max(0, b.busyTicks - a.busyTicks - (b.ownTicks - a.ownTicks));
  const otherCpus = otherTicks / TICKS_PER_SECOND / seconds;
  if (!(otherCpus > thresholdCpus)) return undefined;
  const warning = `other processes used ${otherCpus.toFixed(2)} CPU over ${seconds.toFixed(1)} s (load ${a.load1.toFixed(2)} → ${b.load1.toFixed(2)})`;
  return { otherCpus: Math.round(otherCpus * 100) / 100, loadBefore: a.load1, loadAfter: b.load1, warning };
}

/** The postmaster PID of a server on this machine, given one of its backend PIDs (its parent); null when not local. */
export function localPostmaster(backendPid: number): number | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${backendPid}/stat`, 'utf8'))?.ppid ?? null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of this process's exited and reaped children so far (cutime +
 * cstime of /proc/self/stat); null without /proc. The difference across a
 * child's life is that child's CPU time (W14's pgbench), to 10 ms.
 */
export function reapedChildrenCpuSeconds(): number | null {
  try {
    const p = parseProcStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    return p ? p.childTicks / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}
