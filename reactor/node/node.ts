/**
 * NodeReactor: the production reactor on Node's event loop.
 *
 * Theory of operation. Time comes from {@link NodeTime} (performance.now,
 * one Node timer over an exact timer queue, microtask-batched callSoon).
 * Connections are `node:net` sockets: TCP to IPv4 and IPv6 literals or host
 * names (resolved by Node, or by an injected `lookup`), and unix socket
 * paths. Each connection is a {@link NodeTransport}, which can upgrade to TLS
 * on the same socket. `connect` applies `noDelay` (default true) and
 * keepalive, and enforces `timeoutMs` with a reactor timer: on expiry the
 * socket is destroyed and the handler sees `ConnectTimeout`.
 *
 * `listen` is the server side of the same thing (tests, the ws relay, fake
 * servers): each accepted socket becomes a NodeTransport for a new handler.
 */
import * as net from 'node:net';
import type { ConnectOptions, Connector, DelayedCall, Endpoint, Reactor, TransportHandler } from '../interfaces';
import { TimeDelegate } from '../time-delegate';
import { ConnectCancelled, ConnectTimeout, describeEndpoint } from '../errors';
import { NodeTime, type NodeTimeOptions } from './time';
import { NodeTransport } from './transport';

/** Options for {@link NodeReactor}; all optional. */
export interface NodeReactorOptions extends NodeTimeOptions {
  /** A DNS lookup to use instead of Node's (same signature as `dns.lookup`). */
  lookup?: net.LookupFunction;
  /**
   * The high-water mark of each socket's write buffer, in bytes (Node's
   * `writableHighWaterMark`; default Node's, 16 KiB): a registered producer
   * is paused when a write leaves this much or more unsent, and resumed when
   * the buffer is empty again (the socket's `drain`).
   */
  writeHighWaterMark?: number;
}

/** A bound server started with {@link NodeReactor.listen}. */
export interface NodeListener {
  /** The bound endpoint; for TCP, `port` is the actual port (useful with port 0). */
  readonly endpoint: Endpoint;
  /** Stops accepting, aborts the connections still open, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * The Node.js reactor.
 *
 * @example
 * const reactor = new NodeReactor();
 * reactor.connect({ kind: 'tcp', host: '::1', port: 5432 }, handler, { timeoutMs: 5000 });
 */
export class NodeReactor extends TimeDelegate implements Reactor {
  protected readonly time: NodeTime;
  private readonly lookup: net.LookupFunction | undefined;
  private readonly writeHighWaterMark: number | undefined;

  constructor(options: NodeReactorOptions = {}) {
    super();
    this.time = new NodeTime(options);
    this.lookup = options.lookup;
    this.writeHighWaterMark = options.writeHighWaterMark;
  }

  /**
   * Connects to a TCP or unix endpoint. `handler.connectionMade` follows on
   * success; otherwise `handler.connectionLost` with `ConnectionRefused`,
   * `ConnectTimeout`, `ConnectFailed` or `ConnectCancelled` (the returned
   * connector's `cancel()` is a no-op once connected).
   */
  connect(endpoint: Endpoint, handler: TransportHandler, options: ConnectOptions = {}): Connector {
    const target = describeEndpoint(endpoint);
    const hwm = this.writeHighWaterMark === undefined ? {} : { writableHighWaterMark: this.writeHighWaterMark };
    const socket = endpoint.kind === 'unix'
      ? net.connect({ path: endpoint.path, allowHalfOpen: true, ...hwm })
      : net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true, lookup: this.lookup, ...hwm });
    const transport = new NodeTransport(socket, handler, target, endpoint.kind === 'tcp' ? endpoint.host : undefined);
    const timer = this.armTimeout(transport, target, options.timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      timer?.cancel();
      applySocketOptions(socket, endpoint, options);
      transport.connectionMade();
    });
    socket.once('close', () => timer?.cancel());
    return { cancel: () => connected || transport.lose(new ConnectCancelled(target)) };
  }

  /**
   * Listens on an endpoint (TCP port 0 picks a free port); each accepted
   * connection gets a new handler from `factory`, then `connectionMade`.
   */
  listen(endpoint: Endpoint, factory: () => TransportHandler): Promise<NodeListener> {
    const open = new Set<NodeTransport>();
    const hwm = this.writeHighWaterMark === undefined ? {} : { highWaterMark: this.writeHighWaterMark };
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, ...hwm }, (socket) => {
      const transport = new NodeTransport(socket, factory(), describeEndpoint(endpoint));
      open.add(transport);
      socket.once('close', () => open.delete(transport));
      transport.connectionMade();
    });
    const close = (): Promise<void> => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const transport of open) transport.abort();
      return closed;
    };
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        resolve({ endpoint: boundEndpoint(server, endpoint), close });
      };
      if (endpoint.kind === 'unix') server.listen(endpoint.path, onListening);
      else server.listen(endpoint.port, endpoint.host, onListening);
    });
  }

  private armTimeout(transport: NodeTransport, target: string, timeoutMs: number | undefined): DelayedCall | undefined {
    if (timeoutMs === undefined || timeoutMs <= 0) return undefined;
    return this.time.callLater(timeoutMs, () => transport.lose(new ConnectTimeout(target, timeoutMs)));
  }
}

function applySocketOptions(socket: net.Socket, endpoint: Endpoint, options: ConnectOptions): void {
  if (endpoint.kind !== 'tcp') return;
  socket.setNoDelay(options.noDelay ?? true);
  if (options.keepAliveInitialDelayMs) socket.setKeepAlive(true, options.keepAliveInitialDelayMs);
}

function boundEndpoint(server: net.Server, endpoint: Endpoint): Endpoint {
  const address = server.address();
  if (endpoint.kind === 'unix' || address === null || typeof address === 'string') return endpoint;
  return { kind: 'tcp', host: endpoint.host, port: address.port };
}
