#!/usr/bin/env node
/**
 * `tspostgres-ws-proxy`: run the ws-to-TCP relay from the command line.
 *
 *   tspostgres-ws-proxy --allow db.internal:5432 --origin https://app.example --token-file /run/secrets/relay
 *
 * Theory of operation. The arguments are parsed by Node's `util.parseArgs`
 * (strict: unknown options and positionals are errors) into the options of
 * `startWsProxy`; {@link USAGE} lists them. Secrets never go on the command
 * line, where `ps` shows them: the token comes from `--token-file` or the
 * `TSPOSTGRES_WS_PROXY_TOKEN` environment variable. Nothing the relay prints
 * repeats a secret or the allowlist: the start line gives counts, not
 * targets; each refusal is one JSON line on stderr with its code, status
 * and client address (`relay-refusals.ts`); a usage error names the option,
 * never its value.
 */
import { readFileSync } from 'node:fs';
import { parseArgs as parseArgv } from 'node:util';
import { ReactorError } from '../errors';
import { startWsProxy, type WsProxy, type WsProxyOptions } from './proxy';
import type { RelayTarget } from './protocol';

/** The environment variable that may hold the bearer token. */
export const TOKEN_ENV = 'TSPOSTGRES_WS_PROXY_TOKEN';

/** The `--help` text. */
export const USAGE = `Usage: tspostgres-ws-proxy --allow HOST:PORT [options]

Relays WebSocket clients (tspostgres' WebSocketReactor) to allowed TCP targets.

  --allow HOST:PORT          a target clients may reach (repeatable; at least one)
  --listen HOST:PORT         where to listen (default 127.0.0.1:8080; IPv6 as [::1]:8080;
                             port 0: any free port)
  --origin ORIGIN            a browser origin allowed to connect, e.g. https://app.example
                             (repeatable; default none: browsers are refused)
  --allow-no-origin          allow clients that send no Origin (non-browser clients)
  --refuse-no-origin         refuse them (default: allowed only on a loopback --listen)
  --host-name NAME           a DNS name clients use to reach the relay (repeatable;
                             IP addresses and localhost are always accepted)
  --token-file PATH          require the bearer token in PATH (or set ${TOKEN_ENV})
  --tls-cert PATH            serve wss:// with this certificate (PEM) ...
  --tls-key PATH             ... and this private key (PEM)
  --max-connections N        most connections at once (default 1024)
  --max-connections-per-address N   most from one address or IPv6 /64 (default 64)
  --handshake-timeout MS     close connections not upgraded in time (default 10000)
  --idle-timeout MS          close sessions idle this long (default 0: never)
  --connect-timeout MS       give up connecting to a target (default 10000)
  --max-message-bytes N      largest client message (default 262144)
  --help                     show this text
`;

/** A command-line usage error. Code `ERR_RELAY_USAGE`; the message names the option, never its value. */
export class RelayUsageError extends ReactorError {
  constructor(message: string) {
    super('ERR_RELAY_USAGE', message);
  }
}

/** Parsed command line: `help`, or the relay's options. */
export type CliCommand = { help: true } | { help: false; options: WsProxyOptions };

const OPTIONS = {
  'allow': { type: 'string', multiple: true },
  'listen': { type: 'string' },
  'origin': { type: 'string', multiple: true },
  'allow-no-origin': { type: 'boolean' },
  'refuse-no-origin': { type: 'boolean' },
  'host-name': { type: 'string', multiple: true },
  'token-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'help': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgv<{ options: typeof OPTIONS }>>['values'];

/**
 * Parses `host:port` (`[v6]:port` for IPv6); port 0 only when `anyPort`
 * (listening on a free port). Throws {@link RelayUsageError} naming `option`, not the value.
 */
export function parseHostPort(value: string, option = 'value', anyPort = false): RelayTarget {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < (anyPort ? 0 : 1) || port > 65535) throw new RelayUsageError(`${option}: expected host:port`);
  return { host: match[1] ?? match[2], port };
}

/** Parses the arguments (without `node` and the script); `env` supplies the token variable. */
export function parseCliArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const values = readArgv(args);
  if (values.help) return { help: true };
  if (!values.allow?.length) throw new RelayUsageError('at least one --allow host:port is required (the relay is never open)');
  if (values['allow-no-origin'] && values['refuse-no-origin']) throw new RelayUsageError('--allow-no-origin and --refuse-no-origin exclude each other');
  const listen = parseHostPort(values.listen ?? '127.0.0.1:8080', '--listen', true);
  const options: WsProxyOptions = {
    port: listen.port,
    host: listen.host,
    allow: values.allow.map((v) => parseHostPort(v, '--allow')),
    origins: values.origin ?? [],
    hosts: values['host-name'] ?? [],
    token: readToken(values, env),
    tls: readTls(values),
    allowNoOrigin: values['allow-no-origin'] ? true : values['refuse-no-origin'] ? false : undefined,
  };
  return { help: false, options: { ...options, ...numbers(values) } };
}

/** `util.parseArgs`, with its errors restated so that none repeats an argument's value. */
function readArgv(args: readonly string[]): Values {
  try {
    return parseArgv({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^'=\s]*)/.exec((error as Error).message)?.[1] ?? 'an option';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new RelayUsageError(`unknown option ${option} (see --help)`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new RelayUsageError('unexpected argument: every argument is an --option (see --help)');
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new RelayUsageError(`${option}: missing or unexpected value (see --help)`);
    throw error;
  }
}

function readToken(values: Values, env: NodeJS.ProcessEnv): string | undefined {
  const path = values['token-file'];
  if (path !== undefined) return readFileOrFail(path, '--token-file').trim();
  const fromEnv = env[TOKEN_ENV];
  return fromEnv ? fromEnv.trim() : undefined;
}

function readTls(values: Values): WsProxyOptions['tls'] {
  const certPath = values['tls-cert'], keyPath = values['tls-key'];
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) throw new RelayUsageError('--tls-cert and --tls-key go together');
  return { cert: readFileOrFail(certPath, '--tls-cert'), key: readFileOrFail(keyPath, '--tls-key') };
}

function readFileOrFail(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RelayUsageError(`${option}: cannot read the file (${(error as { code?: string }).code ?? 'error'})`);
  }
}

function numbers(values: Values): Partial<WsProxyOptions> {
  const read = (name: keyof typeof OPTIONS): number | undefined => {
    const text = values[name];
    if (typeof text !== 'string') return undefined;
    if (!/^\d{1,15}$/.test(text)) throw new RelayUsageError(`--${name}: expected a whole number`);
    return Number(text);
  };
  const result: Partial<WsProxyOptions> = {
    maxConnections: read('max-connections'),
    maxConnectionsPerAddress: read('max-connections-per-address'),
    handshakeTimeoutMs: read('handshake-timeout'),
    idleTimeoutMs: read('idle-timeout'),
    connectTimeoutMs: read('connect-timeout'),
    maxMessageBytes: read('max-message-bytes'),
  };
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined));
}

/** Where the CLI writes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs the CLI: prints help, or starts the relay (refusals as JSON lines on `io.err`) and resolves with it. */
export async function main(args: readonly string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<WsProxy | undefined> {
  const command = parseCliArgs(args, env);
  if (command.help) {
    io.out(USAGE);
    return undefined;
  }
  const options = command.options;
  const proxy = await startWsProxy({ ...options, logger: (r) => io.err(`${JSON.stringify({ event: 'refused', ...r })}\n`) });
  io.out(`${startLine(options, proxy.port)}\n`);
  return proxy;
}

/** The start line: where it listens and how it is configured, in counts (no target, origin or token). */
function startLine(options: WsProxyOptions, port: number): string {
  const listen = options.host?.includes(':') ? `[${options.host}]:${port}` : `${options.host}:${port}`;
  const targets = Array.isArray(options.allow) ? options.allow.length : 0;
  const origins = Array.isArray(options.origins) ? options.origins.length : 0;
  return `tspostgres-ws-proxy listening on ${options.tls ? 'wss' : 'ws'}://${listen}: ${targets} allowed target(s), `
    + `${origins} allowed origin(s), token ${options.token ? 'required' : 'not required'}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((proxy) => {
    if (!proxy) return;
    const stop = (): void => void proxy.close().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
  }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    const message = code?.startsWith('ERR_RELAY_') && error instanceof Error ? error.message : `cannot start (${code ?? 'error'})`;
    process.stderr.write(`tspostgres-ws-proxy: ${message}\n`);
    process.exit(2);
  });
}
