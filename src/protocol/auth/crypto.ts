/**
 * The crypto the authentication math needs, injected so `src/protocol`
 * stays pure (no `node:crypto`) and tests can fix the randomness.
 * `src/connection/node-crypto.ts` provides it on Node; a browser or WebSocket
 * deployment can provide one on a synchronous JS implementation.
 *
 * Every member is synchronous but one: SCRAM's key derivation, whose cost
 * the server chooses (the iteration count), may also be offered as
 * {@link AuthCrypto.pbkdf2Sha256Async}, which a driver runs off the event
 * loop (see `KeyDerivationRequest` in `src/core/events.ts`).
 */

/** Hash, MAC, key derivation and randomness primitives (synchronous, but for the optional asynchronous PBKDF2). */
export interface AuthCrypto {
  /** MD5 digest (16 bytes). */
  md5(data: Uint8Array): Uint8Array;
  /** SHA-256 digest (32 bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 of `data` under `key` (32 bytes). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** PBKDF2-HMAC-SHA-256 with a 32-byte output (SCRAM's Hi()). */
  pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array;
  /**
   * The same PBKDF2-HMAC-SHA-256 (32 bytes), computed without blocking the
   * caller: Node's `crypto.pbkdf2` on its thread pool, WebCrypto's
   * `deriveBits`. The driver of the machine uses it for SCRAM's salted
   * password, so a server that asks for many iterations cannot freeze the
   * process; when absent the driver falls back to {@link pbkdf2Sha256}.
   * May return a Deferred or a Promise.
   */
  pbkdf2Sha256Async?(password: Uint8Array, salt: Uint8Array, iterations: number): PromiseLike<Uint8Array>;
  /** `n` cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  /** Digest by algorithm name ('sha384', 'sha512', ...), for tls-server-end-point with non-SHA-256 certificates. */
  hash?(algorithm: string, data: Uint8Array): Uint8Array;
}
