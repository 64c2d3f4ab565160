#!/usr/bin/env node
/**
 * `tspostgres-ws-proxy`: run the ws-to-TCP relay from the command line.
 *
 *   tspostgres-ws-proxy --listen 0.0.0.0:8080 --allow db.internal:5432 [--allow replica:5432]
 *
 * `--listen host:port` (default 127.0.0.1:8080) is where WebSocket clients
 * connect; each `--allow host:port` adds one permitted target (at least one
 * is required: the relay is never open). IPv6 hosts go in brackets.
 */
import { startWsProxy } from './proxy';
import type { RelayTarget } from './protocol';

/** Parsed command line. */
export interface CliOptions {
  listen: RelayTarget;
  allow: RelayTarget[];
}

/** Parses `host:port` (`[v6]:port` for IPv6); throws on a malformed value. */
export function parseHostPort(value: string): RelayTarget {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new Error(`expected host:port, got '${value}'`);
  return { host: match[1] ?? match[2], port };
}

/** Parses the arguments (without `node` and the script). */
export function parseArgs(args: readonly string[]): CliOptions {
  const options: CliOptions = { listen: { host: '127.0.0.1', port: 8080 }, allow: [] };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--listen') options.listen = parseHostPort(value);
    else if (flag === '--allow') options.allow.push(parseHostPort(value));
    else throw new Error(`unknown option ${flag}`);
  }
  if (options.allow.length === 0) throw new Error('at least one --allow host:port is required (the relay is never open)');
  return options;
}

/** Runs the CLI: starts the relay and logs where it listens. */
export async function main(args: readonly string[]): Promise<void> {
  const options = parseArgs(args);
  const proxy = await startWsProxy({ port: options.listen.port, host: options.listen.host, allow: options.allow });
  const targets = options.allow.map((t) => `${t.host}:${t.port}`).join(', ');
  process.stdout.write(`tspostgres-ws-proxy listening on ${options.listen.host}:${proxy.port}, relaying to ${targets}\n`);
  const stop = (): void => void proxy.close().then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`tspostgres-ws-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
