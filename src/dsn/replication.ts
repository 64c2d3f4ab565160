/**
 * libpq's `replication` keyword: which kind of walsender to ask for.
 *
 * The value goes to the server in the StartupMessage. `database` asks for a
 * logical replication walsender connected to the database (replication
 * commands and SQL both allowed); a true boolean asks for a physical
 * replication walsender (replication commands only); a false one for an
 * ordinary backend. The server reads the boolean forms itself; the DSN
 * layer checks them and normalizes each to one spelling, so the session,
 * and the machine's legality rules, see only {@link ReplicationMode}.
 */
import { configError, quoteValue } from './errors';

/** A checked `replication` value: `database` (logical), `true` (physical) or `false` (none). */
export type ReplicationMode = 'database' | 'true' | 'false';

const TRUE = new Set(['true', 'on', 'yes', '1']);
const FALSE = new Set(['false', 'off', 'no', '0']);

/**
 * Reads a `replication` value: `database`, or a boolean written
 * `true`/`on`/`yes`/`1` or `false`/`off`/`no`/`0` (any case, blanks around
 * ignored). Anything else is a ConfigurationError naming the keyword.
 */
export function parseReplication(value: string): ReplicationMode {
  const v = value.trim().toLowerCase();
  if (v === 'database') return 'database';
  if (TRUE.has(v)) return 'true';
  if (FALSE.has(v)) return 'false';
  throw configError(`invalid replication value: ${quoteValue('replication', value)} (expected database, true/on/yes/1 or false/off/no/0)`);
}
