#!/usr/bin/env node
/**
 * The `tspostgres` executable: wires the process (argv, streams, TTY,
 * environment, SIGINT/SIGTERM as an abort signal) to {@link main} and exits
 * with its code. Everything else lives in the command modules.
 */
import { main } from './main';
import type { CliIo } from './io';

/** The {@link CliIo} of this process; `signal` aborts on SIGINT or SIGTERM. */
export function processIo(): CliIo {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  return {
    stdout: process.stdout, stderr: process.stderr, stdin: process.stdin,
    isTTY: process.stdout.isTTY === true, env: process.env, signal: controller.signal,
  };
}

if (require.main === module) {
  void main(process.argv.slice(2), processIo()).then((code) => process.exit(code));
}
