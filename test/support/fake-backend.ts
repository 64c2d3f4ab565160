/**
 * The scripted backend of the test suite is the package's own
 * `tspostgres/testing` (src/testing/); this module re-exports it, so the
 * tests written before it moved keep their import, and adds the set-up the
 * driver's virtual-time tests share.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Connection, type ConnectionOptions } from '../../src/index';
import { FakeServer, resultOf, settle, type FakeServerOptions } from '../../src/testing';

export * from '../../src/testing';

/** A Connection on a VirtualReactor, connected to a FakeServer. */
export interface VirtualWorld {
  reactor: VirtualReactor;
  server: FakeServer;
  conn: Connection;
  /** Every state change after the connect, as `state` or `state: reason`. */
  states: string[];
}

/** Options of {@link virtualConnection}. */
export interface VirtualConnectionOptions {
  server?: FakeServerOptions;
  connection?: Omit<ConnectionOptions, 'reactor'>;
  /** Scripts the server before the connection connects. */
  before?: (server: FakeServer) => void;
}

/** Starts a FakeServer on a new VirtualReactor and connects a Connection to it. */
export async function virtualConnection(options: VirtualConnectionOptions = {}): Promise<VirtualWorld> {
  const reactor = new VirtualReactor();
  const server = new FakeServer(reactor, options.server);
  options.before?.(server);
  const conn = new Connection({ env: {}, ...options.connection, reactor });
  await settle(reactor, conn.connect(server.dsn));
  if (conn.state !== 'ready') throw new Error(`virtualConnection: the connection is ${conn.state}`);
  const states: string[] = [];
  conn.onStateChange((s, reason) => states.push(reason ? `${s}: ${reason.message}` : s));
  return { reactor, server, conn, states };
}

/** Settles until `d` has settled; its value, or its error. */
export function outcome<T>(reactor: VirtualReactor, d: PromiseLike<T>): Promise<T | Error> {
  return Promise.resolve(resultOf(reactor, d)).then(
    (v) => v,
    (e: Error) => e,
  );
}
