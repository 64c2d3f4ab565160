/**
 * The ws relay's options, their defaults, and their checks.
 *
 * Theory of operation. {@link resolveRelayConfig} turns the options of
 * `startWsProxy` into a {@link RelayConfig}: every default filled in, every
 * value checked (a bad one is a {@link RelayConfigError}, whose message
 * names the option but never repeats a value), origins normalised, and the
 * token replaced by its SHA-256 digest, so the running relay holds nothing
 * that prints the token. The defaults are the safe ones: no browser origin
 * is allowed until listed; requests without an Origin (non-browser clients)
 * are allowed only on a loopback listener; a Host header must be an IP
 * address, `localhost`, or a listed name; connections are limited in total
 * and per address; handshakes must finish within 10 s; messages are at most
 * 256 KiB.
 */
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { ReactorError } from '../errors';
import type { RelayTarget } from './protocol';
import type { RelayLogger } from './relay-refusals';
import { tokenDigest } from './relay-token';

/** Which targets the relay may connect to: exact pairs, or a predicate. */
export type RelayAllow = ReadonlyArray<RelayTarget> | ((host: string, port: number) => boolean);

/** Which browser origins may open sessions: exact origins (`https://app.example`), or a predicate of the Origin header. */
export type RelayOrigins = ReadonlyArray<string> | ((origin: string) => boolean);

/** Options for `startWsProxy`. */
export interface WsProxyOptions {
  /** Port to listen on (0 picks a free port). */
  port: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** The target allowlist; required, and nothing else is ever relayed. */
  allow: RelayAllow;
  /** Browser origins allowed (default none: every request with an Origin header is refused). */
  origins?: RelayOrigins;
  /** Whether requests without an Origin header (non-browser clients) are allowed; default: only when `host` is a loopback address. */
  allowNoOrigin?: boolean;
  /** DNS names clients reach the relay by (the Host header); IP addresses and `localhost` are always accepted. */
  hosts?: ReadonlyArray<string>;
  /** A bearer token every client must present (Authorization header or `relayProtocols(token)`); at least 16 characters. */
  token?: string;
  /** A last check of each handshake request; a false answer (or a throw) refuses it with 403. */
  verify?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /** Terminate TLS (`wss://`) with this key and certificate (any `tls.createSecureContext` options). */
  tls?: SecureContextOptions;
  /** Most connections open at once (default 1024). */
  maxConnections?: number;
  /** Most connections open at once from one address (IPv6: one /64) (default 64). */
  maxConnectionsPerAddress?: number;
  /** Close a connection that has not completed its WebSocket handshake after this many ms (default 10,000). */
  handshakeTimeoutMs?: number;
  /** Close a session when no byte has moved either way for this many ms (default 0: never). */
  idleTimeoutMs?: number;
  /** Give up connecting to a target after this many ms (default 10,000; close code 4004). */
  connectTimeoutMs?: number;
  /** Largest message accepted from a client, in bytes (default 256 KiB; larger: close code 1009). */
  maxMessageBytes?: number;
  /** Receives every refusal (no secrets in it); default: none. A throw from it is ignored. */
  logger?: RelayLogger;
}

/** The relay's checked configuration, defaults filled in. */
export interface RelayConfig {
  readonly port: number;
  readonly host: string;
  readonly allow: RelayAllow;
  /** Normalised allowed origins, or the predicate. */
  readonly origins: ReadonlySet<string> | ((origin: string) => boolean);
  readonly allowNoOrigin: boolean;
  /** Lower-cased extra Host names. */
  readonly hosts: ReadonlySet<string>;
  /** SHA-256 of the token, when one is required. */
  readonly tokenDigest: Buffer | undefined;
  readonly verify: ((request: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  readonly tls: SecureContextOptions | undefined;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly logger: RelayLogger;
}

/** Default of `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default of `maxConnectionsPerAddress`. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;
/** Default of `handshakeTimeoutMs`. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default of `connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default of `maxMessageBytes`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;
/** The shortest token accepted. */
export const MIN_TOKEN_LENGTH = 16;

/** A relay option is invalid. Code `ERR_RELAY_CONFIG`; the message names the option, never its value. */
export class RelayConfigError extends ReactorError {
  constructor(message: string) {
    super('ERR_RELAY_CONFIG', message);
  }
}

/** Checks `options` and fills in the defaults; throws {@link RelayConfigError}. */
export function resolveRelayConfig(options: WsProxyOptions): RelayConfig {
  const host = options.host ?? '127.0.0.1';
  if (!options.allow) throw new RelayConfigError('allow is required: the relay is never an open relay');
  if (options.token !== undefined && options.token.length < MIN_TOKEN_LENGTH) {
    throw new RelayConfigError(`token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  if (options.tls && !options.tls.pfx && (!options.tls.key || !options.tls.cert)) {
    throw new RelayConfigError('tls needs both key and cert');
  }
  return {
    port: options.port,
    host,
    allow: options.allow,
    origins: typeof options.origins === 'function' ? options.origins : new Set((options.origins ?? []).map(configuredOrigin)),
    allowNoOrigin: options.allowNoOrigin ?? isLoopback(host),
    hosts: new Set((options.hosts ?? []).map(configuredHostName)),
    tokenDigest: options.token === undefined ? undefined : tokenDigest(options.token),
    verify: options.verify,
    tls: options.tls,
    maxConnections: positive('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerAddress: positive('maxConnectionsPerAddress', options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS),
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? 0, true),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    logger: quiet(options.logger),
  };
}

/** Whether `host` (a listen address) is a loopback address or `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/** The serialised origin of a configured entry (`https://App.example/` -> `https://app.example`). */
export function configuredOrigin(entry: string): string {
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    url = undefined;
  }
  if (!url || url.origin === 'null' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new RelayConfigError('origins: each entry must be an origin: scheme, host and optional port (e.g. https://app.example)');
  }
  return url.origin;
}

/** The logger, made unable to break the relay: a throw from it is swallowed. */
function quiet(logger: RelayLogger | undefined): RelayLogger {
  return (refusal) => {
    try {
      logger?.(refusal);
    } catch {
      // A logger that fails loses its line; the relay goes on refusing.
    }
  };
}

function configuredHostName(entry: string): string {
  if (!/^[a-z0-9.-]+$/i.test(entry)) throw new RelayConfigError('hosts: each entry must be a DNS name, without port');
  return entry.toLowerCase();
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RelayConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}
