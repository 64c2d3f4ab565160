/**
 * The report: a Markdown table (printed and written into
 * docs/guide/performance.md) and the JSON record of a run.
 *
 * Theory of operation. Measurements are grouped by workload; each row shows
 * the headline number of every driver, the ratios ours/pg and
 * ours/postgres.js (above 1.0 means we are better, also for lower-is-better
 * units, where the ratio is inverted), and p50/p99 latencies where measured.
 */
import type { DriverName } from './drivers';
import type { Measurement, Workload } from './result';

const ORDER: readonly DriverName[] = ['tspostgres', 'pg', 'postgres.js'];

/** A number with thousands separators, or a dash. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2);
}

/** ours/other, inverted for lower-is-better units; a dash when unknown. */
export function ratio(ours: Measurement | undefined, other: Measurement | undefined): string {
  if (!ours || !other || !(ours.value > 0) || !(other.value > 0)) return '–';
  const r = ours.lowerIsBetter ? other.value / ours.value : ours.value / other.value;
  return `${r.toFixed(2)}×`;
}

/** "p50 / p99" in µs, or a dash. */
function latency(m: Measurement | undefined): string {
  return m?.p50Us !== undefined ? `${fmt(m.p50Us)} / ${fmt(m.p99Us)}` : '–';
}

/** One table row for a workload. */
function row(w: Workload, ms: readonly Measurement[]): string {
  const by = (d: DriverName): Measurement | undefined => ms.find((m) => m.workload === w.id && m.driver === d);
  const [o, p, j] = ORDER.map(by);
  const unit = (o ?? p ?? j)?.unit ?? '';
  const cells = [w.id, w.title, unit, ...ORDER.map((d) => (by(d)?.error ? 'error' : by(d)?.display ?? fmt(by(d)?.value))),
    ratio(o, p), ratio(o, j), ...ORDER.map((d) => latency(by(d)))];
  return `| ${cells.join(' | ')} |`;
}

/** The results table in Markdown. */
export function markdownTable(workloads: readonly Workload[], ms: readonly Measurement[]): string {
  const head = '| ID | Workload | Unit | tspostgres | pg | postgres.js | ours/pg | ours/postgres.js | p50/p99 µs ours | p50/p99 µs pg | p50/p99 µs postgres.js |';
  const rule = '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|';
  return [head, rule, ...workloads.map((w) => row(w, ms))].join('\n');
}

/** Notes and errors of the measurements, one bullet each. */
export function markdownNotes(ms: readonly Measurement[]): string {
  const lines = ms.filter((m) => m.note || m.error).map((m) => `- ${m.workload} ${m.driver}: ${m.error ? `**error** ${m.error}` : m.note}`);
  return lines.join('\n');
}
