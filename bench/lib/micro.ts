/**
 * The micro-benchmarks (bench/callsoon.ts, bench/decode.ts,
 * bench/decode-types.ts), each run in its own child process so its heap and
 * JIT state do not touch the driver workloads. Output is captured verbatim.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The micro-benchmark files, relative to the repository root. */
export const MICRO_BENCHES: readonly string[] = ['bench/callsoon.ts', 'bench/decode.ts', 'bench/decode-types.ts'];

/** What one micro-benchmark printed, or why it did not run. */
export interface MicroResult {
  readonly file: string;
  readonly ok: boolean;
  readonly output: string;
  readonly seconds: number;
}

/** Runs `file` with the TypeScript hook under `root`; never throws. */
export function runMicro(root: string, file: string, timeoutMs = 120_000): MicroResult {
  if (!fs.existsSync(path.join(root, file))) return { file, ok: false, output: 'not available (file does not exist)', seconds: 0 };
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-r', './scripts/register-ts.js', file], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  const seconds = (Date.now() - t0) / 1000;
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const ok = r.status === 0;
  return { file, ok, seconds, output: ok ? output : `failed (status ${r.status}, signal ${r.signal}): ${r.error?.message ?? ''}\n${output}` };
}
