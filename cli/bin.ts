#!/usr/bin/env node
/**
 * The `tspostgres` executable: wires the process (argv, streams, TTY,
 * environment, SIGINT/SIGTERM as an abort signal) to {@link main} and exits
 * with its code. Everything else lives in the command modules.
 */
import { main } from './main';
import type { CliIo } from './io';

/**
 * The {@link CliIo} of this process; `signal` aborts on the first SIGINT or
 * SIGTERM (`listen` and `ws-proxy` then exit 0, a running query is
 * cancelled); a second one exits at once with 130.
 */
export function processIo(): CliIo {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop).on('SIGTERM', stop);
  return {
    stdout: process.stdout, stderr: process.stderr, stdin: process.stdin,
    isTTY: process.stdout.isTTY === true, env: process.env, signal: controller.signal,
  };
}

if (require.main === module) {
  void main(process.argv.slice(2), processIo()).then((code) => process.exit(code));
}
