/**
 * `npm run bench -- --compare FILE`: the change of every workload and driver
 * against an earlier result file (bench/results/*.json).
 *
 * Theory of operation. Measurements are matched by workload id and driver.
 * The change is signed so that positive is better: new/old − 1 for
 * throughput, old/new − 1 for lower-is-better units (ms). A change is marked
 * as noise when the two runs' spreads overlap (either value lies inside the
 * other run's min–max), since then the rounds alone could explain it. For
 * tspostgres the ratio against the best peer (the better of pg and
 * postgres.js) is shown before and after, so a regression against the field
 * is visible even when the whole machine got slower. Workloads present on
 * one side only are listed as added or gone.
 */
import { fmt } from './report';
import type { Measurement, Participant } from './result';

/** The part of a result file the comparison reads. */
export interface ComparableRecord {
  readonly environment?: { readonly date?: string };
  readonly measurements: readonly Measurement[];
}

/** One line of the comparison. */
export interface ComparisonRow {
  readonly workload: string;
  readonly driver: Participant;
  readonly unit: string;
  readonly before?: number;
  readonly after?: number;
  /** Signed change, positive = better (e.g. 0.1 = 10% better); NaN when one side is missing or failed. */
  readonly change: number;
  /** The spreads overlap: the change is within the noise of the rounds. */
  readonly noise: boolean;
  /** tspostgres only: ratio against the best peer before and after (above 1 = ahead). */
  readonly ratioBefore?: number;
  readonly ratioAfter?: number;
}

const ok = (m: Measurement | undefined): m is Measurement => !!m && !m.error && Number.isFinite(m.value) && m.value > 0;

/** Signed relative change of `after` against `before`, positive = better. */
export function signedChange(before: number, after: number, lowerIsBetter: boolean): number {
  if (!(before > 0) || !(after > 0)) return NaN;
  return lowerIsBetter ? before / after - 1 : after / before - 1;
}

/** True when either value lies inside the other measurement's spread. */
function overlaps(a: Measurement, b: Measurement): boolean {
  const inside = (v: number, m: Measurement): boolean => !!m.spread && v >= m.spread.min && v <= m.spread.max;
  return inside(a.value, b) || inside(b.value, a);
}

/** tspostgres' ratio against the better of pg and postgres.js in `ms` for `workload`; NaN when unknown. */
export function ratioToBestPeer(ms: readonly Measurement[], workload: string): number {
  const of = (d: Participant): Measurement | undefined => ms.find((m) => m.workload === workload && m.driver === d);
  const ours = of('tspostgres');
  const peers = [of('pg'), of('postgres.js')].filter(ok);
  if (!ok(ours) || peers.length === 0) return NaN;
  const lower = !!ours.lowerIsBetter;
  const best = lower ? Math.min(...peers.map((p) => p.value)) : Math.max(...peers.map((p) => p.value));
  return lower ? best / ours.value : ours.value / best;
}

/** Matches `after` against `before`, in `after`'s order, then what only `before` had. */
export function compareRecords(before: ComparableRecord, after: ComparableRecord): ComparisonRow[] {
  const key = (m: Measurement): string => `${m.workload}\u0000${m.driver}`;
  const old = new Map(before.measurements.map((m) => [key(m), m]));
  const rows: ComparisonRow[] = [];
  for (const a of after.measurements) {
    const b = old.get(key(a));
    old.delete(key(a));
    const both = ok(a) && ok(b);
    const ratios = a.driver === 'tspostgres'
      ? { ratioBefore: ratioToBestPeer(before.measurements, a.workload), ratioAfter: ratioToBestPeer(after.measurements, a.workload) }
      : {};
    rows.push({
      workload: a.workload, driver: a.driver, unit: a.unit, before: ok(b) ? b.value : undefined, after: ok(a) ? a.value : undefined,
      change: both ? signedChange(b.value, a.value, !!a.lowerIsBetter) : NaN, noise: both && overlaps(a, b), ...ratios,
    });
  }
  for (const b of old.values()) {
    rows.push({ workload: b.workload, driver: b.driver, unit: b.unit, before: ok(b) ? b.value : undefined, change: NaN, noise: false });
  }
  return rows;
}

/** "+12.3%" / "−4.0%", or a word when there is nothing to compare. */
function changeText(r: ComparisonRow): string {
  if (Number.isFinite(r.change)) return `${r.change >= 0 ? '+' : '−'}${Math.abs(r.change * 100).toFixed(1)}%${r.noise ? ' (within spread)' : ''}`;
  if (r.before === undefined && r.after !== undefined) return 'new';
  if (r.after === undefined && r.before !== undefined) return 'gone or failed';
  return 'failed';
}

/** The comparison as aligned text lines (positive = better), headed by the two dates. */
export function comparisonText(rows: readonly ComparisonRow[], beforeLabel: string, afterLabel: string): string {
  const lines = [`Change against ${beforeLabel} (now ${afterLabel}); positive = better, lower-is-better units inverted:`];
  for (const r of rows) {
    const ratio = r.ratioBefore !== undefined || r.ratioAfter !== undefined
      ? `   ours/best peer ${fmtRatio(r.ratioBefore)} → ${fmtRatio(r.ratioAfter)}` : '';
    lines.push(`  ${r.workload.padEnd(14)} ${r.driver.padEnd(12)} ${fmt(r.before).padStart(11)} → ${fmt(r.after).padEnd(11)} ${r.unit.padEnd(9)} ${changeText(r)}${ratio}`);
  }
  return lines.join('\n');
}

/** A ratio as "1.23×", or a dash. */
function fmtRatio(r: number | undefined): string {
  return r !== undefined && Number.isFinite(r) ? `${r.toFixed(2)}×` : '–';
}
