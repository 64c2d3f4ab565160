/**
 * The file access the configuration layer needs, as an injectable
 * interface (tests pass fakes or real temporary files), with the Node
 * implementation as default.
 *
 * The default `stat` is synchronous (as libpq's is): every connect stats the
 * password file, which usually does not exist, and `fs.promises.stat` would
 * cost a round trip through libuv's thread pool (about 1 ms on a loaded
 * machine, measured in W12c) plus an ENOENT error with its stack; a local
 * `statSync` with `throwIfNoEntry: false` takes microseconds.
 */

import { promises as fsp, statSync } from 'node:fs';
import { withoutStack } from '../errors/without-stack';

/** What the loader needs to know about a file. */
export interface FileStat {
  mode: number;
  uid?: number;
  isFile(): boolean;
}

/** File access used by `loadConfig`. */
export interface FileAccess {
  /** Reads a whole file as UTF-8 text. */
  readFile(path: string): Promise<string>;
  /** Stats a file; rejects with an `ENOENT` error when it does not exist. */
  stat(path: string): Promise<FileStat>;
  /** Lists a directory's entry names (for `sslcrldir`); absent on file access that cannot list. */
  readDir?(path: string): Promise<string[]>;
}

/** File access through `node:fs/promises`. */
export const nodeFiles: FileAccess = {
  readFile: (path) => fsp.readFile(path, 'utf8'),
  stat: (path) => {
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      return st === undefined ? Promise.reject(missing(path)) : Promise.resolve(st);
    } catch (e) {
      return Promise.reject(e);
    }
  },
  readDir: (path) => fsp.readdir(path),
};

/** The rejection of a stat of a file that does not exist (no stack: it is expected, and caught by {@link statIfExists}). */
function missing(path: string): Error {
  return withoutStack(() => Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT', path }));
}

/** True when `e` says the file does not exist. */
export function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Stats `path`, or returns undefined when it does not exist. Other failures
 * propagate. With the Node file access, a missing file (the usual password
 * file) costs no error object at all.
 */
export async function statIfExists(files: FileAccess, path: string): Promise<FileStat | undefined> {
  try {
    if (files.stat === nodeFiles.stat) return statSync(path, { throwIfNoEntry: false });
    return await files.stat(path);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/**
 * Whether `path` may exist, answered synchronously: false only when the
 * Node file access's stat says it does not. Any other file access (which
 * cannot be asked synchronously) or a failed stat says true, and the
 * caller then reads the files the asynchronous way, as always.
 */
export function mayExistSync(files: FileAccess, path: string): boolean {
  if (files.stat !== nodeFiles.stat) return true;
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}
