/**
 * The Node.js {@link AuthCrypto} provider, on `node:crypto` (synchronous).
 * Lives outside `src/protocol` so the codec stays pure; the connection layer
 * passes it in by default.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { AuthCrypto } from '../protocol/auth/crypto';

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** AuthCrypto backed by node:crypto. */
export const nodeAuthCrypto: AuthCrypto = {
  md5: (data) => bytes(createHash('md5').update(data).digest()),
  sha256: (data) => bytes(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => bytes(createHmac('sha256', key).update(data).digest()),
  pbkdf2Sha256: (password, salt, iterations) => bytes(pbkdf2Sync(password, salt, iterations, 32, 'sha256')),
  randomBytes: (n) => bytes(randomBytes(n)),
  hash: (algorithm, data) => bytes(createHash(algorithm).update(data).digest()),
};
