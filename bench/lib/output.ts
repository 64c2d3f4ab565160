/**
 * Where a run's results go: bench/results/latest.json, for a full run (no
 * BENCH_ONLY / BENCH_DRIVERS) also a dated copy
 * bench/results/<YYYY-MM-DD>.json (so a partial run never overwrites the
 * day's full record), and the generated section of
 * docs/guide/performance.md (between the `bench:start` / `bench:end`
 * markers; the prose around it is left alone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchEnvironment } from './env';
import type { MicroResult } from './micro';
import type { Measurement } from './result';

/** Everything a run produced. */
export interface RunRecord {
  readonly environment: BenchEnvironment;
  readonly measurements: readonly Measurement[];
  readonly skipped: readonly string[];
  readonly micro: readonly MicroResult[];
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Writes latest.json and, when `dated`, the dated JSON; returns the path of the last file written. */
export function writeJson(root: string, record: RunRecord, dated = true): string {
  const dir = path.join(root, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  const latest = path.join(dir, 'latest.json');
  fs.writeFileSync(latest, text);
  if (!dated) return latest;
  const file = path.join(dir, `${record.environment.date.slice(0, 10)}.json`);
  fs.writeFileSync(file, text);
  return file;
}

/** Replaces the generated section of the performance guide; false when the markers are missing. */
export function writeGuideSection(root: string, markdown: string): boolean {
  const file = path.join(root, 'docs', 'guide', 'performance.md');
  if (!fs.existsSync(file)) return false;
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  fs.writeFileSync(file, `${text.slice(0, a + START.length)}\n${markdown.trim()}\n${text.slice(b)}`);
  return true;
}
