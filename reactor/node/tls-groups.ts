/**
 * The key exchange groups a client TLS context offers: OpenSSL's own
 * default set, with P-256 moved first.
 *
 * Theory of operation. A TLS 1.3 client sends a key share for the first
 * group of its list only. OpenSSL 3.0 to 3.4 put X25519 first, but
 * PostgreSQL up to 17 configures its server with the one curve of
 * `ssl_ecdh_curve`, by default `prime256v1` (P-256): the server then answers
 * the X25519 share with a HelloRetryRequest, and the client sends a second
 * ClientHello with a P-256 share. That is one more round trip (and key
 * generation on both sides) on every TLS connect; measured against the
 * bench's PostgreSQL 15, the handshake took 2.7-3.0 ms with X25519 first and
 * 2.4-2.6 ms with P-256 first (load 6). PostgreSQL 18's default `ssl_groups`
 * (`X25519:prime256v1`) accepts either share, and a server configured for
 * another curve answers with a HelloRetryRequest as before. The set of
 * groups is OpenSSL 3.0's default (the GOST groups need a provider Node does
 * not load), so no server that negotiated before is refused now. Other
 * OpenSSL versions (3.5 adds post-quantum hybrid groups to its default) keep
 * their own default: `undefined`.
 */

/** OpenSSL 3.0-3.4's default groups (ssl/t1_lib.c), P-256 moved first. */
export const P256_FIRST_GROUPS = 'P-256:X25519:X448:P-521:P-384:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192';

/**
 * The `ecdhCurve` for client contexts under OpenSSL `version` (default the
 * running one): {@link P256_FIRST_GROUPS} for OpenSSL 3.0 to 3.4, else
 * undefined (the library's own default).
 */
export function clientGroups(version: string = process.versions.openssl ?? ''): string | undefined {
  const m = /^3\.([0-4])\./.exec(version);
  return m === null ? undefined : P256_FIRST_GROUPS;
}
