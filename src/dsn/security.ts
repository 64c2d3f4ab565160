/**
 * The security keywords: each is honoured, or refused with a
 * ConfigurationError naming it, never silently ignored.
 *
 * Theory of operation. {@link checkSecurity} runs when parameters are
 * resolved, so a setting the driver cannot honour fails `connect()` before
 * any byte is sent:
 * - `require_auth`: parsed here (unknown methods, mixed negation), enforced
 *   by the authenticator in the core;
 * - `ssl_min_protocol_version` / `ssl_max_protocol_version`: `TLSv1` to
 *   `TLSv1.3`, the minimum no newer than the maximum (libpq's default
 *   minimum `TLSv1.2` applies when none is given), enforced by the TLS layer;
 * - `sslcrl` / `sslcrldir`, `sslpassword`: read and applied by the
 *   configuration layer (src/config/tls-files.ts);
 * - `sslcertmode`: `disable` and `allow` are honoured; `require` (fail when
 *   the server did not ask for a client certificate) is refused: Node's TLS
 *   does not tell whether the server asked;
 * - `requirepeer`: refused when a host is a unix socket (Node cannot read a
 *   socket's peer credentials); libpq ignores it over TCP, and so do we;
 * - `gssencmode=require`: refused (no GSSAPI support); `prefer`/`disable`
 *   mean plain or TLS, as without GSSAPI in libpq;
 * - `sslnegotiation=direct` (PostgreSQL 17's TLS without the SSLRequest
 *   round trip): refused, not supported yet; `postgres` is honoured.
 */
import { parseRequireAuth } from '../core/require-auth';
import { configError } from './errors';
import type { ConnectParams } from './params';

/** The TLS versions libpq names, oldest first. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** A TLS protocol version as libpq and Node name it. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** libpq's default `ssl_min_protocol_version`. */
export const DEFAULT_TLS_MIN: TlsVersion = 'TLSv1.2';

/** Validates the security keywords of `p`; see the file comment. */
export function checkSecurity(p: ConnectParams): void {
  if (p.requireAuth !== undefined) parseRequireAuth(p.requireAuth);
  checkTlsVersions(p.sslMinProtocolVersion, p.sslMaxProtocolVersion);
  if (p.sslcertmode === 'require') {
    throw configError('sslcertmode=require is not supported (Node cannot tell whether the server asked for a client certificate); use "allow"');
  }
  if (p.requirepeer !== undefined && p.hosts.some((h) => h.kind === 'unix')) {
    throw configError('requirepeer is not supported (Node cannot read the peer credentials of a unix socket); connect over TCP or leave it out');
  }
  if (p.gssencmode === 'require') throw configError('gssencmode=require is not supported (tspostgres has no GSSAPI)');
  if (p.sslnegotiation === 'direct') throw configError('sslnegotiation=direct is not supported; use sslnegotiation=postgres (the default)');
}

/** The TLS version for a keyword value (case as libpq: exact). */
export function tlsVersion(keyword: string, value: string): TlsVersion {
  const v = TLS_VERSIONS.find((t) => t === value);
  if (v === undefined) throw configError(`invalid ${keyword} value: "${value.slice(0, 20)}" (expected one of ${TLS_VERSIONS.join(', ')})`);
  return v;
}

function checkTlsVersions(min: string | undefined, max: string | undefined): void {
  const lo = tlsVersion('ssl_min_protocol_version', min ?? DEFAULT_TLS_MIN);
  if (max === undefined) return;
  const hi = tlsVersion('ssl_max_protocol_version', max);
  if (TLS_VERSIONS.indexOf(lo) > TLS_VERSIONS.indexOf(hi)) {
    throw configError(`invalid SSL protocol version range: ssl_min_protocol_version ${lo} is newer than ssl_max_protocol_version ${hi}`);
  }
}
