/**
 * The CLI's world: where a command reads and writes, and how it ends.
 *
 * Theory of operation. Every command is a function of its arguments and a
 * {@link CliIo} (streams, whether stdout is a terminal, the environment, an
 * abort signal standing for SIGINT/SIGTERM) that resolves with an exit code,
 * so tests run commands in-process; only `bin.ts` touches `process`. Exit
 * codes: {@link EXIT_OK} (0), {@link EXIT_FAILURE} (1: a runtime or database
 * error), {@link EXIT_USAGE} (2: a usage error). Messages never repeat a
 * secret: errors are the driver's messages, scrubbed of the DSN's password
 * anyway ({@link scrub}), and the DSN itself is never echoed.
 */
import { PgError } from '../src/index';

/** Something a command writes text to (a process stream or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** What a command reads, writes and listens to; see the file comment. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Standard input, read only by commands that need it (`notify` without a payload). */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Whether stdout is a terminal (`query` then prints an aligned table). */
  readonly isTTY: boolean;
  /** The environment: DATABASE_URL, the PG* variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (`listen`, `ws-proxy`) end cleanly. */
  readonly signal?: AbortSignal;
}

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a runtime or database error. */
export const EXIT_FAILURE = 1;
/** Exit code: a usage error (bad option, missing argument, unknown command). */
export const EXIT_USAGE = 2;

/** A command-line usage error (exit 2). Code `ERR_CLI_USAGE`; the message names the option, never its value. */
export class CliUsageError extends PgError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

/** Replaces every occurrence of the secrets in `text` (passwords; empty ones are ignored). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/** Reads all of `stdin` as UTF-8 text. */
export async function readAll(stdin: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
