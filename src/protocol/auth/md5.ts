/**
 * PostgreSQL's MD5 password response (AuthenticationMD5Password):
 * `'md5' + hex(md5(hex(md5(password + user)) + salt))`, all strings UTF-8.
 */
import { concatBytes, toHex, utf8Encode } from '../../util/bytes';
import type { AuthCrypto } from './crypto';

/** Computes the PasswordMessage text for an MD5 challenge with the 4-byte `salt`. */
export function md5Password(user: string, password: string, salt: Uint8Array, crypto: AuthCrypto): string {
  const inner = toHex(crypto.md5(utf8Encode(password + user)));
  return 'md5' + toHex(crypto.md5(concatBytes([utf8Encode(inner), salt])));
}
