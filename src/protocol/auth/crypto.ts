/**
 * The crypto the authentication math needs, injected so `src/protocol`
 * stays pure (no `node:crypto`) and tests can fix the randomness.
 * `src/connection/node-crypto.ts` provides it on Node; a browser or WebSocket
 * deployment can provide one on a synchronous JS implementation.
 */

/** Synchronous hash, MAC, key derivation and randomness primitives. */
export interface AuthCrypto {
  /** MD5 digest (16 bytes). */
  md5(data: Uint8Array): Uint8Array;
  /** SHA-256 digest (32 bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 of `data` under `key` (32 bytes). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** PBKDF2-HMAC-SHA-256 with a 32-byte output (SCRAM's Hi()). */
  pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array;
  /** `n` cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  /** Digest by algorithm name ('sha384', 'sha512', ...), for tls-server-end-point with non-SHA-256 certificates. */
  hash?(algorithm: string, data: Uint8Array): Uint8Array;
}
