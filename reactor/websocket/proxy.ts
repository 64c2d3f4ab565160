/**
 * The ws-to-TCP relay: the server end of the {@link WebSocketReactor}.
 *
 * Theory of operation. A TCP listener in front of an HTTP server in front of
 * a `ws` server (`noServer`), so the relay sees every connection from its
 * first moment:
 *
 * 1. Accept. Each TCP connection is counted against the limits
 *    (`relay-limits.ts`; over a limit it is refused with 429 or 503, or
 *    just closed under TLS) and gets a handshake timer: a connection that
 *    has not become a WebSocket within `handshakeTimeoutMs` is destroyed.
 *    With `tls`, the connection is wrapped in a server-side TLSSocket here.
 * 2. Upgrade. The HTTP server parses the request; a plain request gets 426.
 *    An upgrade request is checked by `relay-admission.ts` (Host, Origin,
 *    token, verify); a refused one gets its HTTP status and is closed, and
 *    never becomes a WebSocket.
 * 3. Session. An admitted request becomes a WebSocket (the relay selects
 *    only its own subprotocol, and accepts messages up to `maxMessageBytes`)
 *    and `relay-session.ts` relays it to its target, or refuses the target.
 *
 * Every refusal goes to the logger (`relay-refusals.ts`), without secrets.
 * The relay is **never an open relay**: a target must pass the `allow`
 * list or predicate, else the socket is closed with 1008 before any TCP
 * connection is attempted.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { admit } from './relay-admission';
import { resolveRelayConfig, type RelayConfig, type WsProxyOptions } from './relay-config';
import { ConnectionLimiter } from './relay-limits';
import { clientAddress, httpRefusal, refusal, type RelayRefusalCode } from './relay-refusals';
import { runSession, SessionMeter } from './relay-session';
import { selectProtocol } from './relay-token';

export { isAllowed } from './relay-session';
export { RelayConfigError } from './relay-config';
export type { RelayAllow, RelayOrigins, WsProxyOptions } from './relay-config';
export type { RelayLogger, RelayRefusal, RelayRefusalCode } from './relay-refusals';

/** What a running relay holds now. */
export interface WsProxyStats {
  /** TCP connections open (handshaking or relaying). */
  connections: number;
  /** Relayed sessions open. */
  sessions: number;
  /** Bytes the open sessions hold in their TCP and WebSocket write buffers, as last observed. */
  bufferedBytes: number;
  /** The most bytes one session has held at once since the relay started. */
  peakSessionBufferedBytes: number;
}

/** A running relay. */
export interface WsProxy {
  /** The bound port. */
  readonly port: number;
  /** What the relay holds now (connections, sessions, buffered bytes). */
  stats(): WsProxyStats;
  /** Stops accepting, ends every connection and relayed session, resolves when closed. */
  close(): Promise<void>;
}

/** One accepted connection: its client address and, until it becomes a WebSocket, its handshake timer. */
interface Accepted {
  readonly address: string;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Starts a relay; rejects with {@link RelayConfigError} (`ERR_RELAY_CONFIG`) for bad options.
 * @example
 * const proxy = await startWsProxy({
 *   port: 8080, host: '0.0.0.0', hosts: ['relay.example'], origins: ['https://app.example'],
 *   token: process.env.RELAY_TOKEN, tls: { key, cert }, allow: [{ host: 'db.internal', port: 5432 }],
 * });
 */
export async function startWsProxy(options: WsProxyOptions): Promise<WsProxy> {
  return new Relay(resolveRelayConfig(options)).listen();
}

/** The relay server; see the file comment. */
class Relay {
  private readonly limiter: ConnectionLimiter;
  private readonly meter = new SessionMeter();
  private readonly accepted = new Map<Duplex, Accepted>();
  private readonly raw = new Set<net.Socket>();
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly front: net.Server;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;

  constructor(private readonly config: RelayConfig) {
    this.limiter = new ConnectionLimiter(config.maxConnections, config.maxConnectionsPerAddress);
    this.secureContext = config.tls ? tls.createSecureContext(config.tls) : undefined;
    this.wss = new WebSocketServer({
      noServer: true, perMessageDeflate: false, maxPayload: config.maxMessageBytes,
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    this.http = http.createServer((request, response) => {
      this.log(request.socket, 'ERR_RELAY_NOT_WEBSOCKET');
      response.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
    });
    this.http.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head).catch(() => socket.destroy());
    });
    this.http.on('clientError', (_error, socket: Duplex) => socket.destroy());
    this.front = net.createServer((socket) => this.accept(socket));
  }

  listen(): Promise<WsProxy> {
    return new Promise((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(this.config.port, this.config.host, () => {
        this.front.off('error', reject);
        resolve({
          port: (this.front.address() as net.AddressInfo).port,
          stats: () => this.stats(),
          close: () => this.close(),
        });
      });
    });
  }

  /** Step 1: count the connection, start its handshake timer, wrap TLS, hand it to HTTP. */
  private accept(socket: net.Socket): void {
    const address = clientAddress(socket.remoteAddress);
    socket.on('error', () => {});
    const verdict = this.limiter.acquire(address);
    if (verdict !== 'ok') {
      this.config.logger(refusal(verdict, address));
      if (this.secureContext) socket.destroy();
      else socket.end(httpRefusal(verdict), () => socket.destroy());
      return;
    }
    this.raw.add(socket);
    const stream = this.secureContext ? this.wrapTls(socket, address) : socket;
    const entry: Accepted = { address, timer: undefined };
    entry.timer = setTimeout(() => this.handshakeTimedOut(stream, entry), this.config.handshakeTimeoutMs);
    this.accepted.set(stream, entry);
    socket.once('close', () => {
      clearTimeout(entry.timer);
      this.accepted.delete(stream);
      this.raw.delete(socket);
      this.limiter.release(address);
    });
    this.http.emit('connection', stream);
  }

  private wrapTls(socket: net.Socket, address: string): tls.TLSSocket {
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: this.secureContext, ALPNProtocols: ['http/1.1'] });
    let established = false;
    secure.once('secure', () => { established = true; });
    secure.on('error', () => {
      if (!established) this.config.logger(refusal('ERR_RELAY_TLS', address));
      socket.destroy();
    });
    return secure;
  }

  private handshakeTimedOut(stream: Duplex, entry: Accepted): void {
    entry.timer = undefined;
    this.config.logger(refusal('ERR_RELAY_HANDSHAKE_TIMEOUT', entry.address));
    stream.destroy();
  }

  /** Step 2: admit or refuse the upgrade request; step 3 for the admitted. */
  private async upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const code = await admit(request, this.config);
    if (socket.destroyed) return;
    if (code !== undefined) return this.refuse(socket, code);
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const entry = this.accepted.get(socket);
      if (entry) clearTimeout(entry.timer);
      const address = entry?.address ?? 'unknown';
      runSession(ws, request.url ?? '', this.config, this.meter, (c) => this.config.logger(refusal(c, address)));
    });
  }

  /** Answers a handshake with `code`'s HTTP status, logs it, and closes the connection. */
  private refuse(socket: Duplex, code: RelayRefusalCode): void {
    this.log(socket, code);
    if (socket.writable) socket.end(httpRefusal(code), () => socket.destroy());
    else socket.destroy();
  }

  private log(socket: Duplex, code: RelayRefusalCode): void {
    this.config.logger(refusal(code, this.accepted.get(socket)?.address ?? 'unknown'));
  }

  private stats(): WsProxyStats {
    return {
      connections: this.limiter.total,
      sessions: this.meter.sessions,
      bufferedBytes: this.meter.buffered,
      peakSessionBufferedBytes: this.meter.peak,
    };
  }

  private close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.raw) socket.destroy();
    return new Promise((resolve) => this.front.close(() => resolve()));
  }
}
