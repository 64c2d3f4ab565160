/**
 * `resolveConfig`: from a connection string and/or explicit parameters, the
 * PG* environment and libpq's defaults to validated {@link ConnectParams}.
 *
 * Theory of operation: precedence is per keyword, as in libpq: an explicit
 * field beats the connection string, which beats its environment variable,
 * which beats the default. The string and environment layers are merged as
 * raw keyword values, turned into typed values once, then explicit typed
 * fields are laid on top and the result validated. Pure: the environment
 * and the OS user name come in as arguments.
 *
 * Defaults: host = `options.defaultHost` (default {@link DEFAULT_SOCKET_DIR},
 * the unix-socket directory of Debian's libpq), port 5432, user =
 * `options.osUser`, database = user, sslmode 'prefer' ('verify-full' when
 * sslrootcert=system), target_session_attrs 'any', channel_binding 'prefer',
 * min_protocol_version '3.0', max_protocol_version '3.2' (libpq 18: '3.0').
 */

import { configError } from './errors';
import { buildHosts, DEFAULT_SOCKET_DIR, hostSpec } from './hosts';
import { type ExplicitHost, type ExplicitInput, readConnectInput } from './input';

export { DEFAULT_SOCKET_DIR };
import { ENV_VARS, type Keyword } from './keywords';
import type { ChannelBinding, ConnectInput, ConnectParams, DsnParams, SslMode, TargetSessionAttrs } from './params';
import { parseDsn } from './parse';
import { parseReplication } from './replication';
import { checkSecurity } from './security';
import { LATEST_PROTOCOL_VERSION, olderThan } from '../protocol/versions';
import {
  parseConnectTimeout, parseEnum, parseInteger, parseNonNegative, parsePort, parseProtocolVersion, parseSeconds, parseSwitch,
} from './values';

/** The environment: variable name to value (in Node, the process environment). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link resolveConfig}. */
export interface ResolveOptions {
  /**
   * The operating-system user name: the default user (libpq uses the OS
   * user). A function is called only when no user was given otherwise (the
   * lookup reads the user database: /etc/passwd or NSS).
   */
  osUser?: string | (() => string | undefined);
  /** The host used when none is given; default `DEFAULT_SOCKET_DIR`. */
  defaultHost?: string;
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SESSION_ATTRS: readonly TargetSessionAttrs[] = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'];
const CHANNEL_BINDINGS: readonly ChannelBinding[] = ['disable', 'prefer', 'require'];
const SSL_NEGOTIATIONS = ['postgres', 'direct'] as const;
const SSL_CERT_MODES = ['disable', 'allow', 'require'] as const;
const LOAD_BALANCE = ['disable', 'random'] as const;

/**
 * Resolves connection parameters. `input` is a connection string, a
 * parameter object (see {@link ConnectInput}: typed fields, libpq keywords,
 * `dsn`/`connectionString`, `ssl`; any other key is refused), or undefined
 * (environment and defaults only). Throws a ConfigurationError
 * (`ERR_INVALID_CONFIG`) naming the bad key, keyword or value, never the
 * password, and an InterfaceError (`ERR_INVALID_ARGUMENT`) for input that is
 * neither a string, an object nor undefined (e.g. null or a number).
 */
export function resolveConfig(input: string | ConnectInput | undefined, env: Env, options: ResolveOptions = {}): ConnectParams {
  return resolveExplicit(readConnectInput(input), env, options);
}

/**
 * {@link resolveConfig} for input already taken apart (and checked) by
 * `readConnectInput`. Every connect runs it, so it builds each layer in
 * place (no copies of whole parameter sets, no deleted keys).
 */
export function resolveExplicit(explicit: ExplicitInput, env: Env, options: ResolveOptions = {}): ConnectParams {
  const defaultHost = options.defaultHost ?? DEFAULT_SOCKET_DIR;
  const raw: DsnParams = fromEnv(env);
  if (explicit.dsn !== undefined) Object.assign(raw, parsedDsn(explicit.dsn));
  Object.assign(raw, explicit.raw);
  if (raw.service !== undefined) throw configError('the "service" option (pg_service.conf) is not supported; give the parameters directly');
  const params = Object.assign(fromKeywords(raw, defaultHost), explicit.typed);
  if (explicit.hosts !== undefined) params.hosts = explicitHosts(explicit.hosts, defaultHost);
  const user = params.user ?? (typeof options.osUser === 'function' ? options.osUser() : options.osUser);
  if (user === undefined || user === '') throw configError('no user name: give "user", set PGUSER, or pass the OS user name');
  params.user = user;
  params.database ??= user;
  const result = params as ConnectParams;
  checkSslRootSystem(result, raw.sslmode ?? explicit.typed.sslmode);
  return validate(result);
}

let lastDsn: string | undefined;
let lastParsed: Readonly<DsnParams> = {};

/**
 * `parseDsn(dsn)`, remembered for the last string (a pool or an app
 * reconnects with the same one): the frozen result is only read. A string
 * that fails to parse is not remembered, so it throws every time.
 */
function parsedDsn(dsn: string): Readonly<DsnParams> {
  if (dsn !== lastDsn) {
    lastParsed = Object.freeze(parseDsn(dsn));
    lastDsn = dsn;
  }
  return lastParsed;
}

/** {@link ENV_VARS} as two parallel arrays, built once: every connect reads the environment, with an index loop (no iterator objects). */
const ENV_KEYWORDS = Object.keys(ENV_VARS) as readonly Keyword[];
const ENV_NAMES: readonly string[] = ENV_KEYWORDS.map((k) => ENV_VARS[k] as string);

/** The raw keyword values the PG* environment variables supply (empty values count as unset). */
export function fromEnv(env: Env): DsnParams {
  const out: DsnParams = {};
  for (let i = 0; i < ENV_NAMES.length; i++) {
    const value = env[ENV_NAMES[i]];
    if (value !== undefined && value !== '') out[ENV_KEYWORDS[i]] = value;
  }
  return out;
}

function explicitHosts(hosts: readonly ExplicitHost[], defaultHost: string): ConnectParams['hosts'] {
  if (hosts.length === 0) throw configError('"hosts" must list at least one host');
  return hosts.map((h) => hostSpec(h.host, parsePort(h.port ?? ''), h.hostaddr ?? '', defaultHost));
}

type Built = Omit<ConnectParams, 'user' | 'database'> & { user?: string; database?: string };

/** The value of keyword `k`, or undefined when it is unset or blank. */
function given(raw: DsnParams, k: Keyword): string | undefined {
  const v = raw[k];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The typed value of keyword `k`, or undefined when it is unset or blank. */
function opt<T>(raw: DsnParams, k: Keyword, parse: (v: string) => T): T | undefined {
  const v = given(raw, k);
  return v === undefined ? undefined : parse(v);
}

/** {@link opt} for a parser that names its keyword: `parse(k, v)` (no closure per keyword and connect). */
function optNamed<T>(raw: DsnParams, k: Keyword, parse: (keyword: string, v: string) => T): T | undefined {
  const v = given(raw, k);
  return v === undefined ? undefined : parse(k, v);
}

/** {@link opt} for an enumeration: `v` must be one of `allowed`. */
function optEnum<T extends string>(raw: DsnParams, k: Keyword, allowed: readonly T[]): T | undefined {
  const v = given(raw, k);
  return v === undefined ? undefined : parseEnum(k, v, allowed);
}

/** Sets `o[k]` only to a defined value (the result never holds undefined fields). */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

function fromKeywords(raw: DsnParams, defaultHost: string): Built {
  const out: Built = {
    hosts: buildHosts(raw.host, raw.hostaddr, raw.port, defaultHost),
    sslmode: optEnum(raw, 'sslmode', SSL_MODES) ?? (raw.sslrootcert === 'system' ? 'verify-full' : 'prefer'),
    sslsni: optNamed(raw, 'sslsni', parseSwitch) ?? true,
    sslnegotiation: optEnum(raw, 'sslnegotiation', SSL_NEGOTIATIONS) ?? 'postgres',
    minProtocolVersion: optNamed(raw, 'min_protocol_version', parseProtocolVersion) ?? '3.0',
    maxProtocolVersion: optNamed(raw, 'max_protocol_version', parseProtocolVersion) ?? LATEST_PROTOCOL_VERSION,
    targetSessionAttrs: optEnum(raw, 'target_session_attrs', SESSION_ATTRS) ?? 'any',
    channelBinding: optEnum(raw, 'channel_binding', CHANNEL_BINDINGS) ?? 'prefer',
    loadBalanceHosts: optEnum(raw, 'load_balance_hosts', LOAD_BALANCE) === 'random',
    keepalives: optNamed(raw, 'keepalives', parseInteger) !== 0, // unset: on
  };
  put(out, 'user', nonEmpty(raw.user));
  put(out, 'password', nonEmpty(raw.password));
  put(out, 'database', nonEmpty(raw.dbname));
  put(out, 'applicationName', raw.application_name);
  put(out, 'fallbackApplicationName', raw.fallback_application_name);
  put(out, 'options', raw.options);
  put(out, 'clientEncoding', nonEmpty(raw.client_encoding));
  put(out, 'connectTimeoutMs', opt(raw, 'connect_timeout', parseConnectTimeout));
  put(out, 'sslrootcert', nonEmpty(raw.sslrootcert));
  put(out, 'sslcert', nonEmpty(raw.sslcert));
  put(out, 'sslkey', nonEmpty(raw.sslkey));
  put(out, 'sslpassword', nonEmpty(raw.sslpassword));
  put(out, 'sslcrl', nonEmpty(raw.sslcrl));
  put(out, 'sslcrldir', nonEmpty(raw.sslcrldir));
  put(out, 'sslcertmode', optEnum(raw, 'sslcertmode', SSL_CERT_MODES));
  put(out, 'sslMinProtocolVersion', nonEmpty(raw.ssl_min_protocol_version));
  put(out, 'sslMaxProtocolVersion', nonEmpty(raw.ssl_max_protocol_version));
  put(out, 'passfile', nonEmpty(raw.passfile));
  put(out, 'keepalivesIdleMs', optNamed(raw, 'keepalives_idle', parseSeconds));
  put(out, 'keepalivesIntervalMs', optNamed(raw, 'keepalives_interval', parseSeconds));
  put(out, 'keepalivesCount', optNamed(raw, 'keepalives_count', parseNonNegative));
  put(out, 'tcpUserTimeoutMs', optNamed(raw, 'tcp_user_timeout', parseNonNegative));
  put(out, 'requireAuth', nonEmpty(raw.require_auth));
  put(out, 'replication', opt(raw, 'replication', parseReplication));
  put(out, 'requirepeer', nonEmpty(raw.requirepeer));
  put(out, 'gssencmode', nonEmpty(raw.gssencmode));
  put(out, 'krbsrvname', nonEmpty(raw.krbsrvname));
  return out;
}

function checkSslRootSystem(p: ConnectParams, givenMode: string | undefined): void {
  if (p.sslrootcert !== 'system') return;
  if (givenMode === undefined) p.sslmode = 'verify-full';
  else if (p.sslmode !== 'verify-full') {
    throw configError(`weak sslmode "${p.sslmode}" may not be used with sslrootcert=system (use "verify-full")`);
  }
}

function validate(p: ConnectParams): ConnectParams {
  parseEnum('sslmode', p.sslmode, SSL_MODES);
  parseEnum('target_session_attrs', p.targetSessionAttrs, SESSION_ATTRS);
  parseEnum('channel_binding', p.channelBinding, CHANNEL_BINDINGS);
  parseEnum('sslnegotiation', p.sslnegotiation, SSL_NEGOTIATIONS);
  if (p.sslcertmode !== undefined) parseEnum('sslcertmode', p.sslcertmode, SSL_CERT_MODES);
  checkProtocolVersions(p);
  checkSecurity(p);
  checkClientEncoding(p.clientEncoding);
  if (p.replication !== undefined) p.replication = parseReplication(p.replication);
  for (const h of p.hosts) parsePort(h.port);
  if (p.connectTimeoutMs !== undefined && !(Number.isFinite(p.connectTimeoutMs) && p.connectTimeoutMs >= 0)) {
    throw configError(`invalid connectTimeoutMs: ${String(p.connectTimeoutMs)} (expected a non-negative number of milliseconds)`);
  }
  return p;
}

/** The codecs speak UTF-8: `client_encoding` may only say so (`auto` too, meaning the client's: UTF-8 in Node). */
function checkClientEncoding(value: string | undefined): void {
  if (value === undefined || /^(utf-?8|unicode|auto)$/i.test(value)) return;
  throw configError(`client_encoding "${value.slice(0, 30)}" is not supported: tspostgres always speaks UTF8 (leave client_encoding out, or set it to UTF8)`);
}

/** libpq 18: each version valid ('latest' resolved), and the minimum no newer than the maximum. */
function checkProtocolVersions(p: ConnectParams): void {
  p.minProtocolVersion = parseProtocolVersion('min_protocol_version', p.minProtocolVersion);
  p.maxProtocolVersion = parseProtocolVersion('max_protocol_version', p.maxProtocolVersion);
  if (olderThan(p.maxProtocolVersion, p.minProtocolVersion)) {
    throw configError(`min_protocol_version ${p.minProtocolVersion} is greater than max_protocol_version ${p.maxProtocolVersion}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
