/**
 * The command line of `npm run bench`: `-- --compare FILE` (compare this
 * run's results with an earlier file afterwards) and `--against FILE` (with
 * --compare: compare two files and run nothing). `--flag=value` works too.
 */
import * as path from 'node:path';

/** What the command line asked for; paths resolved against `cwd`. */
export interface BenchArgs {
  readonly compare?: string;
  readonly against?: string;
}

/** Parses `argv` (without node and the script); throws on anything else, or on --against without --compare. */
export function parseBenchArgs(argv: readonly string[], cwd = process.cwd()): BenchArgs {
  const out: { compare?: string; against?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf('=');
    const flag = eq < 0 ? argv[i] : argv[i].slice(0, eq);
    if (flag !== '--compare' && flag !== '--against') throw new Error(`unknown argument ${argv[i]} (expected --compare FILE [--against FILE])`);
    const value = eq < 0 ? argv[++i] : argv[i].slice(eq + 1);
    if (!value || value.startsWith('--')) throw new Error(`${flag} needs a file`);
    out[flag === '--compare' ? 'compare' : 'against'] = path.resolve(cwd, value);
  }
  if (out.against && !out.compare) throw new Error('--against needs --compare');
  return out;
}
