/**
 * `tspostgres notify CHANNEL [PAYLOAD]`: sends one notification
 * (`pg_notify`); without PAYLOAD the payload is standard input, less one
 * trailing newline (so `echo hi | tspostgres notify jobs` sends `hi`).
 */
import { CONNECT_OPTIONS, parseCommand } from './args';
import { CliUsageError, EXIT_OK, readAll, type CliIo } from './io';
import { connectTo, resolveTarget } from './target';

/** The `--help` text of `notify`. */
export const NOTIFY_USAGE = `Usage: tspostgres notify [options] CHANNEL [PAYLOAD]

Sends a notification on CHANNEL. Without PAYLOAD, the payload is read from
standard input (one trailing newline removed).

  --dsn DSN     connection string (default: DATABASE_URL, else PG* variables and pgpass)
  -h, --help    show this text
`;

/** Runs `notify`; resolves with the exit code. */
export async function notifyCommand(args: readonly string[], io: CliIo, secrets: string[] = []): Promise<number> {
  const { values, positionals } = parseCommand(args, CONNECT_OPTIONS);
  if (values.help) {
    io.stdout.write(NOTIFY_USAGE);
    return EXIT_OK;
  }
  const [channel, given, ...extra] = positionals;
  if (channel === undefined || channel === '') throw new CliUsageError('notify: CHANNEL is required (see --help)');
  if (extra.length > 0) throw new CliUsageError('notify: too many arguments (quote the payload; see --help)');
  const target = resolveTarget(values.dsn, io);
  secrets.push(...target.secrets);
  const payload = given ?? (await readAll(io.stdin)).replace(/\r?\n$/, '');
  const conn = await connectTo(target, io);
  try {
    await conn.runOperation('SELECT pg_notify($1, $2)', [channel, payload]);
  } finally {
    conn.close();
  }
  return EXIT_OK;
}
