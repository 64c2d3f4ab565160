/**
 * Running a fuzz target over a range of inputs of one seed.
 *
 * Theory of operation. Input `i` of seed `s` is made from its own PRNG
 * (`inputRng(s, i)` in test/support/fuzz.ts), so a run is deterministic per
 * seed and any input replays alone: `--seed s --from i --count 1`.
 * {@link runTarget} tallies the outcome labels the target returns and
 * records each broken rule as a {@link FuzzFailure} with its seed, index and
 * replay command, stopping after `maxFailures` of them. The command line
 * (`scripts/fuzz.ts`) and the fuzz tests run targets through here, the
 * tests with a small count.
 */
import { inputRng } from '../test/support/fuzz';
import { describe, type FuzzTarget } from './target';

/** Options of {@link runTarget}. */
export interface RunOptions {
  seed: number;
  /** How many inputs to run. */
  count: number;
  /** The index of the first input (default 0). */
  from?: number;
  /** Stop after this many failures (default 1). */
  maxFailures?: number;
  /** Called every `progressEvery` inputs with the number run so far. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

/** One broken rule: where it happened and how to replay it. */
export interface FuzzFailure {
  target: string;
  seed: number;
  index: number;
  message: string;
  /** The error thrown (a FuzzBreach, or a foreign exception that escaped the target). */
  error: unknown;
  /** The command that replays this one input. */
  replay: string;
}

/** What a run did. */
export interface FuzzReport {
  target: string;
  seed: number;
  from: number;
  /** Inputs run (fewer than asked when it stopped at `maxFailures`). */
  inputs: number;
  /** Outcome label to the number of inputs that ended so. */
  outcomes: Record<string, number>;
  failures: FuzzFailure[];
}

/** The command that replays input `index` of `seed` on `target`. */
export function replayCommand(target: string, seed: number, index: number): string {
  return `npm run fuzz -- --only ${target} --seed ${seed} --from ${index} --count 1`;
}

/** Runs `o.count` inputs of `target`; see the file comment. */
export function runTarget(target: FuzzTarget, o: RunOptions): FuzzReport {
  const from = o.from ?? 0;
  const report: FuzzReport = { target: target.name, seed: o.seed, from, inputs: 0, outcomes: {}, failures: [] };
  const every = o.progressEvery ?? 10_000;
  for (let index = from; index < from + o.count; index++) {
    runOne(target, o.seed, index, report);
    report.inputs++;
    if (report.failures.length >= (o.maxFailures ?? 1)) break;
    if (o.onProgress !== undefined && report.inputs % every === 0) o.onProgress(report.inputs);
  }
  return report;
}

function runOne(target: FuzzTarget, seed: number, index: number, report: FuzzReport): void {
  try {
    const label = target.run(inputRng(seed, index));
    report.outcomes[label] = (report.outcomes[label] ?? 0) + 1;
  } catch (error) {
    const message = `${target.name}: input ${index} of seed ${seed}: ${describe(error)}`;
    report.failures.push({ target: target.name, seed, index, message, error, replay: replayCommand(target.name, seed, index) });
  }
}

/** The sum of the outcomes whose label passes `which` (all by default). */
export function countOutcomes(report: FuzzReport, which: (label: string) => boolean = () => true): number {
  return Object.entries(report.outcomes).reduce((n, [label, count]) => (which(label) ? n + count : n), 0);
}
