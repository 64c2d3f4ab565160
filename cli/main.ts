/**
 * `tspostgres COMMAND ...`: the dispatcher. It picks the command, runs it
 * and turns whatever it throws into an exit code and one line on stderr:
 * a {@link CliUsageError} is 2, anything else 1 (the message is the
 * driver's, scrubbed of the connection's passwords; `code` first).
 */
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, scrub, type CliIo } from './io';
import { listenCommand } from './listen';
import { notifyCommand } from './notify';
import { queryCommand } from './query';
import { replicateCommand } from './replicate';
import { wsProxyCommand } from './ws-proxy';

/** The top-level `--help` text. */
export const USAGE = `Usage: tspostgres COMMAND [options] [arguments]

Commands:
  query SQL [PARAM...]       run a statement and print its rows (table, JSON lines or CSV)
  notify CHANNEL [PAYLOAD]   send a notification (payload from stdin when absent)
  listen CHANNEL...          print notifications as JSON lines; reconnects by itself
  ws-proxy --allow HOST:PORT the WebSocket-to-TCP relay (same as tspostgres-ws-proxy)
  replicate --slot S --publication P
                             print a publication's changes as JSON lines (logical replication)
  help                       show this text

Every command takes --help. The connection comes from --dsn, else DATABASE_URL,
else the PG* variables and the pgpass file.

Exit codes: 0 success, 1 runtime or database error, 2 usage error.
`;

/** A command: parses its own arguments; pushes the passwords it learns into `secrets`. */
export type Command = (args: readonly string[], io: CliIo, secrets: string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  query: queryCommand,
  notify: notifyCommand,
  listen: listenCommand,
  'ws-proxy': wsProxyCommand,
  replicate: replicateCommand,
};

/** Runs the CLI with `args` (without `node` and the script); resolves with the exit code, never rejects. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const secrets: string[] = [];
  try {
    return await dispatch(args, io, secrets);
  } catch (error) {
    return report(error, io, secrets);
  }
}

async function dispatch(args: readonly string[], io: CliIo, secrets: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) throw new CliUsageError(name.startsWith('-') ? 'a command comes first (see --help)' : 'unknown command (see --help)');
  return command(rest, io, secrets);
}

function report(error: unknown, io: CliIo, secrets: readonly string[]): number {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const prefix = typeof code === 'string' ? `${code}: ` : '';
  io.stderr.write(`tspostgres: ${scrub(prefix + message, secrets)}\n`);
  return error instanceof CliUsageError ? EXIT_USAGE : EXIT_FAILURE;
}
