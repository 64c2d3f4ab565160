/**
 * What the process holds: open file descriptors (sockets included) and
 * resident memory. Linux-only for descriptors (/proc/self/fd); elsewhere
 * the count is NaN and the leak check is skipped, never faked.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { sleep } from './wait';

/** The number of open file descriptors of this process, or NaN without /proc. */
export function openFds(): number {
  try {
    // readdir opens the directory itself: one descriptor more than at rest
    return fs.readdirSync('/proc/self/fd').length - 1;
  } catch {
    return NaN;
  }
}

/**
 * Waits up to `ms` for the descriptor count to come back to `baseline`
 * (closing sockets finishes asynchronously); returns the last count.
 */
export async function settledFds(baseline: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let n = openFds();
  while (n > baseline && Date.now() < deadline) {
    await sleep(50);
    n = openFds();
  }
  return n;
}

/** Open descriptors now: number -> what it points at (a path, `socket:[inode]`, `pipe:[inode]`...); empty without /proc. */
export function fdTable(): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      try {
        out.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
      } catch {
        /* the directory's own descriptor, closed already */
      }
    }
  } catch {
    /* no /proc */
  }
  return out;
}

/** The TCP endpoints of a socket inode ("local -> remote, state"), from /proc/net/tcp; null when not a TCP socket. */
function tcpOf(inode: string): string | null {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[9] !== inode) continue;
      const port = (hexAddr: string): number => parseInt(hexAddr.split(':')[1], 16);
      return `tcp :${port(f[1])} -> :${port(f[2])} (state ${f[3]})`;
    }
  }
  return null;
}

/** The descriptors open now that were not in `before`, described (TCP sockets with their ports). */
export function newFds(before: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [fd, target] of fdTable()) {
    if (before.get(fd) === target) continue;
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    out.push(`fd ${fd}: ${(inode && tcpOf(inode)) ?? target}`);
  }
  return out;
}

/**
 * Sockets Node still holds open although they were destroyed (the trace of
 * a descriptor leak), with their addresses; from Node's list of active
 * handles (an internal, undocumented API: diagnostics only, empty if gone).
 */
export function destroyedButOpen(): string[] {
  const list = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  return list
    .filter((h): h is net.Socket => h instanceof net.Socket && h.destroyed)
    .map((s) => {
      const x = s as net.Socket & { _peername?: { port?: number }; _sockname?: { port?: number } | null };
      return `destroyed socket still open: local :${x._sockname?.port ?? '?'} -> :${x._peername?.port ?? '?'}, ended ${s.writableEnded}, error ${s.errored?.message ?? 'none'}`;
    });
}

/** Resident set size in MiB, after a full garbage collection when `--expose-gc` made one available. */
export function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / (1024 * 1024);
}
