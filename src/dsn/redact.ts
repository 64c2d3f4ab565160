/**
 * Safe logging of connection targets: {@link redactDsn} masks secrets in a
 * connection string without needing it to be valid, and
 * {@link describeTarget} summarises resolved parameters without secrets.
 */

import type { ConnectParams, HostSpec } from './params';
import { isUri } from './parse-uri';

/** What secrets are replaced with. */
export const MASK = '***';

/**
 * Returns `dsn` with every password masked: the URI userinfo password,
 * `password`/`sslpassword` query parameters, and `password=`/`sslpassword=`
 * values of `key=value` strings (quoted or bare). Works on malformed input
 * too, erring on the side of masking more.
 */
export function redactDsn(dsn: string): string {
  return isUri(dsn.trim()) ? redactUri(dsn) : redactKeyValue(dsn);
}

function redactUri(uri: string): string {
  const start = uri.indexOf('://') + 3;
  const slash = uri.slice(start).search(/[/?]/);
  const end = slash < 0 ? uri.length : start + slash;
  const at = uri.lastIndexOf('@', end - 1);
  let out = uri;
  if (at >= start) {
    const colon = uri.indexOf(':', start);
    if (colon >= 0 && colon < at) out = `${uri.slice(0, colon + 1)}${MASK}${uri.slice(at)}`;
  }
  return out.replace(/([?&](?:ssl)?password=)[^&]*/g, `$1${MASK}`);
}

function redactKeyValue(text: string): string {
  return text.replace(/(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|(?:[^\s\\]|\\.)*)/g, `$1${MASK}`);
}

/** One host for display: `host:port`, `[v6]:port`, a socket path, plus `(hostaddr)` when set. */
export function describeHost(h: HostSpec): string {
  if (h.kind === 'unix') return h.socketPath ?? h.host;
  const host = h.host.includes(':') ? `[${h.host}]` : h.host;
  return `${host}:${h.port}${h.hostaddr !== undefined && h.hostaddr !== h.host ? ` (${h.hostaddr})` : ''}`;
}

/**
 * A one-line, secret-free description of a connection target, e.g.
 * `alice@db1:5432,db2:5433/app (sslmode=prefer)`.
 */
export function describeTarget(params: Pick<ConnectParams, 'hosts' | 'user' | 'database' | 'sslmode'>): string {
  const hosts = params.hosts.map(describeHost).join(',');
  return `${params.user}@${hosts}/${params.database} (sslmode=${params.sslmode})`;
}
