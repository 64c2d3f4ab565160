/**
 * `tspostgres ws-proxy ...`: the WebSocket-to-TCP relay, delegated to its
 * own command line (reactor/websocket/proxy-cli.ts, also installed as
 * `tspostgres-ws-proxy`), so options, `--help` and output are the same. It
 * runs until the abort signal (SIGINT/SIGTERM), then closes the relay and
 * exits 0. A relay usage error exits 2; a failure to start exits 1 with its
 * code only, as the relay's own CLI does (a start error may name a target).
 */
import { main as relayMain } from '../reactor/websocket/proxy-cli';
import { CliUsageError, EXIT_OK, type CliIo } from './io';

/** A failure to start the relay (exit 1); the message carries only the cause's code. */
class RelayStartFailed extends Error {
  readonly code = 'ERR_CLI_RELAY_START';
}

/** Runs `ws-proxy`; resolves with the exit code once the relay is closed. */
export async function wsProxyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const relayIo = { out: (t: string) => void io.stdout.write(t), err: (t: string) => void io.stderr.write(t) };
  const proxy = await relayMain(args, relayIo, { ...io.env }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_RELAY_USAGE') throw new CliUsageError((error as Error).message);
    throw new RelayStartFailed(`ws-proxy: cannot start (${code ?? 'error'})`);
  });
  if (proxy === undefined) return EXIT_OK;
  if (!io.signal?.aborted) await new Promise<void>((resolve) => io.signal?.addEventListener('abort', () => resolve(), { once: true }));
  await proxy.close();
  return EXIT_OK;
}
