/**
 * Standard base64 (RFC 4648, with padding) over `Uint8Array`, without Node's
 * `Buffer`, for the pure layers (SCRAM messages).
 */
import { ProtocolViolation } from '../errors/base';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as padded base64. */
export function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    s += i + 1 < b.length ? ALPHABET[(n >> 6) & 63] : '=';
    s += i + 2 < b.length ? ALPHABET[n & 63] : '=';
  }
  return s;
}

/** Decodes padded base64; throws ProtocolViolation on a bad length, character or padding. */
export function base64Decode(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new ProtocolViolation('invalid base64: length is not a multiple of 4');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const n = (digit(s, i) << 18) | (digit(s, i + 1) << 12) | (last && pad === 2 ? 0 : digit(s, i + 2)) << 6 | (last && pad >= 1 ? 0 : digit(s, i + 3));
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const d = c < 128 ? LOOKUP[c] : -1;
  if (d < 0) throw new ProtocolViolation(`invalid base64 character at offset ${i}`);
  return d;
}
