/**
 * pool.listen(channel): notifications for a pool, through one dedicated
 * connection that the pool's listeners share.
 *
 * The dedicated connection (the package's Connection, with Observables) is
 * opened outside the pool's members, with the pool's connect string,
 * reactor, connection options and detector, when the first pool listener
 * subscribes, and closed when the last one leaves. Each channel's
 * LISTEN/UNLISTEN is managed by `listen()` on that connection.
 */
import { defer, finalize, from, Observable, switchMap } from 'rxjs';
import type { ConnectionPool } from '../pool/pool';
import type { Notification, NotificationGap } from '../connection/notification';
import { Connection } from './connection';
import { listen, type ListenOptions } from './listen';

interface Dedicated {
  conn: Connection;
  ready: PromiseLike<Connection>;
  users: number;
}

const dedicated = new WeakMap<ConnectionPool, Dedicated>();

function take(pool: ConnectionPool): Dedicated {
  let d = dedicated.get(pool);
  if (d === undefined) {
    const o = pool.options;
    const conn = new Connection({ ...(o.reactor ? { reactor: o.reactor } : {}), ...o.connectionOptions, detector: o.detector?.() });
    d = { conn, ready: conn.connect(o.connect), users: 0 };
    dedicated.set(pool, d);
  }
  d.users++;
  return d;
}

function give(pool: ConnectionPool, d: Dedicated): void {
  if (--d.users > 0) return;
  dedicated.delete(pool);
  d.conn.close();
}

/**
 * Notifications of `channel` for `pool`, over its dedicated listening
 * connection; same contract as `listen(conn, channel, options)`.
 */
export function poolListen(pool: ConnectionPool, channel: string, options: ListenOptions = {}): Observable<Notification | NotificationGap> {
  return defer(() => {
    const d = take(pool);
    return from(d.ready).pipe(
      switchMap((conn) => listen(conn, channel, options)),
      finalize(() => give(pool, d)),
    );
  });
}

/** The dedicated listening connection of `pool`, if one is open (for tests and diagnostics). */
export function poolListenConnection(pool: ConnectionPool): Connection | null {
  return dedicated.get(pool)?.conn ?? null;
}
