/**
 * `tspostgres query SQL [PARAM...]`: runs one statement and prints its rows:
 * an aligned table when stdout is a terminal, JSON lines when it is not,
 * CSV with `--csv`; `--json` forces JSON lines. Extra arguments are the
 * statement's `$1, $2, ...` parameters (as text). A statement without rows
 * prints its command tag (table form) or nothing (JSON, CSV).
 */
import { CONNECT_OPTIONS, parseCommand } from './args';
import { csv, jsonLines, table } from './format';
import { CliUsageError, EXIT_OK, type CliIo } from './io';
import { connectTo, resolveTarget, type Target } from './target';

/** The `--help` text of `query`. */
export const QUERY_USAGE = `Usage: tspostgres query [options] SQL [PARAM...]

Runs SQL (PARAMs are its $1, $2, ... as text) and prints the rows: an aligned
table on a terminal, JSON lines (one object per row) otherwise.

  --json        JSON lines, even on a terminal
  --csv         CSV (RFC 4180) with a header line
  --dsn DSN     connection string (default: DATABASE_URL, else PG* variables and pgpass)
  -h, --help    show this text
`;

const OPTIONS = { ...CONNECT_OPTIONS, json: { type: 'boolean' }, csv: { type: 'boolean' } } as const;

/** Output formats of `query`. */
export type QueryFormat = 'table' | 'json' | 'csv';

/** Runs `query`; resolves with the exit code. `secrets` receives the passwords to scrub from errors. */
export async function queryCommand(args: readonly string[], io: CliIo, secrets: string[] = []): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS);
  if (values.help) {
    io.stdout.write(QUERY_USAGE);
    return EXIT_OK;
  }
  if (values.json && values.csv) throw new CliUsageError('--json and --csv exclude each other');
  const [sql, ...params] = positionals;
  if (sql === undefined || sql.trim() === '') throw new CliUsageError('query: SQL is required (see --help)');
  const format: QueryFormat = values.csv ? 'csv' : values.json || !io.isTTY ? 'json' : 'table';
  const target = resolveTarget(values.dsn, io);
  secrets.push(...target.secrets);
  await runAndPrint(target, io, sql, params, format);
  return EXIT_OK;
}

async function runAndPrint(target: Target, io: CliIo, sql: string, params: string[], format: QueryFormat): Promise<void> {
  const conn = await connectTo(target, io);
  try {
    const cursor = conn.cursor();
    await cursor.execute(sql, params, { rowFactory: 'tuple', signal: io.signal });
    const columns = cursor.description;
    if (columns === null) {
      if (format === 'table') io.stdout.write(`${cursor.statusmessage ?? ''}\n`);
      return;
    }
    const names = columns.map((c) => c.name);
    const rows = cursor.fetchall<unknown[]>();
    io.stdout.write(format === 'csv' ? csv(names, rows) : format === 'json' ? jsonLines(names, rows) : table(names, rows));
  } finally {
    conn.close();
  }
}
