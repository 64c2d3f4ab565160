/**
 * `loadConfig`: the impure wrapper around the pure `resolveConfig`.
 *
 * Theory of operation: it supplies what the pure layer takes as arguments
 * (the environment, the OS user name, the platform's default host), then
 * does the file work libpq does at connect time: the password file when no
 * password was given, and the TLS files. Every input can be injected, so
 * tests run on temporary files and fake environments.
 */

import * as os from 'node:os';

import { readConnectInput } from '../dsn/input';
import type { ConnectInput, ConnectParams } from '../dsn/params';
import { DEFAULT_SOCKET_DIR, type Env, resolveExplicit } from '../dsn/resolve';
import { type FileAccess, mayExistSync, nodeFiles } from './files';
import { applyPgpass, defaultPassfile } from './pgpass-file';
import { loadTlsMaterial, type TlsMaterial, tlsMaterialWithoutFiles } from './tls-files';

/** Resolved parameters plus the TLS material read from files. */
export interface LoadedConfig extends ConnectParams {
  /** PEM text of the TLS files; undefined when TLS will not be used. */
  tls?: TlsMaterial;
}

/** Options of {@link loadConfig}; each defaults to the real process and file system. */
export interface LoadOptions {
  /** Default `process.env`. */
  env?: Env;
  /** Default `os.userInfo().username`, looked up only when no user is given (it reads the user database). */
  osUser?: string;
  /** Default `os.homedir()`. */
  homeDir?: string;
  /** Default `process.platform`: decides the default host and the pgpass location. */
  platform?: string;
  /** The host when none is given; default per platform (see `defaultHostFor`). */
  defaultHost?: string;
  /** Reads a file as text; default `fs.promises.readFile(path, 'utf8')`. */
  readFile?: FileAccess['readFile'];
  /** Stats a file; default `fs.promises.stat`. */
  stat?: FileAccess['stat'];
  /** Lists a folder (`sslcrldir`); default `fs.promises.readdir`. */
  readDir?: FileAccess['readDir'];
  /** Check file permissions (pgpass, TLS key); default true except on Windows. */
  checkPermissions?: boolean;
}

/** The default host: 'localhost' on Windows, '/tmp' on macOS, else {@link DEFAULT_SOCKET_DIR}. */
export function defaultHostFor(platform: string): string {
  if (platform === 'win32') return 'localhost';
  return platform === 'darwin' ? '/tmp' : DEFAULT_SOCKET_DIR;
}

/**
 * Resolves connection parameters like libpq: explicit > connection string >
 * PG* environment > defaults, then the password file (refused with
 * `ERR_PGPASS_PERMISSIONS` when group or world can access it) and the TLS
 * files. `input` is a connection string, a {@link ConnectInput} object, or
 * undefined (PG* variables and defaults). Never throws: it returns a
 * rejected promise, before reading any file, with an InterfaceError
 * (`ERR_INVALID_ARGUMENT`) for input that is neither (null, a number, an
 * array, a URL object) and a ConfigurationError naming the key for an
 * unknown key or a value of the wrong type. Errors never contain a password.
 */
export async function loadConfig(input: string | ConnectInput | undefined, options: LoadOptions = {}): Promise<LoadedConfig> {
  return loadConfigSoon(input, options);
}

/**
 * @internal {@link loadConfig} for the connection: the configuration itself,
 * at once, when no file has to be read (no password file, and no TLS or
 * none of its files present), else the
 * promise of it; so a plain connect costs no promises or microtask hops.
 * Throws synchronously what `loadConfig` rejects with.
 */
export function loadConfigSoon(input: string | ConnectInput | undefined, options: LoadOptions = {}): LoadedConfig | Promise<LoadedConfig> {
  const explicit = readConnectInput(input);
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const defaultHost = options.defaultHost ?? defaultHostFor(platform);
  const params: LoadedConfig = resolveExplicit(explicit, env, { osUser: options.osUser ?? currentUser, defaultHost });
  const files = fileAccess(options);
  const home = options.homeDir ?? os.homedir();
  const checkPermissions = options.checkPermissions ?? platform !== 'win32';
  // the password file is only looked for (its path only built) when no password is given
  const passfile = params.password === undefined ? params.passfile ?? defaultPassfile(home, platform, env) : undefined;
  if (passfile === undefined || !mayExistSync(files, passfile)) {
    const tls = tlsMaterialWithoutFiles(params, files, home);
    if (tls !== null) {
      if (tls !== undefined) params.tls = tls;
      return params;
    }
  }
  const socketDir = defaultHost.startsWith('/') ? defaultHost : DEFAULT_SOCKET_DIR;
  return readFiles(params, { passfile, files, home, checkPermissions, socketDir });
}

/** The file work of {@link loadConfig}: the password file, then the TLS files. */
async function readFiles(
  params: LoadedConfig,
  o: { passfile: string | undefined; files: FileAccess; home: string; checkPermissions: boolean; socketDir: string },
): Promise<LoadedConfig> {
  if (o.passfile !== undefined) await applyPgpass(params, o.passfile, o.files, { checkPermissions: o.checkPermissions, defaultSocketDir: o.socketDir });
  const tls = await loadTlsMaterial(params, o.files, { home: o.home, checkPermissions: o.checkPermissions, uid: process.getuid?.() });
  if (tls !== undefined) params.tls = tls;
  return params;
}

/** The file access of `options`: the Node one itself when none of its functions is replaced (no object per connect). */
function fileAccess(options: LoadOptions): FileAccess {
  if (options.readFile === undefined && options.stat === undefined && options.readDir === undefined) return nodeFiles;
  return { readFile: options.readFile ?? nodeFiles.readFile, stat: options.stat ?? nodeFiles.stat, readDir: options.readDir ?? nodeFiles.readDir };
}

/** The OS user name, or undefined when the system cannot tell. */
function currentUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
