/**
 * query$(conn, sql, params, { batchSize, consumed }): the rows of a query as
 * an Observable, streamed through a server-side cursor (see
 * `src/streaming/row-stream.ts`).
 *
 * Pull loop: each batch is emitted synchronously, row by row, and the batch
 * after it is taken only once it has been consumed (the stream fetches
 * batches ahead meanwhile, see `prefetch` in row-stream.ts), so at most
 * `(1 + prefetch) x batchSize` rows wait on the client:
 * - a synchronous subscriber has consumed the batch when its `next` has
 *   returned for the last row;
 * - a subscriber that finishes each row asynchronously (`concatMap` to a
 *   Promise, a queue, a worker) says so through `consumed`: an Observable it
 *   drives that emits once per row finished. The next FETCH then waits until
 *   every row emitted so far has been acknowledged, and nothing is fetched
 *   ahead (unless `prefetch` is given). Without `consumed`, such a
 *   subscriber's pending work is not bounded by the stream.
 * Unsubscribing stops the loop, ends the transaction and frees the
 * connection; an error ends the transaction with ROLLBACK and reaches the
 * subscriber. All of it runs on Deferreds fired from the reactor.
 */
import { Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import { RowStream, type StreamOptions } from '../streaming/row-stream';

/** Options of {@link query$}. */
export interface QueryObservableOptions extends StreamOptions {
  /**
   * For subscribers that finish rows asynchronously: emits once for each
   * row the subscriber is done with (its values are ignored). With it, the
   * next batch is fetched only once every row emitted so far has been
   * acknowledged; a row never acknowledged stalls the stream (and holds the
   * connection) until unsubscribed. An error of `consumed` errors the stream.
   */
  consumed?: Observable<unknown>;
}

/**
 * Streams the rows of `sql` with backpressure; cold: each subscription runs
 * the query. Completes after the last row (with `consumed`: after the last
 * row was acknowledged).
 * @example
 * query$(conn, 'SELECT * FROM big', [], { batchSize: 500 }).subscribe(handle);
 * // an asynchronous subscriber acknowledges each row:
 * const done$ = new Subject<void>();
 * query$(conn, 'SELECT * FROM big', [], { batchSize: 500, consumed: done$ })
 *   .pipe(concatMap(async (row) => { await save(row); done$.next(); }))
 *   .subscribe();
 */
export function query$<R = Record<string, unknown>>(
  conn: Connection,
  sql: string,
  params: readonly unknown[] = [],
  options: QueryObservableOptions = {},
): Observable<R> {
  return new Observable<R>((sub) => {
    const rows = new RowStream<R>(conn, sql, params, options.consumed ? { prefetch: 0, ...options } : options);
    let emitted = 0;
    let acknowledged = 0;
    let waitingForAcks = false;
    const pull = (): void => {
      rows.next().addCallbacks(
        (batch) => {
          if (batch === null) return void rows.close().addBoth(() => sub.complete());
          for (const row of batch) {
            if (sub.closed) return;
            emitted++;
            sub.next(row);
          }
          if (sub.closed) return;
          if (acks === undefined || acknowledged >= emitted) pull();
          else waitingForAcks = true;
        },
        (e: unknown) => sub.error(e),
      );
    };
    const acks = options.consumed?.subscribe({
      next: () => {
        acknowledged++;
        if (!waitingForAcks || acknowledged < emitted) return;
        waitingForAcks = false;
        conn.reactor.callSoon(() => sub.closed || pull());
      },
      error: (e: unknown) => sub.error(e),
    });
    pull();
    return () => {
      acks?.unsubscribe();
      void rows.close();
    };
  });
}
