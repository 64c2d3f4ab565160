/**
 * The `key=value` connection string parser (libpq's conninfo format).
 *
 * Theory of operation: a single left-to-right scan. Whitespace separates
 * pairs and may surround '='. A value is either bare (up to whitespace) or
 * single-quoted (up to the closing quote); in both, a backslash makes the
 * next character literal, so `'it\'s'` and `a\ b` work. A repeated keyword
 * keeps its last value; an unknown keyword is an error naming it. Messages
 * never quote the value of a secret keyword, nor a token that follows one
 * (`password=two words` must not leak "words").
 */

import { configError } from './errors';
import { isKeyword, SECRET_KEYWORDS } from './keywords';
import type { DsnParams } from './params';

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Parses a libpq `key=value ...` string into raw keyword values. */
export function parseKeyValue(text: string): DsnParams {
  const out: DsnParams = {};
  const scan = { text, pos: 0 };
  let previous = '';
  for (;;) {
    skipSpace(scan);
    if (scan.pos >= text.length) return out;
    const keyword = readKeyword(scan, previous);
    skipSpace(scan);
    const value = readValue(scan, keyword);
    if (!isKeyword(keyword)) throw configError(`invalid connection option "${keyword}"`);
    out[keyword] = value;
    previous = keyword;
  }
}

interface Scan {
  text: string;
  pos: number;
}

function skipSpace(s: Scan): void {
  while (isSpace(s.text[s.pos])) s.pos++;
}

function readKeyword(s: Scan, previous: string): string {
  const start = s.pos;
  while (s.pos < s.text.length && s.text[s.pos] !== '=' && !isSpace(s.text[s.pos])) s.pos++;
  const keyword = s.text.slice(start, s.pos);
  skipSpace(s);
  if (s.text[s.pos] !== '=') throw missingEquals(keyword, previous);
  s.pos++;
  return keyword;
}

function missingEquals(token: string, previous: string): Error {
  if (SECRET_KEYWORDS.has(previous)) {
    return configError(`missing "=" after the value of "${previous}" in connection string (quote values that contain spaces)`);
  }
  return configError(`missing "=" after "${token.slice(0, 60)}" in connection string`);
}

function readValue(s: Scan, keyword: string): string {
  return s.text[s.pos] === "'" ? readQuoted(s, keyword) : readBare(s);
}

function readBare(s: Scan): string {
  let value = '';
  while (s.pos < s.text.length && !isSpace(s.text[s.pos])) {
    if (s.text[s.pos] === '\\' && s.pos + 1 < s.text.length) s.pos++;
    value += s.text[s.pos++];
  }
  return value;
}

function readQuoted(s: Scan, keyword: string): string {
  let value = '';
  s.pos++;
  while (s.pos < s.text.length && s.text[s.pos] !== "'") {
    if (s.text[s.pos] === '\\' && s.pos + 1 < s.text.length) s.pos++;
    value += s.text[s.pos++];
  }
  if (s.pos >= s.text.length) throw configError(`unterminated quoted string in connection string (value of "${keyword}")`);
  s.pos++;
  return value;
}
