/**
 * FakeServer: a scripted PostgreSQL server on a VirtualReactor.
 *
 * Theory of operation. The server listens on one endpoint of a virtual
 * network (a `VirtualReactor`'s `listen`); every connection to it gets a new
 * serving {@link FakeBackend} that accepts the startup handshake (trust: no
 * password asked) with its own process id and secret key, and answers
 * queries from the server's one {@link ReplyScript}, shared by all its
 * connections (so rules survive reconnects). A CancelRequest is recorded and
 * routed to the backend its key names, which {@link FakeBackend.interrupt}s
 * its oldest held round (a statement still running fails with 57014; a
 * cancel that arrives when nothing runs changes nothing, as on a server).
 * `down()` refuses new connections, like a stopped server; `up()` listens
 * again.
 *
 * @example
 * const reactor = new VirtualReactor();
 * const server = new FakeServer(reactor);
 * server.script.answer('SELECT 1 AS n', { fields: [{ name: 'n', type: 'int4' }], rows: [['1']] });
 * const conn = new Connection({ reactor });
 * await settle(reactor, conn.connect(server.dsn));
 */
import type { Endpoint, TransportHandler } from '../../reactor/interfaces';
import type { FrontendMessage } from '../protocol/messages';
import type { ProtocolVersion } from '../protocol/versions';
import { FakeBackend, type StartupReply } from './fake-backend';
import { ReplyScript, type Reply, type ReplyScriptOptions, type RuleOptions, type SqlMatcher } from './script';

/** What a {@link FakeServer} needs of a virtual network; a `VirtualReactor` has it. */
export interface VirtualNetwork {
  /** Accepts every later connection to `endpoint` with a handler from `factory`; returns a function that stops listening. */
  listen(endpoint: Endpoint, factory: () => TransportHandler): () => void;
  /** Refuses every later connection to `endpoint`; returns a function that stops refusing. */
  refuseConnections(endpoint: Endpoint, makeError?: () => Error): () => void;
}

/** Options of a {@link FakeServer}. */
export interface FakeServerOptions extends ReplyScriptOptions {
  /** Host name to listen on (default `'db.test'`). */
  host?: string;
  /** Port (default 5432). */
  port?: number;
  /** The user name in {@link FakeServer.dsn} (default `'tester'`). */
  user?: string;
  /** The database name in {@link FakeServer.dsn} (default `'test'`). */
  database?: string;
  /** ParameterStatus values added to the defaults of every startup. */
  parameters?: Record<string, string>;
  /** The newest protocol version the server speaks (see {@link StartupReply.protocolVersion}); default: whatever the client asks for. */
  protocolVersion?: ProtocolVersion;
  /** The script to share (default a new one, with `unscripted` from these options). */
  script?: ReplyScript;
  /** Called with each new backend before it receives anything (add handlers, hold it, ...). */
  onConnection?: (backend: FakeBackend) => void;
  /**
   * What a CancelRequest does: `'interrupt'` (default) the target's oldest
   * held round, or `'record'` only (interrupt it yourself, e.g. later).
   */
  cancel?: 'interrupt' | 'record';
}

/** The connect parameters of a {@link FakeServer} (a `ConnectInput` for `Connection.connect`). */
export interface FakeServerDsn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslmode: 'disable';
}

/** A scripted PostgreSQL server on a virtual network; see the file comment. */
export class FakeServer {
  /** The rules shared by every connection. */
  readonly script: ReplyScript;
  /** Where the server listens. */
  readonly endpoint: Endpoint & { kind: 'tcp' };
  /** Parameters for `Connection.connect` (TLS off, any password accepted). */
  readonly dsn: FakeServerDsn;
  /** Every CancelRequest received, in order. */
  readonly cancelRequests: Array<Extract<FrontendMessage, { type: 'CancelRequest' }>> = [];
  /** Every connection accepted (sessions and cancel connections), in order. */
  readonly connections: FakeBackend[] = [];
  private stopListening: (() => void) | null = null;
  private stopRefusing: (() => void) | null = null;

  constructor(readonly network: VirtualNetwork, readonly options: FakeServerOptions = {}) {
    this.script = options.script ?? new ReplyScript({ unscripted: options.unscripted });
    this.endpoint = { kind: 'tcp', host: options.host ?? 'db.test', port: options.port ?? 5432 };
    this.dsn = {
      host: this.endpoint.host,
      port: this.endpoint.port,
      user: options.user ?? 'tester',
      password: 'secret',
      database: options.database ?? 'test',
      sslmode: 'disable',
    };
    this.up();
  }

  /**
   * The session backends, in order: connections that sent a startup packet,
   * not those that came to cancel nor those that have sent nothing yet (a
   * driver may open its CancelRequest connection ahead of time).
   */
  get backends(): FakeBackend[] {
    return this.connections.filter((b) => b.received.length > 0 && b.received[0].type !== 'CancelRequest');
  }

  /** The newest session backend. @throws Error when there is none yet. */
  get current(): FakeBackend {
    const all = this.backends;
    if (all.length === 0) throw new Error('FakeServer: no connection yet');
    return all[all.length - 1];
  }

  /** `script.answer`: answers the statements `match` matches with `reply` (see {@link ReplyScript.answer}). */
  answer(match: SqlMatcher, reply: Reply, options?: RuleOptions): () => void {
    return this.script.answer(match, reply, options);
  }

  /** `script.answerOnce`: {@link answer} for the next execution only. */
  answerOnce(match: SqlMatcher, reply: Reply): () => void {
    return this.script.answerOnce(match, reply);
  }

  /** Stops accepting: later connections are refused (a server that is down). Open connections stay. */
  down(makeError?: () => Error): void {
    this.stopListening?.();
    this.stopListening = null;
    this.stopRefusing ??= this.network.refuseConnections(this.endpoint, makeError);
  }

  /** Accepts connections again (the server is up); idempotent. */
  up(): void {
    this.stopRefusing?.();
    this.stopRefusing = null;
    this.stopListening ??= this.network.listen(this.endpoint, () => this.accept());
  }

  private accept(): FakeBackend {
    const n = this.connections.length + 1;
    const startup: StartupReply = {
      processId: 1000 + n,
      secretKey: Uint8Array.of(n >> 24, n >> 16, n >> 8, n),
      parameters: this.options.parameters,
      protocolVersion: this.options.protocolVersion,
    };
    const backend = new FakeBackend({
      startup,
      serve: true,
      script: this.script,
      onCancelRequest: (m) => this.cancelRequest(m),
    });
    this.connections.push(backend);
    this.options.onConnection?.(backend);
    return backend;
  }

  private cancelRequest(m: Extract<FrontendMessage, { type: 'CancelRequest' }>): void {
    this.cancelRequests.push(m);
    if (this.options.cancel === 'record') return;
    const target = this.backends.find((b) => b.processId === m.processId && sameBytes(b.secretKey, m.secretKey));
    target?.interrupt();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
