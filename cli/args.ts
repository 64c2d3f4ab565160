/**
 * Argument parsing for every command: Node's `util.parseArgs`, strict, with
 * its errors restated as {@link CliUsageError}s that name the option but
 * never repeat an argument's value (a value might be a DSN with a password).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from './io';

/** The options every command that connects accepts. */
export const CONNECT_OPTIONS = {
  dsn: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The option table of a command. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommand} returns: the option values and the positionals. */
export type ParsedCommand<O extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>>;

/** Parses `args` with `options`; positionals allowed. Throws {@link CliUsageError}. */
export function parseCommand<O extends CommandOptions>(args: readonly string[], options: O): ParsedCommand<O> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^'=\s]*)/.exec((error as Error).message)?.[1] ?? 'an option';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliUsageError(`unknown option ${option} (see --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliUsageError(`${option}: missing or unexpected value (see --help)`);
    throw new CliUsageError('cannot parse the arguments (see --help)');
  }
}

/** Parses a whole number of milliseconds given to `option`. */
export function parseMs(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) === 0) throw new CliUsageError(`${option}: expected a positive whole number of milliseconds`);
  return Number(text);
}
