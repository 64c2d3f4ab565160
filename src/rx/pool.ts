/**
 * The package's ConnectionPool: the driver's pool (src/pool/pool.ts) whose
 * members are the package's Connection (./connection.ts, with Observables),
 * plus `pool.listen(channel)`.
 *
 * Members come from `options.connectionFactory` when given, else from
 * {@link ConnectionPool.newConnection}, which this class overrides. Through
 * the package's exports every Connection is the package's one, so the pool
 * types its members so: `pool.connections` and `withConnection`'s callback
 * see the Observable members. (A factory that returns a driver Connection
 * from src/connection/connection.ts would break that; the package does not
 * export that class.)
 */
import type { Observable } from 'rxjs';
import type { ConnectionOptions } from '../connection/connection';
import type { Notification, NotificationGap } from '../connection/notification';
import type { Deferred } from '../defer';
import { ConnectionPool as DriverPool } from '../pool/pool';
import { Connection } from './connection';
import type { ListenOptions } from './listen';
import { poolListen } from './pool-listen';

/** A pool of Connections with Observables; see the file comment. */
export class ConnectionPool extends DriverPool {
  /** Notifications of `channel` over the pool's one dedicated listening connection. */
  listen(channel: string, options?: ListenOptions): Observable<Notification | NotificationGap> {
    return poolListen(this, channel, options);
  }

  /** The member connections (idle and in use). */
  override get connections(): Connection[] {
    return super.connections as Connection[];
  }

  /** Takes a connection for `fn` and gives it back when fn's result settles (see the driver's pool). */
  override withConnection<T>(fn: (conn: Connection) => Deferred<T> | PromiseLike<T> | T): Deferred<T> {
    return super.withConnection((conn) => fn(conn as Connection));
  }

  /** txpostgres' hot swap: adds a connected connection to the pool. */
  override add(conn: Connection): void {
    super.add(conn);
  }

  /** Members are the package's Connection. */
  protected override newConnection(options: ConnectionOptions): Connection {
    return new Connection(options);
  }
}
