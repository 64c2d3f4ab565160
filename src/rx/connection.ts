/**
 * The package's Connection: the driver's Connection with its Observables.
 *
 * The driver (src/connection/connection.ts) knows nothing of rxjs. This
 * subclass adds the Observable members as ordinary methods and getters, each
 * a one-line call of the function of the same name in this folder (which
 * takes the connection first and works on any driver Connection). The
 * package entry exports this class as `Connection`, and the package's
 * ConnectionPool (./pool.ts) builds its members from it, so every connection
 * a user gets from `tspostgres` has them and is `instanceof Connection`.
 * Code that imports src/connection/connection.ts directly gets the driver's
 * class, without Observables.
 */
import type { Observable } from 'rxjs';
import { Connection as DriverConnection, type ConnectionState } from '../connection/connection';
import type { Notification, NotificationGap } from '../connection/notification';
import type { Deferred } from '../defer';
import type { Diagnostic } from '../errors/database';
import type { CopyChunk } from '../streaming/copy';
import { copyFrom, copyTo, type CopyToOptions } from './copy';
import { listen, type ListenOptions } from './listen';
import { notices$, notifications$ } from './notifications';
import { query$, type QueryObservableOptions } from './query';
import { state$, stateChanges$, type StateChange } from './state';

/** A Connection with Observables: notifications, notices, state, streamed rows and COPY. */
export class Connection extends DriverConnection {
  /** Notifications of `channel`: LISTEN on first subscribe, UNLISTEN on last unsubscribe; gaps after outages. */
  listen(channel: string, options?: ListenOptions): Observable<Notification | NotificationGap> {
    return listen(this, channel, options);
  }

  /** Every notification received. */
  get notifications$(): Observable<Notification> {
    return notifications$(this);
  }

  /** Every server notice. */
  get notices$(): Observable<Diagnostic> {
    return notices$(this);
  }

  /** The current state, then every change. */
  get state$(): Observable<ConnectionState> {
    return state$(this);
  }

  /** Every state change with its reason and time. */
  get stateChanges$(): Observable<StateChange> {
    return stateChanges$(this);
  }

  /** Rows streamed through a server-side cursor with backpressure. */
  query$<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryObservableOptions): Observable<R> {
    return query$<R>(this, sql, params, options);
  }

  /** COPY ... TO STDOUT as bytes, or parsed rows with `{ rows: true }`. */
  copyTo(sql: string, options: CopyToOptions & { rows: true }): Observable<Array<string | null>>;
  copyTo(sql: string, options?: CopyToOptions): Observable<Uint8Array | Array<string | null>>;
  copyTo(sql: string, options?: CopyToOptions): Observable<Uint8Array | Array<string | null>> {
    return copyTo(this, sql, options);
  }

  /** COPY ... FROM STDIN fed by an Observable or (async) iterable; fires with the row count. */
  copyFrom(sql: string, source: Observable<CopyChunk> | AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number> {
    return copyFrom(this, sql, source);
  }
}
