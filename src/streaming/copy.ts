/**
 * COPY FROM STDIN and COPY TO STDOUT on a held connection.
 *
 * Theory of operation. Both take the connection exclusively (`acquire()`, a
 * Lease) and send the COPY statement as a simple Query whose messages come to
 * one OpHandler. The handler runs inside the read handler, so it only
 * records, and wakes the driving code through `reactor.callSoon`.
 *
 * copyFrom: after CopyInResponse, chunks are pulled from the source one at a
 * time (backpressure: the next is awaited only once the previous was
 * written), encoded (bytes as is, strings as UTF-8, arrays as text-format
 * rows with `\N` for null and backslash escapes) and coalesced into CopyData
 * messages of about 64 KiB; after each message we yield one reactor turn so
 * the session flushes it to the socket before more is produced. The end is
 * CopyDone; a failing source sends CopyFail instead, and once the server has
 * answered, the COPY fails with `CopyAborted` carrying the source error as
 * `cause`. It fires with the row count of the server's `COPY n` tag.
 *
 * copyTo: each CopyData is handed to `onData` (outside the read handler, in
 * order, copied out of the read buffer). Delivery is as fast as the server
 * sends; there is no flow control toward the server.
 */
import type { Connection } from '../connection/connection';
import type { Lease } from '../connection/lease';
import { InterfaceError } from '../errors/base';
import { databaseErrorFrom } from '../errors';
import type { Deferred } from '../defer';
import { fromPromise } from '../defer';
import type { OpHandler } from '../connection/session';
import type { BackendMessage } from '../protocol/messages';

/** What `copyFrom` accepts: raw bytes, text, or rows (arrays of values; null is NULL). */
export type CopyChunk = Uint8Array | string | readonly unknown[];

/** The COPY source failed; the server aborted the COPY (CopyFail). `cause` is the source error. */
export class CopyAborted extends InterfaceError {
  constructor(cause: unknown) {
    super(`COPY aborted: the source failed (${cause instanceof Error ? cause.message : String(cause)})`, { code: 'ERR_COPY_ABORTED', cause });
  }
}

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** One COPY operation's progress, filled by its OpHandler. */
class CopyOp implements OpHandler {
  error: Error | null = null;
  rows = 0;
  readonly copying: Promise<boolean>;
  readonly done: Promise<void>;
  private markStarted!: (copying: boolean) => void;
  private markDone!: () => void;

  constructor(
    private readonly conn: Connection,
    private readonly sql: string,
    private readonly onData?: (chunk: Uint8Array) => void,
  ) {
    this.copying = new Promise((r) => (this.markStarted = r));
    this.done = new Promise((r) => (this.markDone = r));
  }

  message(msg: BackendMessage): void {
    if (msg.type === 'CopyData' && this.onData) {
      const data = msg.data.slice();
      this.conn.reactor.callSoon(() => this.onData!(data));
    } else if (msg.type === 'CopyInResponse' || msg.type === 'CopyOutResponse') {
      this.later(() => this.markStarted(true));
    } else if (msg.type === 'ErrorResponse') {
      this.error ??= databaseErrorFrom(msg.fields, { query: this.sql });
    } else if (msg.type === 'CommandComplete') {
      this.rows = Number(/\d+$/.exec(msg.tag)?.[0] ?? 0);
    }
  }

  ready(): void {
    this.later(() => {
      this.markStarted(false);
      this.markDone();
    });
  }

  abort(error: Error): void {
    this.error ??= error;
    this.ready();
  }

  private later(fn: () => void): void {
    this.conn.reactor.callSoon(fn);
  }
}

/** Encodes one row in COPY text format (tab-separated, `\N` for null, newline-terminated). */
export function encodeCopyRow(row: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(row[i]);
  }
  return line + '\n';
}

function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : s;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Parses one COPY text-format line (with or without its newline) into fields; `\N` is null. */
export function parseCopyRow(line: string): Array<string | null> {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  return body.split('\t').map((f) => (f === '\\N' ? null : f.includes('\\') ? unescapeField(f) : f));
}

function unescapeField(f: string): string {
  return f.replace(/\\(.)/g, (_, c: string) => UNESCAPES[c] ?? c);
}
const UNESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Runs `COPY ... FROM STDIN` and feeds it from `source`; fires with the number
 * of rows copied. A failing source aborts the COPY (CopyFail) and fails with
 * `CopyAborted` (its `cause` is the source error); a server error fails with
 * the `DatabaseError`.
 */
export function copyFrom(conn: Connection, sql: string, source: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number> {
  return fromPromise(withLease(conn, (lease) => runCopyIn(conn, lease, sql, source)));
}

/**
 * Runs `COPY ... TO STDOUT`, handing each CopyData (for text format, one row
 * per chunk) to `onData`; fires with the number of rows copied.
 */
export function copyToCallback(conn: Connection, sql: string, onData: (chunk: Uint8Array) => void): Deferred<number> {
  return fromPromise(
    withLease(conn, async (lease) => {
      const op = new CopyOp(conn, sql, onData);
      lease.send({ type: 'simpleQuery', sql }, op);
      await op.done;
      if (op.error) throw op.error;
      return op.rows;
    }),
  );
}

async function withLease<T>(conn: Connection, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await conn.acquire();
  try {
    return await fn(lease);
  } finally {
    lease.release();
  }
}

async function runCopyIn(conn: Connection, lease: Lease, sql: string, source: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Promise<number> {
  const op = new CopyOp(conn, sql);
  lease.send({ type: 'simpleQuery', sql }, op);
  if (!(await op.copying)) throw op.error ?? new InterfaceError('the statement did not start a COPY FROM STDIN', { code: 'ERR_NOT_COPY' });
  let sourceError: unknown = null;
  try {
    await pump(conn, lease, op, source);
    lease.send({ type: 'copyDone' });
  } catch (e) {
    if (op.error !== null) throw op.error; // the session went away
    sourceError = e;
    lease.send({ type: 'copyFail', message: `source failed: ${e instanceof Error ? e.message : String(e)}` });
  }
  await op.done;
  if (sourceError !== null) throw new CopyAborted(sourceError);
  if (op.error) throw op.error;
  return op.rows;
}

/** Pulls, encodes and sends the source in ~64 KiB CopyData messages, yielding a turn after each. */
async function pump(conn: Connection, lease: Lease, op: CopyOp, source: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Promise<void> {
  let text = '';
  const send = async (data: Uint8Array): Promise<void> => {
    if (op.error !== null) throw op.error;
    lease.send({ type: 'copyData', data });
    await new Promise<void>((r) => conn.reactor.callSoon(r));
  };
  for await (const chunk of source as AsyncIterable<CopyChunk>) {
    if (chunk instanceof Uint8Array) {
      if (text.length > 0) await send(encoder.encode(text));
      text = '';
      await send(chunk);
      continue;
    }
    text += typeof chunk === 'string' ? chunk : encodeCopyRow(chunk);
    if (text.length >= CHUNK) {
      await send(encoder.encode(text));
      text = '';
    }
  }
  if (text.length > 0) await send(encoder.encode(text));
}
