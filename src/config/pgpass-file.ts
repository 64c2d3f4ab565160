/**
 * Consulting the password file for a resolved configuration.
 *
 * Theory of operation: only when no password was given, the file named by
 * `passfile` (PGPASSFILE), else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf
 * on Windows), is read if it exists and is a regular file. On POSIX systems
 * a file with any group or world permission bit is refused with
 * {@link PgpassPermissionError}. Each host is looked up separately (libpq
 * does the same), and a match is stored on that host as `password`.
 */

import * as path from 'node:path';

import { configError } from '../dsn/errors';
import type { ConnectParams } from '../dsn/params';
import { lookupPgpass, parsePgpass } from '../dsn/pgpass';
import { PgpassPermissionError } from './errors';
import { type FileAccess, statIfExists } from './files';

/** Where the password file is, when `passfile` is not given. */
export function defaultPassfile(home: string, platform: string, env: Readonly<Record<string, string | undefined>>): string {
  if (platform === 'win32') return path.join(env.APPDATA ?? home, 'postgresql', 'pgpass.conf');
  return path.join(home, '.pgpass');
}

/**
 * Fills `hosts[i].password` from the password file when `params.password`
 * is unset. Returns the same object. Refuses an over-permissive file.
 */
export async function applyPgpass(
  params: ConnectParams,
  file: string,
  files: FileAccess,
  options: { checkPermissions: boolean; defaultSocketDir?: string },
): Promise<ConnectParams> {
  if (params.password !== undefined) return params;
  const st = await statIfExists(files, file);
  if (st === undefined || !st.isFile()) return params;
  if (options.checkPermissions && (st.mode & 0o077) !== 0) throw new PgpassPermissionError(file, st.mode);
  const entries = parsePgpass(await readText(files, file));
  for (const h of params.hosts) {
    const password = lookupPgpass(entries, { host: h.host, port: h.port, database: params.database, user: params.user }, options.defaultSocketDir);
    if (password !== undefined) h.password = password;
  }
  return params;
}

async function readText(files: FileAccess, file: string): Promise<string> {
  try {
    return await files.readFile(file);
  } catch (cause) {
    throw configError(`could not read password file "${file}"`, cause);
  }
}
