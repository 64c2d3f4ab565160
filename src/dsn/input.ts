/**
 * Reading the input of `resolveConfig` / `loadConfig` / `connect()`: a
 * connection string, a parameter object, or undefined.
 *
 * Theory of operation: every own key of a parameter object is looked up in
 * one table and either used or refused; nothing is dropped silently. A key
 * is one of
 * - a typed field, named as in {@link ConnectParams} (`user`, `database`,
 *   `connectTimeoutMs`, ...), checked for its JavaScript type;
 * - a libpq keyword that has no typed field of the same name (`dbname`,
 *   `connect_timeout`, ...): a string or a number, read by libpq's rules as
 *   if it came from a connection string, at the explicit level;
 * - `host`, `hostaddr`, `port` (a value or an array: libpq's comma lists),
 *   `hosts`, `dsn`;
 * - a node-postgres spelling mapped deliberately: `connectionString` (the
 *   same as `dsn`) and `ssl` (`true`, `false`, `{ rejectUnauthorized }`).
 * Anything else is a ConfigurationError naming the key, with a hint when the
 * key is a known spelling of something else (a server setting, a
 * node-postgres option) or a near miss of an accepted key. Two spellings of
 * one parameter in one object are refused. Keys whose value is undefined are
 * ignored. Messages name keys and types, never values (they may be secrets).
 * Input that is neither a string, an object nor undefined (`null`, a number,
 * an array, a URL object) is an InterfaceError `ERR_INVALID_ARGUMENT`.
 */

import { InterfaceError } from '../errors/base';
import { configError } from './errors';
import { checkHostCount } from './hosts';
import { KEYWORDS, type Keyword } from './keywords';
import type { ConnectParams, DsnParams } from './params';

/** One entry of an explicit `hosts` list. */
export interface ExplicitHost {
  host: string;
  port?: number | string;
  hostaddr?: string;
}

/** A connection input taken apart: what each layer of `resolveConfig` needs. */
export interface ExplicitInput {
  /** The connection string (`dsn`, `connectionString`, or the input itself). */
  dsn?: string;
  /** libpq keyword values given explicitly (beat the string and the environment). */
  raw: DsnParams;
  /** Typed fields given explicitly (beat everything else). */
  typed: Partial<Omit<ConnectParams, 'hosts'>>;
  /** An explicit server list (replaces every host from the other layers). */
  hosts?: ExplicitHost[];
}

type TypedKey = keyof Omit<ConnectParams, 'hosts'>;

/**
 * How a typed field is checked: 'string', 'boolean', 'ms' (a finite number
 * >= 0), 'count' (an integer >= 0), or 'switch' (a boolean, or libpq's 0/1
 * as a string or number, then read as the keyword of the same name).
 */
type Kind = 'string' | 'boolean' | 'ms' | 'count' | 'switch';

/** Every typed field: its kind and, when spelled differently, its libpq keyword. */
const TYPED: Readonly<Record<TypedKey, readonly [Kind, Keyword?]>> = {
  user: ['string'],
  password: ['string'],
  database: ['string', 'dbname'],
  applicationName: ['string', 'application_name'],
  fallbackApplicationName: ['string', 'fallback_application_name'],
  options: ['string'],
  clientEncoding: ['string', 'client_encoding'],
  connectTimeoutMs: ['ms', 'connect_timeout'],
  sslmode: ['string'],
  sslrootcert: ['string'],
  sslcert: ['string'],
  sslkey: ['string'],
  sslpassword: ['string'],
  sslcrl: ['string'],
  sslcrldir: ['string'],
  sslcertmode: ['string'],
  sslsni: ['switch'],
  sslnegotiation: ['string'],
  sslMinProtocolVersion: ['string', 'ssl_min_protocol_version'],
  sslMaxProtocolVersion: ['string', 'ssl_max_protocol_version'],
  minProtocolVersion: ['string', 'min_protocol_version'],
  maxProtocolVersion: ['string', 'max_protocol_version'],
  targetSessionAttrs: ['string', 'target_session_attrs'],
  passfile: ['string'],
  channelBinding: ['string', 'channel_binding'],
  loadBalanceHosts: ['boolean', 'load_balance_hosts'],
  keepalives: ['switch'],
  keepalivesIdleMs: ['ms', 'keepalives_idle'],
  keepalivesIntervalMs: ['ms', 'keepalives_interval'],
  keepalivesCount: ['count', 'keepalives_count'],
  tcpUserTimeoutMs: ['ms', 'tcp_user_timeout'],
  requireAuth: ['string', 'require_auth'],
  replication: ['string'],
  requirepeer: ['string'],
  gssencmode: ['string'],
  krbsrvname: ['string'],
};

const TYPED_KEYS: ReadonlySet<string> = new Set(Object.keys(TYPED));
const SPECIAL = ['dsn', 'connectionString', 'host', 'hostaddr', 'port', 'hosts', 'ssl'] as const;

/** libpq keywords without a typed field of the same name, e.g. `dbname`, `connect_timeout`. */
const KEYWORD_ONLY: ReadonlySet<string> = new Set(KEYWORDS.filter((k) => !TYPED_KEYS.has(k) && !(SPECIAL as readonly string[]).includes(k)));

/** Every key the object form accepts. */
const ACCEPTED: readonly string[] = [...TYPED_KEYS, ...KEYWORD_ONLY, ...SPECIAL];

/** Pairs of keys that name the same parameter: at most one of each pair may be given. */
const SAME_PARAMETER: ReadonlyArray<readonly [string, string]> = [
  ...Object.entries(TYPED).flatMap(([key, [, keyword]]) => (keyword === undefined ? [] : [[key, keyword] as const])),
  ['dsn', 'connectionString'],
  ['ssl', 'sslmode'],
  ['ssl', 'sslrootcert'],
];

/**
 * Takes a connection input apart, checking every key and type. Throws an
 * InterfaceError (`ERR_INVALID_ARGUMENT`) for input that is neither a
 * string, an object nor undefined, and a ConfigurationError
 * (`ERR_INVALID_CONFIG`) naming the key for anything else it refuses.
 */
export function readConnectInput(input: unknown): ExplicitInput {
  if (input === undefined) return { raw: {}, typed: {} };
  if (typeof input === 'string') return { dsn: input, raw: {}, typed: {} };
  const object = checkObject(input);
  const out: ExplicitInput = { raw: {}, typed: {} };
  const given = Object.keys(object).filter((k) => object[k] !== undefined);
  for (const key of given) readKey(key, object[key], out);
  const present = new Set(given);
  for (const [a, b] of SAME_PARAMETER) {
    if (present.has(a) && present.has(b)) throw configError(`both "${a}" and "${b}" given; use one`);
  }
  return out;
}

function checkObject(input: unknown): Record<string, unknown> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && !isUrl(input)) return input as Record<string, unknown>;
  throw new InterfaceError(`connection parameters must be a connection string, a parameter object or undefined; got ${describeInput(input)}`, {
    code: 'ERR_INVALID_ARGUMENT',
  });
}

function isUrl(value: object): boolean {
  return Object.prototype.toString.call(value) === '[object URL]';
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'a URL object; pass its string (url.href)';
  return `a ${typeof input}`;
}

function readKey(key: string, value: unknown, out: ExplicitInput): void {
  if (TYPED_KEYS.has(key)) return readTyped(key as TypedKey, value, out);
  if (KEYWORD_ONLY.has(key)) {
    out.raw[key as Keyword] = keywordValue(key, value);
    return;
  }
  switch (key) {
    case 'dsn':
    case 'connectionString':
      out.dsn = expectString(key, value);
      return;
    case 'host':
    case 'hostaddr':
      out.raw[key] = list(key, value, 'a string', (v) => typeof v === 'string');
      return;
    case 'port':
      out.raw.port = list(key, value, 'a port number or string', (v) => typeof v === 'string' || typeof v === 'number');
      return;
    case 'hosts':
      out.hosts = readHosts(value);
      return;
    case 'ssl':
      return readSsl(value, out);
    default:
      throw unknownKey(key, value);
  }
}

function readTyped(key: TypedKey, value: unknown, out: ExplicitInput): void {
  const typed = out.typed as Record<string, unknown>;
  switch (TYPED[key][0]) {
    case 'string':
      typed[key] = expectString(key, value);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw mustBe(key, 'a boolean', value);
      typed[key] = value;
      return;
    case 'ms':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw mustBe(key, 'a finite number >= 0 (milliseconds)', value, true);
      typed[key] = value;
      return;
    case 'count':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw mustBe(key, 'an integer >= 0', value, true);
      typed[key] = value;
      return;
    case 'switch':
      if (typeof value === 'boolean') typed[key] = value;
      else out.raw[key as Keyword] = keywordValue(key, value);
  }
}

function expectString(key: string, value: unknown): string {
  if (typeof value !== 'string') throw mustBe(key, 'a string', value);
  return value;
}

/** A libpq keyword's value: a string as is, a finite number as its decimal text. */
function keywordValue(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw mustBe(key, 'a string or a number', value);
}

/** A value (`entry`: what one must be) or a non-empty array of them, as a libpq comma list. */
function list(key: string, value: unknown, entry: string, ok: (v: unknown) => boolean): string {
  if (!Array.isArray(value)) {
    if (!ok(value)) throw mustBe(key, `${entry} or an array of them`, value);
    return String(value);
  }
  if (value.length === 0) throw configError(`connection option "${key}" must not be an empty array`);
  return value
    .map((v: unknown, i) => {
      if (!ok(v)) throw mustBe(`${key}[${i}]`, entry, v);
      const text = String(v);
      if (text.includes(',')) throw configError(`an entry of "${key}" may not contain ","; give one entry per host`);
      return text;
    })
    .join(',');
}

function readHosts(value: unknown): ExplicitHost[] {
  if (!Array.isArray(value)) throw mustBe('hosts', 'an array of { host, port?, hostaddr? }', value);
  checkHostCount(value.length, '"hosts"');
  return value.map((entry: unknown, i): ExplicitHost => {
    const name = `hosts[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw mustBe(name, 'an object { host, port?, hostaddr? }', entry);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['host', 'port', 'hostaddr'].includes(k) && e[k] !== undefined) {
        throw configError(`unknown key "${name}.${shortKey(k)}" (a host takes host, port and hostaddr)`);
      }
    }
    const out: ExplicitHost = { host: expectString(`${name}.host`, e.host) };
    if (e.port !== undefined) {
      if (typeof e.port !== 'number' && typeof e.port !== 'string') throw mustBe(`${name}.port`, 'a port number or string', e.port);
      out.port = e.port;
    }
    if (e.hostaddr !== undefined) out.hostaddr = expectString(`${name}.hostaddr`, e.hostaddr);
    return out;
  });
}

/**
 * node-postgres' `ssl`, mapped where the meaning is the same: `true`, `{}`
 * or `{ rejectUnauthorized: true }` is verify-full against the system's
 * roots; `{ rejectUnauthorized: false }` is require; `false` is disable.
 */
function readSsl(value: unknown, out: ExplicitInput): void {
  if (value === true) {
    out.typed.sslmode = 'verify-full';
    out.typed.sslrootcert = 'system';
    return;
  }
  if (value === false) {
    out.typed.sslmode = 'disable';
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(
      `connection option "ssl" must be true, false or { rejectUnauthorized: boolean }, got ${typeName(value)}; ` +
        `use sslmode ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full') for libpq's modes`,
    );
  }
  const ssl = value as Record<string, unknown>;
  for (const k of Object.keys(ssl)) {
    if (k !== 'rejectUnauthorized' && ssl[k] !== undefined) {
      throw configError(
        `"ssl.${shortKey(k)}" is not supported: "ssl" takes only true, false or { rejectUnauthorized }; ` +
          'for TLS files give sslrootcert, sslcert and sslkey (file paths) with sslmode',
      );
    }
  }
  const reject = ssl.rejectUnauthorized;
  if (reject !== undefined && typeof reject !== 'boolean') throw configError(`"ssl.rejectUnauthorized" must be a boolean, got ${typeName(reject)}`);
  if (reject === false) out.typed.sslmode = 'require';
  else readSsl(true, out);
}

/** The error for a value of the wrong type; only a number given for a numeric field is shown, never other values. */
function mustBe(key: string, expected: string, value: unknown, showNumber = false): Error {
  const got = showNumber && typeof value === 'number' ? String(value) : typeName(value);
  return configError(`connection option "${key}" must be ${expected}, got ${got}`);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function shortKey(key: string): string {
  return key.length > 60 ? `${key.slice(0, 57)}...` : key;
}

// ------------------------------------------------------------- unknown keys

/** Server settings people put next to connection options (node-postgres sends some of them). */
const SERVER_SETTINGS: ReadonlySet<string> = new Set([
  'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout',
  'search_path', 'timezone', 'datestyle', 'intervalstyle', 'role', 'work_mem', 'default_transaction_isolation',
  'default_transaction_read_only', 'extra_float_digits', 'bytea_output', 'session_replication_role', 'jit',
]);

/** Keys of other drivers that mean something we spell differently. */
const HINTS: Readonly<Record<string, string>> = {
  query_timeout: 'is node-postgres\' client-side query deadline, not a connection option; pass the per-query "timeout" option (runQuery(sql, params, { timeout }))',
  connectionTimeoutMillis: 'is not a connection option here; use connectTimeoutMs (milliseconds, per host) or connect_timeout (seconds)',
  keepAlive: 'is not a connection option here; use keepalives (a boolean; on by default)',
  keepAliveInitialDelayMillis: 'is not a connection option here; use keepalivesIdleMs',
  enableChannelBinding: 'is not a connection option here; use channelBinding ("prefer" by default, "require" or "disable")',
  username: 'is not a connection option; use "user"',
  db: 'is not a connection option; use "database" or "dbname"',
  hostname: 'is not a connection option; use "host"',
};

function unknownKey(key: string, value: unknown): Error {
  const shown = JSON.stringify(shortKey(key));
  if (SERVER_SETTINGS.has(key.toLowerCase())) {
    const example = typeof value === 'number' && Number.isFinite(value) ? String(value) : '<value>';
    return configError(`${shown} is a server setting, not a connection option; set it with options: '-c ${key}=${example}'`);
  }
  if (Object.prototype.hasOwnProperty.call(HINTS, key)) return configError(`unknown connection option ${shown}: ${shown} ${HINTS[key]}`);
  const near = nearMisses(key);
  if (near.length > 0) return configError(`unknown connection option ${shown} (did you mean ${near.map((k) => `"${k}"`).join(' or ')}?)`);
  return configError(
    `unknown connection option ${shown} (the object form takes libpq keywords such as dbname, the ConnectParams fields ` +
      'such as connectTimeoutMs, host, hostaddr, port, hosts, dsn, connectionString and ssl)',
  );
}

/** Accepted keys that differ from `key` only in case and '_', else those at edit distance <= 2. */
function nearMisses(key: string): string[] {
  const norm = (k: string): string => k.toLowerCase().replace(/[_-]/g, '');
  const same = ACCEPTED.filter((k) => norm(k) === norm(key));
  if (same.length > 0 || key.length < 4) return same;
  let best = 3;
  let found: string[] = [];
  for (const k of ACCEPTED) {
    const d = distance(key.toLowerCase(), k.toLowerCase(), 3);
    if (d < best) [best, found] = [d, [k]];
    else if (d === best && d < 3) found.push(k);
  }
  return found;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...row) >= limit) return limit;
    prev = row;
  }
  return Math.min(prev[b.length], limit);
}
