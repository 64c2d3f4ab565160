/**
 * How the DSN layer reports bad input: a ConfigurationError (code
 * `ERR_INVALID_CONFIG`) whose message may quote keywords and non-secret
 * values, but never a password (see {@link quoteValue}).
 */

import { ConfigurationError } from '../errors/base';
import { SECRET_KEYWORDS } from './keywords';

/** Makes the ConfigurationError for bad connection parameters. */
export function configError(message: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(message, cause === undefined ? undefined : { cause });
}

/** Quotes `value` for a message: `"value"`, shortened past 60 characters, or `(hidden)` when `keyword` is secret. */
export function quoteValue(keyword: string, value: string): string {
  if (SECRET_KEYWORDS.has(keyword)) return '(hidden)';
  const short = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(short);
}
