/**
 * COPY FROM STDIN and COPY TO STDOUT on a held connection.
 *
 * Theory of operation. Both take the connection exclusively (`acquire()`, a
 * Lease) and send the COPY statement as a simple Query whose messages come to
 * one OpHandler ({@link CopyOp}). The handler runs inside the read handler,
 * so it only records, and wakes the driving code through `reactor.callSoon`.
 * Everything here is a Deferred chain scheduled by the reactor (see
 * `chains.ts`); Promises appear only where a caller's async iterable or
 * consumer hands us one, marked `public boundary: Promise`.
 *
 * copyFrom: after CopyInResponse, chunks are pulled from the source
 * (encoded: bytes as is, strings as UTF-8, arrays as text-format rows with
 * `\N` for null and backslash escapes) and coalesced into CopyData messages
 * of about 64 KiB. After each message the pump yields one reactor turn, so
 * the session flushes it to the transport; then, while the transport's write
 * buffer is over its high-water mark (the session's flow control, see
 * `session.ts`), it waits for the buffer to drain before pulling more. So
 * however large the source, what is buffered stays near the transport's mark
 * plus one message, and a source is only pulled as fast as the server takes
 * the data. A synchronous iterable is pulled in a tight loop between sends;
 * an async one, one `next()` at a time. The end is CopyDone; a failing source
 * sends CopyFail instead, and once the server has answered, the COPY fails
 * with `CopyAborted` carrying the source error as `cause`. It fires with the
 * row count of the server's `COPY n` tag.
 *
 * copyTo: each CopyData payload is copied out of the read buffer into an
 * append-only arena (one allocation per 64 KiB, not per message) and queued
 * as a view of it, or with `batch` left open so that every payload received
 * before the consumer's next turn goes out as one chunk; chunks are handed
 * to the consumer (`onData`) in order, outside the read handler, with no
 * Deferred per chunk unless the consumer returns something to wait for. A
 * consumer that returns a Deferred or Promise is given the next chunk only
 * once that has settled. While more than {@link COPY_OUT_HIGH_WATER_MARK}
 * bytes wait in the queue (the consumer lags), the session stops reading
 * from the server (TCP then holds the server back); reading resumes once the
 * queue is down to {@link COPY_OUT_LOW_WATER_MARK}. The COPY fires after the
 * last chunk was consumed.
 */
import type { Connection } from '../connection/connection';
import type { Lease } from '../connection/lease';
import { InterfaceError } from '../errors/base';
import { databaseErrorFrom } from '../errors';
import { Deferred, fromPromise, maybeDeferred, succeed } from '../defer';
import type { OpFlow, OpHandler } from '../connection/session';
import type { BackendMessage } from '../protocol/messages';
import { detach, loop, Shared, soon } from './chains';

/** What `copyFrom` accepts: raw bytes, text, or rows (arrays of values; null is NULL). */
export type CopyChunk = Uint8Array | string | readonly unknown[];

/**
 * A source the COPY pump pulls from: iterables and Observables are adapted
 * to it. `next()` gives the next chunk at once or as a Deferred (`done` at
 * the end) and throws or fails when the source fails; `stop()` tells the
 * source it will not be pulled again (the COPY ended without it).
 */
export interface ChunkSource {
  next(): IteratorResult<CopyChunk, unknown> | Deferred<IteratorResult<CopyChunk, unknown>>;
  stop(): void;
}

/** The COPY source failed; the server aborted the COPY (CopyFail). `cause` is the source error. */
export class CopyAborted extends InterfaceError {
  constructor(cause: unknown) {
    super(`COPY aborted: the source failed (${cause instanceof Error ? cause.message : String(cause)})`, { code: 'ERR_COPY_ABORTED', cause });
  }
}

/** Bytes of COPY TO data queued for a lagging consumer at which the server stops being read. */
export const COPY_OUT_HIGH_WATER_MARK = 64 * 1024;
/** ...and at which it is read again. */
export const COPY_OUT_LOW_WATER_MARK = 16 * 1024;

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** What a COPY TO consumer may return: nothing, or something to wait for before the next chunk. */
export type CopyConsumerResult = void | PromiseLike<unknown>;

/** Options of {@link copyToCallback} and {@link copyToIterator}. */
export interface CopyToCallbackOptions {
  /**
   * Hand the consumer the payloads of several CopyData messages at once,
   * concatenated in order: everything that arrived since the consumer was
   * last called (at most about {@link COPY_OUT_HIGH_WATER_MARK} plus one
   * read). A chunk always ends at a message boundary, so in text format it
   * holds whole rows. Default false: one chunk per CopyData (for text
   * format, one row).
   */
  batch?: boolean;
}

/** Capacity of the first buffer CopyData payloads are copied into; later ones fit the largest payload seen. */
const ARENA = 64 * 1024;

/** One COPY operation's progress, filled by its OpHandler; see the file comment. */
class CopyOp implements OpHandler {
  error: Error | null = null;
  rows = 0;
  /** Fires with true at CopyIn/CopyOutResponse, false when the statement ended without starting a COPY. */
  readonly copying = new Deferred<boolean>();
  /** Fires once the statement ended (ReadyForQuery or the session's end) and every chunk was consumed. */
  readonly done = new Deferred<void>();
  private flow: OpFlow | null = null;
  private drainWaiter: Deferred<void> | null = null;
  private ended = false;
  // COPY TO: payloads are copied out of the read buffer into an arena that is
  // only ever appended to (a chunk handed out is a view of it and is never
  // overwritten); a full arena is left to the views and a new one started.
  private arena: Uint8Array = new Uint8Array(0);
  private arenaEnd = 0;
  /** Batch mode: where the bytes not yet sealed into a chunk start in the arena. */
  private openStart = 0;
  // chunks not yet handed to the consumer
  private queue: Uint8Array[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readingPaused = false;
  private deliveryScheduled = false;
  private delivering = false;
  private consumerError: Error | null = null;
  private readonly deliverSoon = (): void => {
    this.deliveryScheduled = false;
    this.deliver();
  };

  constructor(
    private readonly conn: Connection,
    private readonly sql: string,
    private readonly onData?: (chunk: Uint8Array) => CopyConsumerResult,
    private readonly batch = false,
  ) {}

  attached(flow: OpFlow): void {
    this.flow = flow;
  }

  /** A CopyData straight from the session's read (the common path; see `OpHandler.copyData`). */
  copyData(buf: Uint8Array, start: number, end: number): void {
    if (this.onData) this.enqueue(buf, start, end);
  }

  message(msg: BackendMessage): void {
    if (msg.type === 'CopyData') {
      if (this.onData) this.enqueue(msg.data, 0, msg.data.length);
    } else if (msg.type === 'CopyInResponse' || msg.type === 'CopyOutResponse') {
      this.later(() => this.copying.called || this.copying.callback(true));
    } else if (msg.type === 'ErrorResponse') {
      this.error ??= databaseErrorFrom(msg.fields, { query: this.sql });
    } else if (msg.type === 'CommandComplete') {
      this.rows = Number(/\d+$/.exec(msg.tag)?.[0] ?? 0);
    }
  }

  ready(): void {
    this.ended = true;
    this.later(() => {
      if (!this.copying.called) this.copying.callback(false);
      this.wakeWriter();
      this.deliver();
    });
  }

  abort(error: Error): void {
    this.error ??= error;
    this.ready();
  }

  /** The transport drained: a pump waiting to write may go on. */
  writable(): void {
    if (this.drainWaiter !== null) this.later(() => this.wakeWriter());
  }

  /** Fires once the transport may take more (at once when it can, or when the operation has ended). */
  whenWritable(): Deferred<void> {
    if (this.ended || this.flow === null || this.flow.writable) return succeed(undefined);
    this.drainWaiter ??= new Deferred<void>();
    return this.drainWaiter;
  }

  private wakeWriter(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    waiter?.callback(undefined);
  }

  /**
   * A CopyData for the consumer (in the read handler; `data[start, end)` is
   * in the read buffer): copied into the arena and queued (batch mode: left
   * open, to be sealed with what follows); stops reading if the consumer lags.
   */
  private enqueue(data: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.arenaEnd + n > this.arena.length) this.newArena(n);
    const at = this.arenaEnd;
    const arena = this.arena;
    if (n <= 32) {
      for (let i = 0; i < n; i++) arena[at + i] = data[start + i];
    } else {
      arena.set(data.subarray(start, end), at);
    }
    this.arenaEnd = at + n;
    if (!this.batch) this.queue.push(arena.subarray(at, at + n));
    this.queuedBytes += n;
    if (!this.readingPaused && this.queuedBytes >= COPY_OUT_HIGH_WATER_MARK && this.flow !== null) {
      this.readingPaused = true;
      this.flow.pauseReading();
    }
    if (!this.delivering && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      this.conn.reactor.callSoon(this.deliverSoon);
    }
  }

  /** Starts a new arena with room for `n` bytes (batch mode: the open bytes are sealed into a chunk first). */
  private newArena(n: number): void {
    this.seal();
    this.arena = new Uint8Array(Math.max(ARENA, n));
    this.arenaEnd = 0;
    this.openStart = 0;
  }

  /** Batch mode: the open bytes become one queued chunk. */
  private seal(): void {
    if (!this.batch || this.openStart === this.arenaEnd) return;
    this.queue.push(this.arena.subarray(this.openStart, this.arenaEnd));
    this.openStart = this.arenaEnd;
  }

  /**
   * Hands queued chunks to the consumer in order, waiting for what it
   * returns; after the last one of an ended statement, fires `done`.
   * Runs from the reactor only. A consumer's result is only wrapped when it
   * is a Deferred or a thenable (no Deferred per chunk).
   */
  private deliver(): void {
    if (this.delivering) return;
    this.seal();
    while (this.head < this.queue.length) {
      const chunk = this.queue[this.head++];
      this.queuedBytes -= chunk.length;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      if (this.readingPaused && this.queuedBytes <= COPY_OUT_LOW_WATER_MARK) {
        this.readingPaused = false;
        this.flow?.resumeReading();
      }
      if (this.consumerError !== null) continue; // a failed consumer gets nothing more; the COPY is drained
      if (this.consume(chunk)) return; // the consumer's Deferred or Promise is pending: resumeDelivery goes on
    }
    if (this.ended && !this.done.called) {
      if (this.consumerError !== null) this.error ??= this.consumerError;
      this.done.callback(undefined);
    }
  }

  /** Calls the consumer with one chunk; true when it returned something still pending (delivery then waits). */
  private consume(chunk: Uint8Array): boolean {
    let result: CopyConsumerResult;
    try {
      result = this.onData!(chunk);
    } catch (e) {
      this.consumerError ??= e instanceof Error ? e : new Error(String(e));
      return false;
    }
    if (result === undefined || result === null) return false;
    if (!(result instanceof Deferred) && typeof (result as PromiseLike<unknown>).then !== 'function') return false;
    const consumed = maybeDeferred(() => result);
    if (consumed.called) {
      consumed.addErrback((e: Error) => {
        this.consumerError ??= e;
      });
      return false;
    }
    this.delivering = true;
    // public boundary: Promise (what a consumer returned, when it was a Promise)
    consumed.addCallbacks(
      () => this.resumeDelivery(),
      (e: Error) => {
        this.consumerError ??= e;
        this.resumeDelivery();
      },
    );
    return true;
  }

  private resumeDelivery(): void {
    this.later(() => {
      this.delivering = false;
      this.deliver();
    });
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
 * the `DatabaseError`. The source is pulled only as the connection's write
 * buffer drains (see the file comment). Cancelling the Deferred before the
 * connection is held leaves the COPY unsent; after, it fails the Deferred at
 * once while the COPY runs on to its end.
 */
export function copyFrom(conn: Connection, sql: string, source: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number> {
  return copyFromSource(conn, sql, () => iterableSource(source));
}

/**
 * {@link copyFrom} from a {@link ChunkSource}, made by `open` once the
 * connection is held (so a source that starts work when opened, such as an
 * Observable subscription, starts no earlier).
 */
export function copyFromSource(conn: Connection, sql: string, open: () => ChunkSource): Deferred<number> {
  return withLease(conn, (lease) => runCopyIn(conn, lease, sql, open()));
}

/**
 * Runs `COPY ... TO STDOUT`, handing each CopyData (for text format, one row
 * per chunk) to `onData`, in order, or with `{ batch: true }` the payloads of
 * several CopyData at once (see {@link CopyToCallbackOptions}); each chunk is
 * the consumer's to keep. Fires with the number of rows copied,
 * after the last chunk was consumed. When `onData` returns a Deferred or
 * Promise, the next chunk waits for it, and the server is read no further
 * while too much waits (see the file comment). A consumer that throws or
 * fails gets no more chunks; the COPY is drained and fails with its error.
 */
export function copyToCallback(
  conn: Connection,
  sql: string,
  onData: (chunk: Uint8Array) => CopyConsumerResult,
  options: CopyToCallbackOptions = {},
): Deferred<number> {
  return withLease(conn, (lease) => {
    const op = new CopyOp(conn, sql, onData, options.batch === true);
    lease.send({ type: 'simpleQuery', sql }, op);
    return op.done.addCallback(() => {
      if (op.error) throw op.error;
      return op.rows;
    });
  });
}

/**
 * Runs `COPY ... TO STDOUT` (on the first `next()`) as an async iterator of
 * its CopyData chunks (several at once with `{ batch: true }`, see
 * {@link CopyToCallbackOptions}). The server is read only as fast as the loop consumes
 * (see the file comment). Leaving the loop early discards the rest of the
 * data; the iterator's `return()` settles once the COPY has ended and the
 * connection is free again. A server error rejects `next()`.
 */
export function copyToIterator(conn: Connection, sql: string, options: CopyToCallbackOptions = {}): AsyncIterableIterator<Uint8Array> {
  let started: Shared<number> | null = null;
  let ready: Uint8Array | null = null;
  let taken: Deferred<void> | null = null;
  const waiters: Array<{ resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void }> = [];
  let end: { error: Error } | { rows: number } | null = null;
  let discarding = false;
  const takeReady = (): void => {
    ready = null;
    const t = taken;
    taken = null;
    t?.callback(undefined);
  };
  const start = (): void => {
    const copy = copyToCallback(conn, sql, (chunk) => {
      if (discarding) return;
      const w = waiters.shift();
      if (w !== undefined) return w.resolve({ value: chunk, done: false });
      ready = chunk;
      taken = new Deferred<void>();
      return taken;
    }, options);
    started = new Shared(copy);
    started.get().addCallbacks(
      (rows: number) => {
        end = { rows };
      },
      (error: Error) => {
        end = { error };
      },
    ).addBoth(() => {
      for (const w of waiters.splice(0)) {
        if (end !== null && 'error' in end) w.reject(end.error);
        else w.resolve({ value: undefined, done: true });
      }
    });
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next(): Promise<IteratorResult<Uint8Array>> {
      if (started === null) start();
      if (ready !== null) {
        const value: Uint8Array = ready;
        takeReady();
        // public boundary: Promise (the async iterator protocol)
        return Promise.resolve({ value, done: false });
      }
      // public boundary: Promise (the async iterator protocol)
      if (end !== null) return 'error' in end ? Promise.reject(end.error) : Promise.resolve({ value: undefined, done: true });
      // public boundary: Promise (the async iterator protocol)
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
    },
    return(): Promise<IteratorResult<Uint8Array>> {
      discarding = true;
      takeReady();
      const finished = started === null ? succeed(0) : started.get();
      // public boundary: Promise (the async iterator protocol)
      return new Promise((resolve) => {
        finished.addBoth(() => resolve({ value: undefined, done: true }));
      });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Holds the connection for `fn`, releasing it when fn's Deferred fires; see {@link copyFrom} for cancelling. */
function withLease<T>(conn: Connection, fn: (lease: Lease) => Deferred<T>): Deferred<T> {
  let held = false;
  const acquiring = conn.acquire();
  const work = acquiring.addCallback((lease) => {
    held = true;
    return maybeDeferred(fn, lease).addFinally(() => lease.release());
  });
  return detach(work, () => {
    if (!held) acquiring.cancel();
  });
}

/** Adapts an (async) iterable to a {@link ChunkSource}. */
function iterableSource(source: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): ChunkSource {
  if (typeof (source as AsyncIterable<CopyChunk>)[Symbol.asyncIterator] === 'function') {
    const it = (source as AsyncIterable<CopyChunk>)[Symbol.asyncIterator]();
    return {
      // public boundary: Promise (the caller's async iterator)
      next: () => fromPromise(it.next()),
      stop: () => void maybeDeferred(() => it.return?.()).addErrback(() => undefined),
    };
  }
  const it = (source as Iterable<CopyChunk>)[Symbol.iterator]();
  return {
    next: () => it.next(),
    stop: () => void maybeDeferred(() => it.return?.()).addErrback(() => undefined),
  };
}

function runCopyIn(conn: Connection, lease: Lease, sql: string, source: ChunkSource): Deferred<number> {
  const op = new CopyOp(conn, sql);
  lease.send({ type: 'simpleQuery', sql }, op);
  return op.copying.addCallback((copying) => {
    if (!copying) {
      source.stop();
      throw op.error ?? new InterfaceError('the statement did not start a COPY FROM STDIN', { code: 'ERR_NOT_COPY' });
    }
    let sourceError: { cause: unknown } | null = null;
    return pump(conn, lease, op, source)
      .addCallbacks(
        () => lease.send({ type: 'copyDone' }),
        (e: Error) => {
          source.stop();
          if (op.error !== null) return; // the server ended the COPY (or the session went away): its error is the story
          sourceError = { cause: e };
          lease.send({ type: 'copyFail', message: `source failed: ${e.message}` });
        },
      )
      .addCallback(() => op.done)
      .addCallback(() => {
        if (op.error !== null && sourceError === null) throw op.error;
        if (sourceError !== null) throw new CopyAborted((sourceError as { cause: unknown }).cause);
        return op.rows;
      });
  });
}

/**
 * Pulls, encodes and sends the source in ~64 KiB CopyData messages; after
 * each, one reactor turn (the session flushes it), then a wait while the
 * transport is not writable. Fails with the operation's error as soon as it
 * has one, or with the source's.
 */
function pump(conn: Connection, lease: Lease, op: CopyOp, source: ChunkSource): Deferred<void> {
  let text = '';
  let exhausted = false;
  const send = (data: Uint8Array): void => {
    if (op.error !== null) throw op.error;
    lease.send({ type: 'copyData', data });
  };
  const sendText = (): void => {
    if (text.length === 0) return;
    const data = encoder.encode(text);
    text = '';
    send(data);
  };
  /** Takes one pulled result; returns whether a message was sent. */
  const take = (r: IteratorResult<CopyChunk, unknown>): boolean => {
    if (r.done) {
      exhausted = true;
      sendText();
      return false;
    }
    const chunk = r.value;
    if (chunk instanceof Uint8Array) {
      sendText();
      send(chunk);
      return true;
    }
    text += typeof chunk === 'string' ? chunk : encodeCopyRow(chunk);
    if (text.length < CHUNK) return false;
    sendText();
    return true;
  };
  const after = (sent: boolean): boolean | Deferred<boolean> => {
    if (exhausted) return false;
    if (!sent) return true;
    return soon(conn.reactor)
      .addCallback(() => op.whenWritable())
      .addCallback(() => {
        if (op.error !== null) throw op.error;
        return true;
      });
  };
  return loop(() => {
    for (;;) {
      const next = source.next();
      if (next instanceof Deferred) return next.addCallback((r) => after(take(r)));
      const sent = take(next);
      if (sent || exhausted) return after(sent);
    }
  });
}
