/**
 * The Node.js {@link AuthCrypto} provider, on `node:crypto`. Lives outside
 * `src/protocol` so the codec stays pure; the connection layer passes it in
 * by default. Every member is synchronous but `pbkdf2Sha256Async`, which
 * runs PBKDF2 on libuv's thread pool (`crypto.pbkdf2`) and fires a Deferred
 * from its callback: the Session derives SCRAM's salted password with it, so
 * the event loop keeps turning however many iterations the server asks for.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Deferred } from '../defer';
import type { AuthCrypto } from '../protocol/auth/crypto';

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** PBKDF2-HMAC-SHA-256 (32 bytes) on the thread pool; throws at once for arguments node:crypto refuses. */
function pbkdf2Sha256Async(password: Uint8Array, salt: Uint8Array, iterations: number): Deferred<Uint8Array> {
  const d = new Deferred<Uint8Array>();
  pbkdf2(password, salt, iterations, 32, 'sha256', (err, key) => (err ? d.errback(err) : d.callback(bytes(key))));
  return d;
}

/** AuthCrypto backed by node:crypto. */
export const nodeAuthCrypto: AuthCrypto = {
  md5: (data) => bytes(createHash('md5').update(data).digest()),
  sha256: (data) => bytes(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => bytes(createHmac('sha256', key).update(data).digest()),
  pbkdf2Sha256: (password, salt, iterations) => bytes(pbkdf2Sync(password, salt, iterations, 32, 'sha256')),
  pbkdf2Sha256Async,
  randomBytes: (n) => bytes(randomBytes(n)),
  hash: (algorithm, data) => bytes(createHash(algorithm).update(data).digest()),
};
