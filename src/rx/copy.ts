/**
 * COPY with Observables: `copyTo` gives the data of `COPY ... TO STDOUT` as
 * an Observable of bytes (or parsed text rows), `copyFrom` accepts an
 * Observable or an (async) iterable as the source of `COPY ... FROM STDIN`.
 * The mechanism, flow control included, is `src/streaming/copy.ts`; here it
 * is only adapted to Observables, on Deferreds fired from the reactor.
 */
import { isObservable, Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import type { ReactorTime } from '../../reactor/interfaces';
import { Deferred } from '../defer';
import {
  copyFrom as copyFromIterable, copyFromSource, copyToCallback, parseCopyRow, type ChunkSource, type CopyChunk,
} from '../streaming/copy';

/** Options of {@link copyTo}. */
export interface CopyToOptions {
  /** Parse each text-format line into an array of strings (null for NULL). */
  rows?: boolean;
  /**
   * For subscribers that finish values asynchronously: emits once for each
   * value the subscriber is done with. With it, at most `window` values are
   * emitted and not yet acknowledged; while the subscriber lags, the data
   * waits in a bounded queue and then in the server (the connection stops
   * being read). A value never acknowledged stalls the COPY (and holds the
   * connection) until unsubscribed.
   */
  consumed?: Observable<unknown>;
  /** With `consumed`: the most values emitted and not yet acknowledged (default 100). */
  window?: number;
}

/**
 * Runs `COPY ... TO STDOUT` on subscription. Emits each CopyData as bytes, or
 * with `{ rows: true }` each text-format row as `Array<string | null>`;
 * completes after CommandComplete, errors with the server's error. Cold.
 * A synchronous subscriber keeps up with the socket by itself; an
 * asynchronous one passes `consumed` (see {@link CopyToOptions}), and the
 * server is then read only as fast as it acknowledges. Unsubscribing early
 * stops the emissions; the rest of the data is read and dropped, and the
 * connection is released when the COPY has ended.
 */
export function copyTo(conn: Connection, sql: string, options: CopyToOptions & { rows: true }): Observable<Array<string | null>>;
export function copyTo(conn: Connection, sql: string, options?: CopyToOptions): Observable<Uint8Array>;
export function copyTo(conn: Connection, sql: string, options: CopyToOptions = {}): Observable<Uint8Array | Array<string | null>> {
  const decoder = new TextDecoder();
  const window = Math.max(1, Math.floor(options.window ?? 100));
  return new Observable((sub) => {
    let emitted = 0;
    let acknowledged = 0;
    let lagging: Deferred<void> | null = null;
    const catchUp = (): void => {
      const d = lagging;
      lagging = null;
      d?.callback(undefined);
    };
    const acks = options.consumed?.subscribe({
      next: () => {
        acknowledged++;
        if (lagging !== null && emitted - acknowledged < window) conn.reactor.callSoon(catchUp);
      },
      error: (e: unknown) => sub.error(e),
    });
    copyToCallback(conn, sql, (chunk) => {
      if (sub.closed) return;
      emitted++;
      sub.next(options.rows ? parseCopyRow(decoder.decode(chunk)) : chunk);
      if (acks !== undefined && !sub.closed && emitted - acknowledged >= window) return (lagging = new Deferred<void>());
    }).addCallbacks(
      () => sub.complete(),
      (e: unknown) => sub.error(e),
    );
    return () => {
      acks?.unsubscribe();
      catchUp();
    };
  });
}

/**
 * Runs `COPY ... FROM STDIN` fed by `source` (an Observable or an (async)
 * iterable of bytes, strings or rows); fires with the row count. A failing
 * source aborts the COPY with CopyFail and fails with `CopyAborted`.
 * An iterable is pulled only as the connection drains. An Observable cannot
 * be paused: it is subscribed once the connection is held, and what it emits
 * faster than the connection drains is buffered; for a large source, pass an
 * (async) iterable.
 */
export function copyFrom(conn: Connection, sql: string, source: Observable<CopyChunk> | AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number> {
  if (!isObservable(source)) return copyFromIterable(conn, sql, source);
  return copyFromSource(conn, sql, () => observableSource(source, conn.reactor));
}

/** An Observable as a {@link ChunkSource}: values the pump has not taken yet wait in a buffer; waiters are woken from the reactor. */
export function observableSource(source: Observable<CopyChunk>, reactor: ReactorTime): ChunkSource {
  const buffer: CopyChunk[] = [];
  let head = 0;
  let end: { error: unknown } | { complete: true } | null = null;
  let waiter: Deferred<IteratorResult<CopyChunk, unknown>> | null = null;
  const wake = (): void => {
    const w = waiter;
    if (w === null) return;
    waiter = null;
    reactor.callSoon(() => {
      try {
        w.callback(take());
      } catch (e) {
        w.errback(e);
      }
    });
  };
  const take = (): IteratorResult<CopyChunk, unknown> => {
    if (head < buffer.length) {
      const value = buffer[head++];
      if (head === buffer.length) buffer.length = head = 0;
      return { value, done: false };
    }
    if (end !== null && 'error' in end) throw end.error;
    return { value: undefined, done: true };
  };
  const sub = source.subscribe({
    next: (v) => {
      buffer.push(v);
      wake();
    },
    error: (e: unknown) => {
      end = { error: e };
      wake();
    },
    complete: () => {
      end = { complete: true };
      wake();
    },
  });
  return {
    next: () => {
      if (head < buffer.length || end !== null) return take();
      waiter = new Deferred<IteratorResult<CopyChunk, unknown>>();
      return waiter;
    },
    stop: () => sub.unsubscribe(),
  };
}
