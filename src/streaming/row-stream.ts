/**
 * Streaming a query's rows in batches, with backpressure.
 *
 * Theory of operation. A {@link RowStream} takes its connection exclusively
 * (`conn.acquire()`, a Lease), opens a transaction when none is open, and
 * declares a server-side cursor for the query:
 *
 *     BEGIN; DECLARE tspg_stream NO SCROLL CURSOR FOR <sql>   ($1.. bound out of band)
 *     FETCH FORWARD <batchSize> FROM tspg_stream              (once per batch, on demand)
 *     COMMIT (or ROLLBACK after an error)                      (closes the cursor, frees the lease)
 *
 * We chose FETCH over a suspended unnamed portal (Execute with a row limit):
 * every FETCH is an ordinary Sync-terminated operation, so it fits the
 * session's one-handler-per-Sync routing, survives between batches without
 * holding a half-finished extended-protocol exchange open, and each batch is
 * a prepared statement reused from the statement cache. The cost is one round
 * trip per batch, which is what a pull-based stream asks for anyway.
 *
 * Backpressure: the next FETCH is sent only when the consumer asks for the
 * next batch, so at most `batchSize` rows are held in memory on the client,
 * however slow the consumer. `close()` (unsubscribe, `return()`, `destroy()`)
 * ends the transaction and releases the connection; a FETCH in flight is
 * awaited first. The Observable (`src/rx/query.ts`), the Node `Readable` and
 * the async iterator below are three faces of this one mechanism.
 *
 * Inside, everything is a Deferred chain fired from the reactor (see
 * `chains.ts`), so a stream runs on a VirtualReactor as it does on Node;
 * the Readable and the async iterator are the public boundary where Promises
 * (and Node's stream machinery) take over.
 */
import { Readable } from 'node:stream';
import type { Connection } from '../connection/connection';
import type { Lease } from '../connection/lease';
import { maybeDeferred, succeed, type Deferred } from '../defer';
import type { QueryResult, RowFactory } from '../connection/rows';
import { Shared } from './chains';

/** Options of a streamed query. */
export interface StreamOptions {
  /** Rows per FETCH (default 1,000). The most rows held on the client at once. */
  batchSize?: number;
  /** Overrides the connection's row factory. */
  rowFactory?: RowFactory | 'object' | 'tuple';
}

const CURSOR = 'tspg_stream';

/** A pull-based stream of row batches; see the file comment. */
export class RowStream<R = Record<string, unknown>> {
  private lease: Lease | null = null;
  /** The outcome of taking the connection and declaring the cursor (once). */
  private opened: Shared<void> | null = null;
  /** The batch in flight (or the last one). */
  private current: Shared<R[] | null> | null = null;
  private ownTransaction = false;
  private exhausted = false;
  private closing: Shared<void> | null = null;
  private readonly batchSize: number;

  /**
   * @param conn the connection (taken exclusively from the first `next()` until `close()`)
   * @param sql a query returning rows; `$1..` placeholders bound from `params`
   */
  constructor(
    readonly conn: Connection,
    readonly sql: string,
    readonly params: readonly unknown[] = [],
    readonly options: StreamOptions = {},
  ) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
  }

  /**
   * The next batch of at most `batchSize` rows, or null when the rows are
   * exhausted (the stream has then closed itself). Call it again only after
   * the previous one fired. An error closes the stream (ROLLBACK) and fails
   * this Deferred with the original error. Cancelling the Deferred fails it
   * at once; the FETCH in flight still completes.
   */
  next(): Deferred<R[] | null> {
    if (this.closing !== null || this.exhausted) return succeed(null);
    this.current = new Shared(this.step());
    return this.current.get();
  }

  /** Ends the transaction and releases the connection, after a FETCH in flight; idempotent. */
  close(): Deferred<void> {
    this.closing ??= new Shared(this.settledCurrent().addCallback(() => this.finish('COMMIT')));
    return this.closing.get();
  }

  /** Fires (with undefined, whatever its outcome) once the batch in flight has. */
  private settledCurrent(): Deferred<void> {
    if (this.current === null) return succeed(undefined);
    return this.current.get().addBoth((): void => undefined);
  }

  private step(): Deferred<R[] | null> {
    return this.open()
      .addCallback((): R[] | null | Deferred<R[] | null> => {
        if (this.closing !== null) return null;
        return this.run(`FETCH FORWARD ${this.batchSize} FROM ${CURSOR}`, [], this.options.rowFactory).addCallback((result) => {
          const rows = result.rows as R[];
          if (rows.length < this.batchSize) {
            this.exhausted = true;
            void this.close();
          }
          return rows.length === 0 ? null : rows;
        });
      })
      .addErrback((e: Error) => {
        this.exhausted = true;
        return this.finish('ROLLBACK').addCallback((): never => {
          throw e;
        });
      });
  }

  /** Takes the connection, opens a transaction when none is open, declares the cursor; once. */
  private open(): Deferred<void> {
    this.opened ??= new Shared(
      this.conn.acquire().addCallback((lease) => {
        this.lease = lease;
        this.ownTransaction = this.conn.transactionStatus === 'I';
        const begun: Deferred<unknown> = this.ownTransaction ? this.run('BEGIN', []) : succeed(undefined);
        return begun
          .addCallback(() => this.run(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${this.sql}`, this.params))
          .addCallback((): void => undefined);
      }),
    );
    return this.opened.get();
  }

  private run(sql: string, params: readonly unknown[], rowFactory?: StreamOptions['rowFactory']): Deferred<QueryResult> {
    return this.conn.query(sql, params, rowFactory ? { rowFactory } : {}, this.lease);
  }

  /** Ends our transaction (or closes the cursor in the caller's) and releases the lease; errors ignored. */
  private finish(end: 'COMMIT' | 'ROLLBACK'): Deferred<void> {
    const lease = this.lease;
    this.lease = null;
    if (lease === null) return succeed(undefined);
    return maybeDeferred((): unknown => {
      if (this.conn.closed) return undefined;
      if (this.ownTransaction) return this.conn.query(end, [], {}, lease);
      if (end === 'COMMIT') return this.conn.query(`CLOSE ${CURSOR}`, [], {}, lease);
      return undefined;
    }).addBoth((): void => {
      // the session is gone or the transaction already failed: nothing to end
      lease.release();
    });
  }
}

/**
 * The rows of `sql` as a Node object-mode `Readable`, fetched in batches on
 * demand (`read()`); `destroy()` closes the stream and frees the connection.
 */
export function queryStream<R = Record<string, unknown>>(
  conn: Connection,
  sql: string,
  params: readonly unknown[] = [],
  options: StreamOptions = {},
): Readable {
  const rows = new RowStream<R>(conn, sql, params, options);
  let pulling = false;
  return new Readable({
    objectMode: true,
    highWaterMark: options.batchSize ?? 1000,
    read() {
      if (pulling) return;
      pulling = true;
      rows.next().addCallbacks(
        (batch) => {
          pulling = false;
          if (batch === null) return void this.push(null);
          for (const row of batch) this.push(row);
        },
        (e: unknown) => void this.destroy(e as Error),
      );
    },
    destroy(error, callback) {
      rows.close().addBoth(() => callback(error));
    },
  });
}

/**
 * The rows of `sql` as an async iterator, one FETCH per `batchSize` rows as
 * the loop advances; leaving the loop early (`break`, `return`, a throw)
 * closes the stream and frees the connection.
 */
export async function* queryIterator<R = Record<string, unknown>>( // public boundary: Promise (an async iterator)
  conn: Connection,
  sql: string,
  params: readonly unknown[] = [],
  options: StreamOptions = {},
): AsyncGenerator<R, void, undefined> {
  const rows = new RowStream<R>(conn, sql, params, options);
  try {
    for (let batch = await rows.next(); batch !== null; batch = await rows.next()) yield* batch;
  } finally {
    await rows.close();
  }
}
