/**
 * query$(conn, sql, params, { batchSize }): the rows of a query as an
 * Observable, streamed through a server-side cursor (see `src/streaming/row-stream.ts`).
 *
 * Pull loop: each batch is emitted synchronously, row by row; the next FETCH
 * is sent only after the subscriber's `next` has returned for the last row of
 * the batch, so at most `batchSize` rows wait on the client. Unsubscribing
 * stops the loop, ends the transaction and frees the connection; an error
 * ends the transaction with ROLLBACK and reaches the subscriber.
 */
import { Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import { RowStream, type StreamOptions } from '../streaming/row-stream';

/**
 * Streams the rows of `sql` with backpressure; cold: each subscription runs
 * the query. Completes after the last row.
 * @example
 * query$(conn, 'SELECT * FROM big', [], { batchSize: 500 }).subscribe(handle);
 */
export function query$<R = Record<string, unknown>>(
  conn: Connection,
  sql: string,
  params: readonly unknown[] = [],
  options: StreamOptions = {},
): Observable<R> {
  return new Observable<R>((sub) => {
    const rows = new RowStream<R>(conn, sql, params, options);
    const pull = (): void => {
      rows.next().addCallbacks(
        (batch) => {
          if (batch === null) return void rows.close().addBoth(() => sub.complete());
          for (const row of batch) {
            if (sub.closed) return;
            sub.next(row);
          }
          if (!sub.closed) pull();
        },
        (e: unknown) => sub.error(e),
      );
    };
    pull();
    return () => void rows.close();
  });
}
