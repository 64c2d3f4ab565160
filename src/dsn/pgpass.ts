/**
 * The password file (~/.pgpass), with libpq's format and matching rules.
 *
 * Theory of operation: each line is `host:port:database:user:password`.
 * Lines starting with '#' and blank lines are skipped; lines with fewer than
 * five fields never match. In every field, `\:` is a literal colon and
 * `\\` a literal backslash; a whole field of `*` (unescaped) matches
 * anything. The first matching line wins. A connection over the default
 * unix-socket directory (or with no host) is looked up as host `localhost`,
 * as libpq does; another socket directory is looked up by its path.
 */

import { DEFAULT_SOCKET_DIR } from './hosts';

/** One line of a password file. `null` is a `*` wildcard. */
export interface PgpassEntry {
  host: string | null;
  port: string | null;
  database: string | null;
  user: string | null;
  password: string;
}

/** What a password is looked up for. */
export interface PgpassTarget {
  host: string;
  port: number | string;
  database: string;
  user: string;
}

/** Parses the text of a password file into entries, skipping comments, blank and short lines. */
export function parsePgpass(text: string): PgpassEntry[] {
  const out: PgpassEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (fields.length < 5) continue;
    const [host, port, database, user, password] = fields;
    out.push({ host: wild(host), port: wild(port), database: wild(database), user: wild(user), password: password.value });
  }
  return out;
}

interface Field {
  value: string;
  star: boolean;
}

function splitFields(line: string): Field[] {
  const fields: Field[] = [];
  let value = '';
  let escaped = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ':') {
      fields.push({ value, star: value === '*' && !escaped });
      if (fields.length === 5) return fields;
      value = '';
      escaped = false;
    } else if (c === '\\' && i + 1 < line.length) {
      value += line[++i];
      escaped = true;
    } else value += c;
  }
  fields.push({ value, star: value === '*' && !escaped });
  return fields;
}

function wild(f: Field): string | null {
  return f.star ? null : f.value;
}

/** The host name libpq uses for pgpass: 'localhost' for no host or the default socket directory. */
export function pgpassHostFor(host: string, defaultSocketDir: string = DEFAULT_SOCKET_DIR): string {
  return host === '' || host === defaultSocketDir ? 'localhost' : host;
}

/**
 * Finds the password for `target` in `entries`: the first entry whose four
 * fields each match (`*` matches anything). `target.host` is mapped with
 * `pgpassHostFor`. Returns undefined when none matches.
 */
export function lookupPgpass(entries: readonly PgpassEntry[], target: PgpassTarget, defaultSocketDir?: string): string | undefined {
  const host = pgpassHostFor(target.host, defaultSocketDir);
  const port = String(target.port);
  const hit = entries.find(
    (e) => matches(e.host, host) && matches(e.port, port) && matches(e.database, target.database) && matches(e.user, target.user),
  );
  return hit?.password;
}

function matches(pattern: string | null, value: string): boolean {
  return pattern === null || pattern === value;
}
