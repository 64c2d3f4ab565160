/**
 * Observables of a connection's asynchronous messages: every notification
 * received, every server notice. Both are hot: a subscriber sees what
 * arrives while it is subscribed. Values are delivered from the reactor
 * (`callSoon`), never from inside the read handler.
 */
import { Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import type { Diagnostic } from '../errors/database';
import type { Notification } from '../connection/notification';

/**
 * Every `Notification` the connection receives, on any channel, in reception
 * order. Subscribing does not LISTEN (see `listen`); it never completes.
 */
export function notifications$(conn: Connection): Observable<Notification> {
  return new Observable<Notification>((sub) => conn.onNotification((n) => sub.next(n)));
}

/**
 * Every NoticeResponse (RAISE NOTICE, warnings, ...) as a `Diagnostic` with
 * all its fields (severity, code, message, detail, hint, where, ...).
 */
export function notices$(conn: Connection): Observable<Diagnostic> {
  return new Observable<Diagnostic>((sub) => conn.onNotice((d) => sub.next(d)));
}
