/**
 * `npm run fuzz`: runs the fuzz targets of fuzz/targets over many inputs.
 *
 *   npm run fuzz -- [--count N] [--seed S] [--only a,b] [--from I] [--max-failures K] [--list]
 *
 * Each target gets `--count` inputs (default 100,000) of one seed (default:
 * a random one, printed first), starting at input `--from`. Per target it
 * prints the inputs run, the time taken, the outcome tally, the heap before
 * and after (after a forced collection) and the highest heap seen, and each
 * broken rule with the seed, the input index and the command replaying that
 * one input. Exits 1 when a rule broke. Timing is reported here only; no
 * oracle reads a clock.
 */
import { randomInt } from 'node:crypto';
import { countOutcomes, runTarget, type FuzzReport } from '../fuzz/runner';
import { PENDING_TARGETS, TARGETS } from '../fuzz/targets';
import type { FuzzTarget } from '../fuzz/target';

interface Args {
  count: number;
  seed: number;
  from: number;
  maxFailures: number;
  only: string[] | null;
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { count: 100_000, seed: randomInt(2 ** 31), from: 0, maxFailures: 5, only: null, list: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--count') args.count = integer(flag, value());
    else if (flag === '--seed') args.seed = integer(flag, value());
    else if (flag === '--from') args.from = integer(flag, value());
    else if (flag === '--max-failures') args.maxFailures = integer(flag, value());
    else if (flag === '--only') args.only = value().split(',');
    else if (flag === '--list') args.list = true;
    else usage(`unknown option ${flag}`);
  }
  return args;
}

function integer(flag: string, text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) usage(`${flag} takes a non-negative integer, not ${text}`);
  return n;
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run fuzz -- [--count N] [--seed S] [--only a,b] [--from I] [--max-failures K] [--list]`);
  process.exit(2);
}

function selected(only: string[] | null): FuzzTarget[] {
  if (only === null) return [...TARGETS];
  return only.map((name) => {
    const target = TARGETS.find((t) => t.name === name);
    if (target !== undefined) return target;
    usage(name in PENDING_TARGETS ? `${name}: ${PENDING_TARGETS[name]}` : `no fuzz target ${name} (try --list)`);
  });
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

function heapAfterCollection(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

function printReport(report: FuzzReport, seconds: number, heap: { before: number; after: number; peak: number }): void {
  const outcomes = Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]);
  console.log(`${report.target}: ${report.inputs.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s ` +
    `(${Math.round(report.inputs / seconds).toLocaleString('en')}/s), ${report.failures.length} failures`);
  console.log(`  heap ${mib(heap.before)} -> ${mib(heap.after)} (peak ${mib(heap.peak)})${gc === undefined ? ' [run with --expose-gc for exact figures]' : ''}`);
  console.log(`  outcomes (${outcomes.length}): ${outcomes.slice(0, 12).map(([label, n]) => `${label} ${n}`).join(', ')}${outcomes.length > 12 ? ', ...' : ''}`);
  for (const f of report.failures) console.log(`  FAILED ${f.message}\n    replay: ${f.replay}`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of TARGETS) console.log(`${t.name}: ${t.about}`);
    for (const [name, why] of Object.entries(PENDING_TARGETS)) console.log(`${name}: (pending) ${why}`);
    return;
  }
  console.log(`fuzz: seed ${args.seed}, ${args.count.toLocaleString('en')} inputs per target from input ${args.from}`);
  let failed = false;
  for (const target of selected(args.only)) {
    const before = heapAfterCollection();
    let peak = before;
    const started = performance.now();
    const report = runTarget(target, {
      seed: args.seed, count: args.count, from: args.from, maxFailures: args.maxFailures,
      progressEvery: 10_000, onProgress: () => { peak = Math.max(peak, process.memoryUsage().heapUsed); },
    });
    const seconds = (performance.now() - started) / 1000;
    printReport(report, seconds, { before, after: heapAfterCollection(), peak });
    failed ||= report.failures.length > 0 || countOutcomes(report) !== report.inputs - report.failures.length;
  }
  process.exitCode = failed ? 1 : 0;
}

main();
