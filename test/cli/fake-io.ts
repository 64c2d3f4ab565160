/**
 * An in-memory {@link CliIo} for CLI tests: stdout and stderr collected as
 * text, stdin from a string, an AbortController standing for SIGINT/SIGTERM.
 */
import type { CliIo } from '../../cli/io';

/** A {@link CliIo} whose output the test reads back. */
export interface FakeIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  readonly abort: () => void;
}

/** Makes a {@link FakeIo}; `env` defaults to empty (no DATABASE_URL, no PG* variables). */
export function fakeIo(options: { isTTY?: boolean; stdin?: string; env?: Record<string, string | undefined> } = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const stdin = (async function* (): AsyncGenerator<string> {
    if (options.stdin !== undefined) yield options.stdin;
  })();
  return {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    stdin,
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    signal: controller.signal,
    out: () => out.join(''),
    err: () => err.join(''),
    abort: () => controller.abort(),
  };
}
