/**
 * Fuzz target: the DSN layer (src/dsn): connection URIs, `key=value`
 * strings, the object form and the PG* environment, through `parseDsn`,
 * `resolveConfig` and `redactDsn`.
 *
 * Inputs are mutations of libpq-style connection strings (multi-host,
 * IPv6, percent-encoding, quoting and escapes, unix sockets, hostaddr,
 * every enumerated keyword), with the formats' own special characters,
 * stray code points and floods of a repeated fragment (thousands of hosts);
 * objects made of accepted and unknown keys with values of every JS type;
 * and environments of mutated PG* variables. Rules: only PgErrors escape
 * (ConfigurationError, InterfaceError); a resolved configuration has between
 * 1 and {@link MAX_HOSTS} hosts, each with a port in 1..65535, and a user;
 * the output is bounded by the input (no more hosts than characters).
 * Outcome: 'resolved', 'parsed' (the string parses, resolving refused it)
 * or the error's code, per form.
 */
import { MAX_HOSTS } from '../../src/dsn/hosts';
import { parseDsn } from '../../src/dsn/parse';
import { redactDsn } from '../../src/dsn/redact';
import { resolveConfig, type Env } from '../../src/dsn/resolve';
import type { ConnectInput, ConnectParams } from '../../src/dsn/params';
import { ENV_VARS, KEYWORDS } from '../../src/dsn/keywords';
import { fuzzText, int, pick } from '../../test/support/fuzz';
import { check, outcomeOf, type FuzzTarget } from '../target';

const DSNS = [
  'postgres://u:pw@h:5433/db?sslmode=require&application_name=x',
  'postgresql://%2Fvar%2Frun%2Fpostgresql:5433/db',
  'postgres://[::1]:5432,[fe80::2]:5433,h3/db?target_session_attrs=read-write&load_balance_hosts=random',
  'postgres://u:p%40ss%3Aw%2Fd@host/db?connect_timeout=10&keepalives=0',
  'postgres://us%C3%A9r@host/d%C3%A9b?options=-c%20search_path%3Dapp',
  'postgresql:///dbname?host=/var/lib/postgresql&port=5433',
  'postgresql://?hostaddr=127.0.0.1,::1&host=a,b&port=1,2',
  'postgres://h1,h2,h3/db?min_protocol_version=3.0&max_protocol_version=latest',
  'postgres://host?ssl=true&sslrootcert=system&channel_binding=require',
  'postgres://a:1/db?host=b&port=2&dbname=other&sslnegotiation=direct&sslcertmode=allow',
  "host=localhost port=5432 dbname=app user=me password='it\\'s a secret' sslmode=verify-full",
  'host=h1,h2,/tmp port=5432,5433,5434 target_session_attrs=prefer-standby connect_timeout=2',
  "hostaddr=10.0.0.1 host=db.example application_name='my app' options='-c geqo=off'",
  'dbname=a\\ b user = u keepalives_idle=30 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=100',
  "service=x host='' port= sslsni=0 gssencmode=disable require_auth=scram-sha-256",
  '',
];

const ALPHABET = [
  '%', '%2F', '%00', '%zz', '%C3%A9', '@', ':', '/', '?', '&', '=', ',', '[', ']', '[::1]', '\\', "'", ' ', '\t',
  'host=', 'port=', 'hostaddr=', 'h,', ',,', ':5432', ':99999', ':-1', 'postgres://', 'postgresql://', 'sslmode=', 'ssl=true',
  'password=', 'user=', 'dbname=', 'x', '0', '1', '9', 'a', 'é', '/tmp',
];

const OBJECT_KEYS = [
  ...KEYWORDS, 'dsn', 'connectionString', 'hosts', 'ssl', 'database', 'connectTimeoutMs', 'applicationName', 'sslsni',
  'keepalives', 'keepalivesIdleMs', 'minProtocolVersion', 'maxProtocolVersion', 'loadBalanceHosts', 'targetSessionAttrs',
  'statement_timeout', 'query_timeout', 'userName', '__proto__', 'constructor', 'toString', 'hosts.0',
];

function randomValue(rand: () => number, depth = 0): unknown {
  switch (int(rand, 11)) {
    case 0: return fuzzText(rand, DSNS, ALPHABET);
    case 1: return pick(rand, ['h', '', '5432', '0', 'require', 'latest', '3.2', 'true', 'a,b']);
    case 2: return pick(rand, [0, 1, -1, 5432, 65536, 1.5, NaN, Infinity, -0, 2 ** 53]);
    case 3: return rand() < 0.5;
    case 4: return null;
    case 5: return undefined;
    case 6: return depth > 2 ? [] : Array.from({ length: int(rand, 4) }, () => randomValue(rand, depth + 1));
    case 7: return depth > 2 ? {} : { host: randomValue(rand, depth + 1), port: randomValue(rand, depth + 1), rejectUnauthorized: rand() < 0.5 };
    case 8: return 10n;
    case 9: return Symbol('fuzz');
    default: return Array.from({ length: int(rand, 3000) }, (_, i) => ({ host: `h${i}` }));
  }
}

function randomObject(rand: () => number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let k = int(rand, 5); k >= 0; k--) o[pick(rand, OBJECT_KEYS)] = randomValue(rand);
  return o;
}

function randomEnv(rand: () => number): Env {
  const env: Record<string, string> = {};
  const names = Object.values(ENV_VARS);
  for (let k = int(rand, 4); k > 0; k--) env[pick(rand, names)] = fuzzText(rand, ['localhost', 'h1,h2', '5432', 'require', 'app', '3.2'], ALPHABET);
  return env;
}

function envLength(env: Env): number {
  return Object.values(env).reduce((n, v) => n + (v?.length ?? 0), 0);
}

/** The rules a resolved configuration keeps (see the file comment). */
function checkResolved(p: ConnectParams, inputLength: number): void {
  check(p.hosts.length >= 1 && p.hosts.length <= MAX_HOSTS, () => `${p.hosts.length} hosts`);
  check(p.hosts.length <= inputLength + 1, () => `${p.hosts.length} hosts from ${inputLength} characters`);
  for (const h of p.hosts) check(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535, () => `port ${h.port}`);
  check(typeof p.user === 'string' && p.user !== '', () => 'no user');
}

function resolve(input: string | ConnectInput | undefined, env: Env, inputLength: number): string {
  try {
    checkResolved(resolveConfig(input, env, { osUser: 'fuzz' }), inputLength);
    return 'resolved';
  } catch (e) {
    return outcomeOf(e);
  }
}

function fuzzString(rand: () => number): string {
  const dsn = fuzzText(rand, DSNS, ALPHABET);
  try {
    parseDsn(dsn);
    redactDsn(dsn);
  } catch (e) {
    return `string ${outcomeOf(e)}`;
  }
  const env = rand() < 0.2 ? randomEnv(rand) : {};
  return `string ${resolve(dsn, env, dsn.length + envLength(env))}`;
}

/** The DSN parser and resolver. */
export const dsnTarget: FuzzTarget = {
  name: 'dsn',
  about: 'DSN layer: mutated URIs and key=value strings (parseDsn, redactDsn, resolveConfig), random parameter objects and PG* environments',
  run(rand) {
    const r = rand();
    if (r < 0.75) return fuzzString(rand);
    if (r < 0.92) {
      const o = randomObject(rand);
      return `object ${resolve(o as ConnectInput, {}, JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v))?.length ?? 0)}`;
    }
    const env = randomEnv(rand);
    return `env ${resolve(undefined, env, envLength(env))}`;
  },
};
