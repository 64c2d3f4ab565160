/**
 * `parseDsn`: one entry point for both connection string formats. A string
 * starting with `postgresql://` or `postgres://` is a URI; anything else is
 * a `key=value` string (an empty string means "all defaults"), as in libpq.
 */

import type { DsnParams } from './params';
import { parseKeyValue } from './parse-keyvalue';
import { isUri, parseUri } from './parse-uri';

/**
 * Parses a libpq connection string (URI or `key=value`) into raw keyword
 * values, without defaults or environment. Throws a ConfigurationError
 * (code `ERR_INVALID_CONFIG`) naming the problem, never the password.
 */
export function parseDsn(dsn: string): DsnParams {
  const text = dsn.trim();
  return isUri(text) ? parseUri(text) : parseKeyValue(text);
}
