/**
 * A scripted PostgreSQL on a VirtualReactor for detector tests: every
 * connection gets a FakeBackend that accepts startup and answers each
 * extended-protocol round with one row, unless the server is frozen.
 */
import type { Deferred } from '../../src/defer';
import type { VirtualReactor } from '../../reactor/virtual/virtual';
import { FakeBackend } from '../support/fake-backend';

/** The connect parameters of the virtual server. */
export const VIRTUAL_DSN = { host: 'db.test', port: 5432, user: 'u', password: 'p', database: 'd', sslmode: 'disable' as const };

const ENDPOINT = { kind: 'tcp' as const, host: VIRTUAL_DSN.host, port: VIRTUAL_DSN.port };

/** Controls of the virtual server. */
export interface VirtualServer {
  readonly backends: FakeBackend[];
  /** The newest backend. */
  readonly current: FakeBackend;
  /** While frozen, queries get no answer (a SIGSTOPped backend). */
  frozen: boolean;
  /** Refuse new connections (server down) until `up()`. */
  down(): void;
  up(): void;
}

/** Starts the virtual server on `reactor`. */
export function virtualServer(reactor: VirtualReactor): VirtualServer {
  const backends: FakeBackend[] = [];
  let stopRefusing: (() => void) | null = null;
  let stopListening: (() => void) | null = null;
  const server: VirtualServer = {
    backends,
    get current() {
      return backends[backends.length - 1];
    },
    frozen: false,
    down() {
      stopListening?.();
      stopRefusing = reactor.refuseConnections(ENDPOINT);
    },
    up() {
      stopRefusing?.();
      listen();
    },
  };
  const listen = (): void => {
    stopListening = reactor.listen(ENDPOINT, () => {
      const be = new FakeBackend();
      be.onMessage('StartupMessage', () => be.acceptStartup({ processId: backends.length }));
      be.onMessage('Sync', () => {
        if (!server.frozen) be.replyToExtended({ fields: ['n'], rows: [['1']], paramTypes: [] });
      });
      be.onMessage('Query', (m) => {
        if (!server.frozen) be.replyToSimpleQuery({ tag: m.sql.split(' ')[0].toUpperCase() });
      });
      backends.push(be);
      return be;
    });
  };
  listen();
  return server;
}

/**
 * Settles the reactor and the Promise-based config loading until `d` has
 * fired (no virtual time passes); throws if it never does.
 */
export async function settle(reactor: VirtualReactor, d?: Deferred<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    reactor.flush();
    await new Promise((r) => setImmediate(r));
    reactor.flush();
    if (d === undefined ? i >= 3 : d.called) return;
  }
  throw new Error('settle: the Deferred never fired');
}
