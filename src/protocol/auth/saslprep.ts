/**
 * SASLprep (RFC 4013, the stringprep profile SCRAM applies to passwords).
 *
 * Steps: map non-ASCII spaces (RFC 3454 C.1.2) to U+0020 and remove the
 * "commonly mapped to nothing" characters (B.1); normalise with NFKC; refuse
 * the prohibited characters (C.1.2, C.2.1, C.2.2, C.3 to C.9, lone
 * surrogates); apply the bidirectional rule.
 *
 * Limits, documented: unassigned code points (A.1) are allowed, as RFC 4013
 * allows for stored strings and as PostgreSQL does; NFKC is the JS engine's
 * Unicode version, not 3.2; the bidi rule approximates RandALCat by the
 * Hebrew/Arabic/Syriac/Thaana/NKo blocks and their presentation forms and
 * LCat by letters (\p{L}) outside them.
 *
 * PostgreSQL itself uses the raw password when SASLprep fails (both when it
 * stores the verifier and when libpq answers), so {@link saslprep} returns
 * null on failure and callers fall back to the raw string.
 */

const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
// The class lists code points one by one on purpose (RFC 3454 table B.1), combining marks included.
// eslint-disable-next-line no-misleading-character-class
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
/* eslint-disable no-misleading-character-class -- built from RFC 3454 tables C.*, code point by code point; no grapheme is meant */
const PROHIBITED = new RegExp(
  '[' +
    '\\u0000-\\u001F\\u007F-\\u009F' + // C.2.1, C.2.2 (C0, DEL, C1)
    '\\u00A0\\u1680\\u2000-\\u200F\\u2028-\\u202F\\u205F-\\u2063\\u206A-\\u206F\\u3000' + // C.1.2, C.2.2, C.8
    '\\u0340\\u0341\\u06DD\\u070F\\u180E' + // C.8, C.2.2
    '\\u2FF0-\\u2FFB' + // C.7
    '\\uE000-\\uF8FF' + // C.3 (BMP private use)
    '\\uFDD0-\\uFDEF\\uFFF9-\\uFFFF' + // C.4, C.6, C.2.2
    '\\u{1D173}-\\u{1D17A}\\u{E0001}\\u{E0020}-\\u{E007F}' + // C.2.2, C.9
    '\\u{F0000}-\\u{10FFFF}' + // C.3 (planes 15, 16)
    ']|[\\u{1FFFE}\\u{1FFFF}\\u{2FFFE}\\u{2FFFF}\\u{3FFFE}\\u{3FFFF}\\u{4FFFE}\\u{4FFFF}\\u{5FFFE}\\u{5FFFF}\\u{6FFFE}\\u{6FFFF}' +
    '\\u{7FFFE}\\u{7FFFF}\\u{8FFFE}\\u{8FFFF}\\u{9FFFE}\\u{9FFFF}\\u{AFFFE}\\u{AFFFF}\\u{BFFFE}\\u{BFFFF}\\u{CFFFE}\\u{CFFFF}' +
    '\\u{DFFFE}\\u{DFFFF}\\u{EFFFE}\\u{EFFFF}]' + // C.4
    '|\\p{Surrogate}', // C.5 (lone surrogates)
  'u',
);
/* eslint-enable no-misleading-character-class */
const RAND_AL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;
const RAND_AL_FIRST = /^[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;
const RAND_AL_LAST = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]$/u;
const L_CAT = /(?![\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}])\p{L}/u;

/** Prepares `s` with SASLprep; returns null when `s` contains prohibited characters or breaks the bidi rule. */
export function saslprep(s: string): string | null {
  if (isPlainAscii(s)) return s;
  const mapped = s.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (PROHIBITED.test(mapped)) return null;
  if (RAND_AL.test(mapped) && (L_CAT.test(mapped) || !RAND_AL_FIRST.test(mapped) || !RAND_AL_LAST.test(mapped))) return null;
  return mapped;
}

/** Printable ASCII needs no preparation (the overwhelmingly common case). */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
