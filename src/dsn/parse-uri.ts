/**
 * The connection URI parser (libpq's `postgresql://` format).
 *
 *   postgresql://[userspec@][hostspec][/dbname][?paramspec]
 *   userspec = user[:password];  hostspec = [host][:port][,...]
 *
 * Theory of operation: the URI is cut into its parts left to right; each
 * part is percent-decoded on its own. Several hosts become comma lists in
 * `host` and `port` (an empty element means "the default"), exactly as the
 * equivalent `key=value` string would hold them. `[...]` brackets an IPv6
 * address. A unix-socket directory is a percent-encoded host
 * (`%2Fvar%2Frun%2Fpostgresql`) or a `host=/dir` query parameter. Query
 * parameters may be any libpq keyword, plus `ssl=true` (meaning
 * `sslmode=require`, for JDBC compatibility as in libpq). No message ever
 * contains the password.
 */

import { configError } from './errors';
import { isKeyword } from './keywords';
import type { DsnParams } from './params';
import { percentDecode } from './percent';

/** The URI schemes libpq accepts. */
export const URI_PREFIXES = ['postgresql://', 'postgres://'] as const;

/** True when `text` starts with a connection URI scheme. */
export function isUri(text: string): boolean {
  return URI_PREFIXES.some((p) => text.startsWith(p));
}

/** Parses a connection URI into raw keyword values. */
export function parseUri(uri: string): DsnParams {
  const prefix = URI_PREFIXES.find((p) => uri.startsWith(p));
  if (prefix === undefined) throw configError('a connection URI must start with "postgresql://" or "postgres://"');
  const out: DsnParams = {};
  let rest = parseUserInfo(uri.slice(prefix.length), out);
  rest = parseHosts(rest, out);
  rest = parseDatabase(rest, out);
  parseQuery(rest, out);
  return out;
}

function parseUserInfo(rest: string, out: DsnParams): string {
  const end = firstOf(rest, '/?');
  const at = rest.lastIndexOf('@', end - 1);
  if (at < 0) return rest;
  const info = rest.slice(0, at);
  const colon = info.indexOf(':');
  const user = percentDecode(colon < 0 ? info : info.slice(0, colon), 'the user name');
  if (user !== '') out.user = user;
  if (colon >= 0) {
    const password = percentDecode(info.slice(colon + 1), 'the password', false);
    if (password !== '') out.password = password;
  }
  return rest.slice(at + 1);
}

function parseHosts(rest: string, out: DsnParams): string {
  const hosts: string[] = [];
  const ports: string[] = [];
  let pos = 0;
  for (;;) {
    const [host, afterHost] = readHost(rest, pos);
    const [port, afterPort] = rest[afterHost] === ':' ? readPort(rest, afterHost + 1) : ['', afterHost];
    hosts.push(host);
    ports.push(port);
    pos = afterPort;
    if (rest[pos] !== ',') break;
    pos++;
  }
  if (hosts.some((h) => h !== '')) out.host = hosts.join(',');
  if (ports.some((p) => p !== '')) out.port = ports.join(',');
  return rest.slice(pos);
}

function readHost(rest: string, pos: number): [string, number] {
  if (rest[pos] !== '[') {
    const end = firstOf(rest, ':/?,', pos);
    return [percentDecode(rest.slice(pos, end), 'host'), end];
  }
  const close = rest.indexOf(']', pos);
  if (close < 0) throw configError(`end of IPv6 host address not found in connection URI (at offset ${pos})`);
  if (close === pos + 1) throw configError('IPv6 host address may not be empty in connection URI');
  const next = rest[close + 1];
  if (next !== undefined && !':/?,'.includes(next)) {
    throw configError(`unexpected character "${next}" after IPv6 host address in connection URI`);
  }
  return [percentDecode(rest.slice(pos + 1, close), 'host'), close + 1];
}

function readPort(rest: string, pos: number): [string, number] {
  const end = firstOf(rest, '/?,', pos);
  const port = percentDecode(rest.slice(pos, end), 'port');
  // Not quoted: a non-numeric "port" is most often a password with an unencoded '/', '?' or '#'.
  if (!/^\d*$/.test(port)) throw configError(PORT_HINT);
  return [port, end];
}

const PORT_HINT =
  'invalid port number in connection URI (ports are digits; percent-encode any "/", "?", "@" or ":" in the user name or password)';

function parseDatabase(rest: string, out: DsnParams): string {
  if (rest === '' || rest[0] === '?') return rest;
  if (rest[0] !== '/') throw configError(`unexpected character "${rest[0]}" in the host part of connection URI`);
  const end = firstOf(rest, '?');
  const dbname = percentDecode(rest.slice(1, end), 'database name');
  if (dbname !== '') out.dbname = dbname;
  return rest.slice(end);
}

function parseQuery(rest: string, out: DsnParams): void {
  if (rest === '') return;
  for (const pair of rest.slice(1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const key = percentDecode(rawKey, 'a query parameter name');
    if (eq < 0) throw configError(`missing key/value separator "=" in URI query parameter "${key}"`);
    const rawValue = pair.slice(eq + 1);
    if (rawValue.includes('=')) throw configError(`extra key/value separator "=" in URI query parameter "${key}"`);
    storeQueryParam(key, percentDecode(rawValue, `the value of query parameter "${key}"`, !isSecret(key)), out);
  }
}

function isSecret(key: string): boolean {
  return key === 'password' || key === 'sslpassword';
}

function storeQueryParam(key: string, value: string, out: DsnParams): void {
  if (key === 'ssl' && value === 'true') {
    out.sslmode = 'require';
    return;
  }
  if (!isKeyword(key)) throw configError(`invalid URI query parameter "${key}"`);
  out[key] = value;
}

function firstOf(text: string, chars: string, from = 0): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i])) return i;
  return text.length;
}
