/**
 * Percent-decoding for connection URIs, with libpq's rules: '%' must be
 * followed by two hex digits, '%00' is forbidden, '+' stays '+', and the
 * decoded bytes must be valid UTF-8.
 */

import { configError } from './errors';

/**
 * Decodes `%XX` sequences in `text`. `part` names the URI part for messages
 * (e.g. "host", "the password"); `show` is false for secret parts, whose
 * text is then never quoted.
 */
export function percentDecode(text: string, part: string, show = true): string {
  if (!text.includes('%')) return text;
  const where = show ? ` ${JSON.stringify(text.slice(0, 60))}` : '';
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw configError(`invalid percent-encoded token in ${part} of connection URI${where}`);
  if (/%00/.test(text)) throw configError(`forbidden value %00 in ${part} of connection URI${where}`);
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw configError(`percent-encoded ${part} of connection URI is not valid UTF-8${where}`, cause);
  }
}
