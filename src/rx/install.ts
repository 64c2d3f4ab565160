/**
 * Attaches the Observables to Connection and ConnectionPool as methods and
 * getters (declaration merging), so `conn.listen('jobs').subscribe(...)`
 * works for users of the package entry, which imports this module. The
 * Connection class itself never imports rxjs: this module does the wiring.
 */
import type { Observable } from 'rxjs';
import { Connection, type ConnectionState } from '../connection/connection';
import { ConnectionPool } from '../pool/pool';
import type { CopyChunk } from '../streaming/copy';
import type { Deferred } from '../defer';
import type { Diagnostic } from '../errors/database';
import type { Notification, NotificationGap } from '../connection/notification';
import type { StreamOptions } from '../streaming/row-stream';
import { copyFrom, copyTo, type CopyToOptions } from './copy';
import { listen, type ListenOptions } from './listen';
import { notices$, notifications$ } from './notifications';
import { poolListen } from './pool-listen';
import { query$ } from './query';
import { state$, stateChanges$, type StateChange } from './state';

declare module '../connection/connection' {
  interface Connection {
    /** Notifications of `channel`: LISTEN on first subscribe, UNLISTEN on last unsubscribe; gaps after outages. */
    listen(channel: string, options?: ListenOptions): Observable<Notification | NotificationGap>;
    /** Every notification received. */
    readonly notifications$: Observable<Notification>;
    /** Every server notice. */
    readonly notices$: Observable<Diagnostic>;
    /** The current state, then every change. */
    readonly state$: Observable<ConnectionState>;
    /** Every state change with its reason and time. */
    readonly stateChanges$: Observable<StateChange>;
    /** Rows streamed through a server-side cursor with backpressure. */
    query$<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: StreamOptions): Observable<R>;
    /** COPY ... TO STDOUT as bytes, or parsed rows with `{ rows: true }`. */
    copyTo(sql: string, options?: CopyToOptions): Observable<Uint8Array | Array<string | null>>;
    /** COPY ... FROM STDIN fed by an Observable or (async) iterable; fires with the row count. */
    copyFrom(sql: string, source: Observable<CopyChunk> | AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Deferred<number>;
  }
}

declare module '../pool/pool' {
  interface ConnectionPool {
    /** Notifications of `channel` over the pool's one dedicated listening connection. */
    listen(channel: string, options?: ListenOptions): Observable<Notification | NotificationGap>;
  }
}

function method(target: object, name: string, fn: (...args: never[]) => unknown): void {
  Object.defineProperty(target, name, { value: fn, configurable: true, writable: true });
}

function getter(target: object, name: string, fn: (this: Connection) => unknown): void {
  Object.defineProperty(target, name, { get: fn, configurable: true });
}

const C = Connection.prototype;
method(C, 'listen', function (this: Connection, channel: string, options?: ListenOptions) {
  return listen(this, channel, options);
});
getter(C, 'notifications$', function () {
  return notifications$(this);
});
getter(C, 'notices$', function () {
  return notices$(this);
});
getter(C, 'state$', function () {
  return state$(this);
});
getter(C, 'stateChanges$', function () {
  return stateChanges$(this);
});
method(C, 'query$', function (this: Connection, sql: string, params?: readonly unknown[], options?: StreamOptions) {
  return query$(this, sql, params, options);
});
method(C, 'copyTo', function (this: Connection, sql: string, options?: CopyToOptions) {
  return copyTo(this, sql, options);
});
method(C, 'copyFrom', function (this: Connection, sql: string, source: Observable<CopyChunk> | AsyncIterable<CopyChunk>) {
  return copyFrom(this, sql, source);
});
method(ConnectionPool.prototype, 'listen', function (this: ConnectionPool, channel: string, options?: ListenOptions) {
  return poolListen(this, channel, options);
});
