/**
 * The report: a Markdown table (printed and written into
 * docs/guide/performance.md) and the JSON record of a run.
 *
 * Theory of operation. Measurements are grouped by workload; each row shows
 * the headline number of every driver, the ratios ours/pg and
 * ours/postgres.js (above 1.0 means we are better, also for lower-is-better
 * units, where the ratio is inverted), and p50/p99 latencies where measured.
 * A median of several rounds shows its spread (min–max) beside it; a run
 * during which other processes used the CPU is marked ⚠ and explained in the
 * notes. When a floor was measured (pgbench in W1 and W14), four columns
 * are added: its number, ours/floor, its p50/p99, and our p50 over its p50
 * (the latency criterion: 1.10× means ours is 10% slower per round trip).
 * The raw Node floor (lib/raw-node.ts) gets a table of its own: for each
 * workload that has it, ours against it and it against pgbench, with p50s
 * and client CPU per operation, which shows how far a target lies beyond
 * what any Node client reaches on the machine.
 */
import type { DriverName } from './drivers';
import type { Measurement, Participant, Workload } from './result';

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

/** ours p50 / the floor's p50 (above 1.0: ours is slower), or a dash. */
function p50Ratio(ours: Measurement | undefined, floor: Measurement | undefined): string {
  if (!ours?.p50Us || !floor?.p50Us || ours.error || floor.error) return '–';
  return `${(ours.p50Us / floor.p50Us).toFixed(2)}×`;
}

/** The headline cell: 'error', the display text, or the number with its spread and a ⚠ for contention. */
export function cell(m: Measurement | undefined): string {
  if (!m) return '–';
  if (m.error) return 'error';
  const text = m.display ?? fmt(m.value);
  const spread = m.spread && m.display === undefined ? ` (${fmt(m.spread.min)}–${fmt(m.spread.max)})` : '';
  return `${text}${spread}${m.contention ? ' ⚠' : ''}`;
}

/** One table row for a workload. */
function row(w: Workload, ms: readonly Measurement[], withFloor: boolean): string {
  const by = (d: Participant): Measurement | undefined => ms.find((m) => m.workload === w.id && m.driver === d);
  const [o, p, j] = ORDER.map(by);
  const unit = (o ?? p ?? j)?.unit ?? '';
  const cells = [w.id, w.title, unit, ...ORDER.map((d) => cell(by(d))), ratio(o, p), ratio(o, j), ...ORDER.map((d) => latency(by(d)))];
  const f = by('pgbench');
  if (withFloor) cells.push(f ? cell(f) : '–', ratio(o, f), latency(f), p50Ratio(o, f));
  return `| ${cells.join(' | ')} |`;
}

/** The results table in Markdown (pgbench columns only when a floor was measured). */
export function markdownTable(workloads: readonly Workload[], ms: readonly Measurement[]): string {
  const withFloor = ms.some((m) => m.driver === 'pgbench');
  const head = '| ID | Workload | Unit | tspostgres | pg | postgres.js | ours/pg | ours/postgres.js | p50/p99 µs ours | p50/p99 µs pg | p50/p99 µs postgres.js |';
  const rule = '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|';
  return [withFloor ? `${head} pgbench | ours/pgbench | p50/p99 µs pgbench | p50 ours/pgbench |` : head, withFloor ? `${rule}--:|--:|--:|--:|` : rule, ...workloads.map((w) => row(w, ms, withFloor))].join('\n');
}

/** Notes, errors and contention warnings of the measurements, one bullet each. */
export function markdownNotes(ms: readonly Measurement[]): string {
  const lines: string[] = [];
  for (const m of ms) {
    if (m.error) lines.push(`- ${m.workload} ${m.driver}: **error** ${m.error}`);
    else if (m.note) lines.push(`- ${m.workload} ${m.driver}: ${m.note}`);
    if (m.contention) lines.push(`- ⚠ ${m.workload} ${m.driver}: ${m.contention.warning}`);
  }
  return lines.join('\n');
}

/** Client CPU µs per operation (query, transaction) of a measurement, if it has one. */
function cpuPerOp(m: Measurement | undefined): number | undefined {
  return m && !m.error ? (m.metrics?.cpuUsPerOp ?? m.metrics?.cpuUsPerTx) : undefined;
}

/** `a` over `b` as a ratio string (plain, not inverted), or a dash. */
function over(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}

/** One row of the floor table. */
function floorRow(w: Workload, ms: readonly Measurement[]): string {
  const by = (d: Participant): Measurement | undefined => ms.find((m) => m.workload === w.id && m.driver === d);
  const [o, raw, pgb] = [by('tspostgres'), by('raw-node'), by('pgbench')];
  const p50 = (m: Measurement | undefined): number | undefined => (m?.error ? undefined : m?.p50Us);
  const cells = [w.id, (o ?? raw)?.unit ?? '', cell(raw), cell(o), cell(pgb), ratio(o, raw), ratio(raw, pgb), ratio(o, pgb)];
  cells.push(...[raw, o, pgb].map((m) => fmt(p50(m))), over(p50(o), p50(raw)), over(p50(raw), p50(pgb)));
  cells.push(...[raw, o, pgb].map((m) => fmt(cpuPerOp(m))));
  return `| ${cells.join(' | ')} |`;
}

/**
 * The raw Node floor table in Markdown, or '' when no workload measured it.
 * Ratios of rates are "above 1.0 is faster" (inverted for lower-is-better
 * units); p50 ratios are plain quotients ("above 1.0 is slower"), as in the
 * main table's last column.
 */
export function markdownFloorTable(workloads: readonly Workload[], ms: readonly Measurement[]): string {
  const ws = workloads.filter((w) => ms.some((m) => m.workload === w.id && m.driver === 'raw-node'));
  if (ws.length === 0) return '';
  const head = '| ID | Unit | raw Node | tspostgres | pgbench | ours/raw Node | raw Node/pgbench | ours/pgbench | p50 µs raw Node | p50 µs ours | p50 µs pgbench | p50 ours/raw Node | p50 raw Node/pgbench | CPU µs/op raw Node | CPU µs/op ours | CPU µs/op pgbench |';
  const rule = `|${'---|'.repeat(2)}${'--:|'.repeat(14)}`;
  return [head, rule, ...ws.map((w) => floorRow(w, ms))].join('\n');
}
