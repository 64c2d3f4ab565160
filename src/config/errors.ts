/**
 * Errors of the impure configuration layer: files that must not be used
 * because other users could read them.
 */

import { ConfigurationError, type PgErrorOptions } from '../errors/base';

/** Shows a file mode as four octal digits, e.g. `0644`. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * The password file allows group or world access, so it is refused (libpq
 * only warns and ignores it; we fail loudly). Code `ERR_PGPASS_PERMISSIONS`.
 */
export class PgpassPermissionError extends ConfigurationError {
  /** The password file's path. */
  readonly path: string;
  /** Its permission bits. */
  readonly mode: number;
  constructor(path: string, mode: number, options?: PgErrorOptions) {
    super(
      `password file "${path}" has group or world access (mode ${octalMode(mode)}); ` +
        `it must be u=rw (0600) or less, e.g. run: chmod 0600 "${path}"`,
      options,
    );
    (this as { code: string }).code = 'ERR_PGPASS_PERMISSIONS';
    this.path = path;
    this.mode = mode;
  }
}

/**
 * The TLS private key file allows group or world access (libpq refuses it
 * too). Code `ERR_SSLKEY_PERMISSIONS`.
 */
export class SslKeyPermissionError extends ConfigurationError {
  /** The key file's path. */
  readonly path: string;
  /** Its permission bits. */
  readonly mode: number;
  constructor(path: string, mode: number) {
    super(
      `private key file "${path}" has group or world access (mode ${octalMode(mode)}); it must be u=rw (0600) or less ` +
        'if owned by the current user, or u=rw,g=r (0640) or less if owned by root',
    );
    (this as { code: string }).code = 'ERR_SSLKEY_PERMISSIONS';
    this.path = path;
    this.mode = mode;
  }
}
