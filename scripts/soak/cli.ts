/**
 * `npm run soak`: the fault matrix as a command.
 *
 *   npm run soak -- [--cycles N] [--only <fault>:<role>]... [--json FILE] [--markdown FILE] [--list]
 *
 * Prints progress on stderr and the table on stdout; exits 1 when any
 * combination failed. Run it under `nohup` for the full matrix (it takes a
 * while): `nohup npm run soak -- --json soak.json > soak.log 2>&1 &`.
 */
import { parseArgs } from 'node:util';
import { failures, runSoak } from './matrix';
import { markdownTable, summaryLine, violationList, writeJson, type SoakReport } from './report';
import { selectCombinations } from './selection';
import * as fs from 'node:fs';

const USAGE = `usage: npm run soak -- [--cycles N] [--only <fault>:<role>]... [--json FILE] [--markdown FILE] [--list]
  --cycles N        cycles per combination (default 20)
  --only F:R        only these combinations (repeatable; '*' or nothing on either side means all)
  --json FILE       write the report as JSON (rewritten after every combination)
  --markdown FILE   write the table as markdown at the end
  --list            print the selected combinations and exit`;

/** Parses the command line; exits with the usage on a mistake. */
function options(argv: string[]): { cycles: number; only: string[]; json?: string; markdown?: string; list: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string', default: '20' },
      only: { type: 'string', multiple: true, default: [] },
      json: { type: 'string' },
      markdown: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const cycles = Number(values.cycles);
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`--cycles ${values.cycles}: expected a positive integer`);
  return { cycles, only: values.only ?? [], json: values.json, markdown: values.markdown, list: values.list ?? false };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const combos = selectCombinations(o.only);
  if (o.list) {
    for (const c of combos) console.log(`${c.fault}:${c.role}`);
    return;
  }
  const log = (line: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const save = (r: SoakReport): void => {
    if (o.json) writeJson(o.json, r);
  };
  const report = await runSoak({ cycles: o.cycles, only: o.only, log, onRow: save });
  save(report);
  const table = markdownTable(report.rows);
  if (o.markdown) fs.writeFileSync(o.markdown, `${table}\n`);
  console.log(`${table}\n\n${summaryLine(report)}`);
  const failed = failures(report);
  if (failed.length > 0) console.log(`\n${violationList(failed)}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 2;
});
