/**
 * The connection state as Observables.
 *
 * `state$` emits the state string ('connecting' | 'ready' | 'busy' | 'dead' |
 * 'reconnecting' | 'closed'), starting with the current one (like a
 * BehaviorSubject), then every change. `stateChanges$` emits
 * `{ state, reason?, at }` objects, with the error that caused the change when
 * there is one (a lost session, a failed reconnect) and the reactor time.
 * Changes are delivered through `reactor.callSoon`, in order, never from
 * inside the read handler.
 */
import { Observable } from 'rxjs';
import { distinctUntilChanged, map } from 'rxjs/operators';
import type { Connection, ConnectionState } from '../connection/connection';

/** One state change, with its cause when there is one. */
export interface StateChange {
  readonly state: ConnectionState;
  /** The error that caused it (a lost session, a failed reconnect), if any. */
  readonly reason?: Error;
  /** Reactor time (ms) of the change. */
  readonly at: number;
}

/**
 * The current state, then every change, as `StateChange` objects. The first
 * value (the current state) has no reason.
 */
export function stateChanges$(conn: Connection): Observable<StateChange> {
  return new Observable<StateChange>((sub) => {
    sub.next({ state: conn.state, at: conn.reactor.now() });
    return conn.onStateChange((state, reason) => {
      const change: StateChange = reason === undefined ? { state, at: conn.reactor.now() } : { state, reason, at: conn.reactor.now() };
      conn.reactor.callSoon(() => sub.next(change));
    });
  });
}

/** The current state, then every change, as the state string; see the file comment. */
export function state$(conn: Connection): Observable<ConnectionState> {
  return stateChanges$(conn).pipe(
    map((c) => c.state),
    distinctUntilChanged(),
  );
}
