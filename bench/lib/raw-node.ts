/**
 * The raw Node floor: the least any Node.js client can do for a workload,
 * so the report shows which targets a driver can reach on this machine.
 *
 * Theory of operation. A {@link RawConnection} is a bare `net.Socket`
 * (TCP_NODELAY, like every driver) that writes prebuilt protocol bytes and
 * resolves when the server's answer is complete, without decoding it: a
 * frame walker reads each message's type byte and length and skips its
 * body, counting CopyData messages and noting an ErrorResponse; nothing is
 * allocated per row. What remains is what no Node driver can avoid: the
 * event loop, one read callback per socket read, one write syscall per
 * request and a Promise per round trip. A driver's cost above this floor is
 * its own (decoding rows, building results, Deferreds, bookkeeping); the
 * floor's distance to pgbench (C and libpq, two threads in W14) is the
 * runtime's.
 *
 * Only trust authentication and plain TCP are spoken (the bench's private
 * server gives the `postgres` role trust); anything else fails the floor's
 * run with a clear error, never a hang.
 */
import * as net from 'node:net';

/** Protocol 3.0 in the StartupMessage. */
const PROTOCOL_3 = 196608;

/** A message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`);
const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Sync: ends a group of extended-protocol messages. */
export const SYNC = message('S', Buffer.alloc(0));
/** Execute of the unnamed portal, all rows. */
export const EXECUTE = message('E', Buffer.concat([cstring(''), int32(0)]));
/** CopyDone. */
export const COPY_DONE = message('c', Buffer.alloc(0));

/** A simple-protocol Query. */
export const query = (sql: string): Buffer => message('Q', cstring(sql));
/** Parse of a named statement, parameter types left to the server. */
export const parse = (name: string, sql: string): Buffer => message('P', Buffer.concat([cstring(name), cstring(sql), int16(0)]));
/** CopyData with `chunk` as payload. */
export const copyData = (chunk: Buffer): Buffer => message('d', chunk);

/** Bind of statement `name` to the unnamed portal with text parameters and text results. */
export function bind(name: string, params: readonly (string | number)[] = []): Buffer {
  const parts = [cstring(''), cstring(name), int16(0), int16(params.length)];
  for (const p of params) {
    const v = Buffer.from(String(p));
    parts.push(int32(v.length), v);
  }
  parts.push(int16(0));
  return message('B', Buffer.concat(parts));
}

/** What the server sent up to the awaited message. */
export interface RawAnswer {
  /** CopyData messages received. */
  readonly copyData: number;
}

/** The awaited message type and what to do when it arrives. */
interface Waiter {
  readonly until: number;
  resolve(a: RawAnswer): void;
  reject(e: Error): void;
}

const TYPE_Z = 0x5a; // ReadyForQuery
const TYPE_E = 0x45; // ErrorResponse
const TYPE_D = 0x64; // CopyData
const TYPE_R = 0x52; // Authentication*

/** One bare connection; one request in flight at a time. */
export class RawConnection {
  private readonly header = Buffer.alloc(9);
  private headerFill = 0;
  private skip = 0;
  private copyData = 0;
  private error: string | null = null;
  private waiter: Waiter | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.walk(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('raw Node floor: the server closed the connection')));
  }

  /** Connects to `url` (postgres://user@host:port/db, trust authentication only) and waits for ReadyForQuery. */
  static async open(url: string): Promise<RawConnection> {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawConnection(socket);
    const user = decodeURIComponent(u.username || 'postgres');
    const db = decodeURIComponent(u.pathname.slice(1) || user);
    const body = Buffer.concat([int32(PROTOCOL_3), cstring('user'), cstring(user), cstring('database'), cstring(db), Buffer.from([0])]);
    await c.request(Buffer.concat([int32(body.length + 4), body]));
    return c;
  }

  /** Writes `bytes`; resolves at the next message of type `until` (ReadyForQuery by default), rejects on an ErrorResponse. */
  request(bytes: Buffer, until = 'Z'): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.waiter = { until: until.charCodeAt(0), resolve, reject };
      this.socket.write(bytes);
    });
  }

  /** Writes `bytes` without waiting for an answer (COPY data). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Ends the connection (Terminate, then close). */
  close(): Promise<void> {
    this.waiter = null;
    return new Promise((resolve) => this.socket.end(message('X', Buffer.alloc(0)), () => resolve()));
  }

  /**
   * Walks the frames of one read: headers are gathered across reads, bodies
   * skipped; an Authentication message's header takes its int32 code too.
   */
  private walk(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        i += k;
        this.skip -= k;
        continue;
      }
      if (this.headerFill === 0 && i + 9 <= n) {
        // the whole header is in this read (the common case): no byte-by-byte gathering
        const type = chunk[i];
        chunk.copy(this.header, 0, i, i + 9);
        const headerLength = type === TYPE_R ? 9 : 5;
        this.skip = chunk.readInt32BE(i + 1) + 1 - headerLength;
        i += headerLength;
        this.onMessage(type);
        continue;
      }
      this.header[this.headerFill++] = chunk[i++];
      if (this.headerFill < (this.header[0] === TYPE_R ? 9 : 5)) continue;
      this.skip = this.header.readInt32BE(1) + 1 - this.headerFill;
      this.headerFill = 0;
      this.onMessage(this.header[0]);
    }
  }

  /** One message's header is read (its body is skipped). */
  private onMessage(type: number): void {
    if (type === TYPE_D) this.copyData++;
    else if (type === TYPE_E) this.error ??= 'the server answered with an ErrorResponse';
    else if (type === TYPE_R && this.header.readInt32BE(5) !== 0) {
      this.socket.destroy();
      return this.fail(new Error('raw Node floor: the server asks for a password; the floor speaks trust authentication only'));
    }
    const w = this.waiter;
    if (w === null || (type !== w.until && type !== TYPE_Z)) return; // ReadyForQuery always ends a request
    this.waiter = null;
    const [error, copied] = [this.error, this.copyData];
    [this.error, this.copyData] = [null, 0];
    if (error === null && type === w.until) w.resolve({ copyData: copied });
    else w.reject(new Error(`raw Node floor: ${error ?? 'the request ended before the awaited message'}`));
  }

  /** Rejects the pending request (socket error or close). */
  private fail(e: Error): void {
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}
