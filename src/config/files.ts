/**
 * The file access the configuration layer needs, as an injectable
 * interface (tests pass fakes or real temporary files), with the Node
 * implementation as default.
 */

import { promises as fsp } from 'node:fs';

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
  stat: (path) => fsp.stat(path),
  readDir: (path) => fsp.readdir(path),
};

/** True when `e` says the file does not exist. */
export function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Stats `path`, or returns undefined when it does not exist. Other failures propagate. */
export async function statIfExists(files: FileAccess, path: string): Promise<FileStat | undefined> {
  try {
    return await files.stat(path);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
