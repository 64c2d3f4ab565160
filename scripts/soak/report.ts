/**
 * The soak report: the table (markdown, for the terminal and the docs) and
 * the JSON file. Durations are reported, never asserted.
 */
import * as fs from 'node:fs';
import type { ComboResult } from './combination';
import type { SoakSettings } from './settings';
import { formatSpread } from './stats';

/** A whole run. */
export interface SoakReport {
  readonly startedAt: string;
  finishedAt: string | null;
  readonly cycles: number;
  readonly settings: SoakSettings;
  readonly environment: Record<string, string | number>;
  readonly rows: ComboResult[];
}

const HEADER = ['fault', 'role', 'cycles', 'outages (unplanned)', 'detect ms med/max', 'recover ms med/max', 'exactly once', 'fds before/after', 'RSS MiB first/last/max', 'verdict'];

/** One table row. */
function cells(r: ComboResult): string[] {
  if (r.status === 'not built') return [r.fault, r.role, '-', '-', '-', '-', 'not built', '-', '-', 'not built'];
  const rss = r.rssMiB === null ? '-' : `${Math.round(r.rssMiB.first)}/${Math.round(r.rssMiB.last)}/${Math.round(r.rssMiB.max)}`;
  const verdict = r.status === 'pass' ? 'pass' : `FAIL (${r.violations.length})`;
  return [r.fault, r.role, `${r.cyclesDone}/${r.cycles}`, `${r.outages} (${r.unplannedOutages})`, formatSpread(r.detectMs), formatSpread(r.recoverMs), r.exactlyOnce, `${r.fds.before}/${r.fds.after}`, rss, verdict];
}

/** The table in markdown. */
export function markdownTable(rows: readonly ComboResult[]): string {
  const line = (xs: string[]): string => `| ${xs.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n');
}

/** The violations of the failed rows, a few per row. */
export function violationList(rows: readonly ComboResult[], perRow = 5): string {
  const failed = rows.filter((r) => r.status === 'fail');
  return failed
    .map((r) => [`${r.fault} x ${r.role}:`, ...r.violations.slice(0, perRow).map((v) => `  - ${v}`), ...(r.violations.length > perRow ? [`  - ... ${r.violations.length - perRow} more`] : [])].join('\n'))
    .join('\n');
}

/** One line: how many passed, failed, not built. */
export function summaryLine(report: SoakReport): string {
  const n = (s: ComboResult['status']): number => report.rows.filter((r) => r.status === s).length;
  return `${report.rows.length} combinations, ${report.cycles} cycles each: ${n('pass')} pass, ${n('fail')} fail, ${n('not built')} not built`;
}

/** Writes the report as JSON (rewritten after every combination, so a run cut short leaves what it did). */
export function writeJson(file: string, report: SoakReport): void {
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
