/**
 * COPY with Observables: `copyTo` gives the data of `COPY ... TO STDOUT` as
 * an Observable of bytes (or parsed text rows), `copyFrom` accepts an
 * Observable or an async iterable as the source of `COPY ... FROM STDIN`.
 * The mechanism is `src/streaming/copy.ts`.
 */
import { isObservable, Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import { copyFrom as copyFromIterable, copyToCallback, parseCopyRow, type CopyChunk } from '../streaming/copy';
import type { Deferred } from '../defer';

/** Options of {@link copyTo}. */
export interface CopyToOptions {
  /** Parse each text-format line into an array of strings (null for NULL). */
  rows?: boolean;
}

/**
 * Runs `COPY ... TO STDOUT` on subscription. Emits each CopyData as bytes, or
 * with `{ rows: true }` each text-format row as `Array<string | null>`;
 * completes after CommandComplete, errors with the server's error. Cold. The
 * server sends as fast as it can (no flow control toward it); unsubscribing
 * early stops the emissions but the COPY runs to its end before the
 * connection is released.
 */
export function copyTo(conn: Connection, sql: string, options: { rows: true }): Observable<Array<string | null>>;
export function copyTo(conn: Connection, sql: string, options?: CopyToOptions): Observable<Uint8Array>;
export function copyTo(conn: Connection, sql: string, options: CopyToOptions = {}): Observable<Uint8Array | Array<string | null>> {
  const decoder = new TextDecoder();
  return new Observable((sub) => {
    copyToCallback(conn, sql, (chunk) => sub.next(options.rows ? parseCopyRow(decoder.decode(chunk)) : chunk)).addCallbacks(
      () => sub.complete(),
      (e: unknown) => sub.error(e),
    );
  });
}

/**
 * Runs `COPY ... FROM STDIN` fed by `source` (an Observable or an async
 * iterable of bytes, strings or rows); fires with the row count. A failing
 * source aborts the COPY with CopyFail and fails with `CopyAborted`.
 * An Observable source is buffered while the previous chunk is written.
 */
export function copyFrom(conn: Connection, sql: string, source: Observable<CopyChunk> | AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number> {
  return copyFromIterable(conn, sql, isObservable(source) ? toAsyncIterable(source) : source);
}

/** An Observable as an async iterable, buffering values the consumer has not taken yet. */
async function* toAsyncIterable<T>(source: Observable<T>): AsyncGenerator<T> {
  const buffer: T[] = [];
  let head = 0;
  let done = false;
  let error: { e: unknown } | null = null;
  let wake: (() => void) | null = null;
  const sub = source.subscribe({
    next: (v) => (buffer.push(v), wake?.()),
    error: (e: unknown) => ((error = { e }), wake?.()),
    complete: () => ((done = true), wake?.()),
  });
  try {
    for (;;) {
      if (head < buffer.length) {
        const v = buffer[head++];
        if (head === buffer.length) buffer.length = head = 0;
        yield v;
        continue;
      }
      if (error !== null) throw (error as { e: unknown }).e;
      if (done) return;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    sub.unsubscribe();
  }
}
