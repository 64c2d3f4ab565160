/**
 * The ws-to-TCP relay: the server end of the {@link WebSocketReactor}.
 *
 * Theory of operation. A WebSocket server; each WebSocket names a TCP target
 * in its URL query (`?host=&port=`, see `ws-protocol.ts`). The relay is
 * **never an open relay**: a target must pass the `allow` list (exact
 * host/port pairs) or predicate, else the socket is closed with 1008 before
 * any TCP connection is attempted. For an allowed target it connects TCP
 * (half-open allowed, Nagle off), says `connected`, and then copies bytes:
 * binary messages -> TCP writes, TCP data -> binary messages, `eof` <-> FIN.
 * Backpressure holds in both directions: TCP reading pauses while the
 * WebSocket's send buffer is above a high-water mark, and WebSocket reading
 * pauses while the TCP socket's write buffer is full. The outcome is
 * reported with the protocol's close codes; a client that goes away
 * without a clean end gets its TCP connection reset.
 */
import * as net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, MSG_CONNECTED, MSG_EOF, parseTarget, type RelayTarget } from './protocol';

/** Which targets the relay may connect to: exact pairs, or a predicate. */
export type RelayAllow = ReadonlyArray<RelayTarget> | ((host: string, port: number) => boolean);

/** Options for {@link startWsProxy}. */
export interface WsProxyOptions {
  /** Port to listen on (0 picks a free port). */
  port: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** The allowlist; required, and nothing else is ever relayed. */
  allow: RelayAllow;
  /** Give up connecting to a target after this many ms (default 10,000; close code 4004). */
  connectTimeoutMs?: number;
}

/** A running relay. */
export interface WsProxy {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting, ends every relayed connection, resolves when closed. */
  close(): Promise<void>;
}

const HIGH_WATER = 1024 * 1024;

/** Whether `allow` permits `host:port` (host names compared case-insensitively). */
export function isAllowed(allow: RelayAllow, host: string, port: number): boolean {
  if (typeof allow === 'function') return allow(host, port);
  const h = host.toLowerCase();
  return allow.some((t) => t.port === port && t.host.toLowerCase() === h);
}

/**
 * Starts a relay.
 * @example
 * const proxy = await startWsProxy({ port: 8080, host: '0.0.0.0', allow: [{ host: 'db.internal', port: 5432 }] });
 */
export function startWsProxy(options: WsProxyOptions): Promise<WsProxy> {
  const server = new WebSocketServer({ port: options.port, host: options.host ?? '127.0.0.1', perMessageDeflate: false });
  server.on('connection', (ws, request) => relay(ws, request.url ?? '', options));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as net.AddressInfo;
      resolve({ port: address.port, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: WebSocketServer): Promise<void> {
  for (const ws of server.clients) ws.terminate();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Relays one WebSocket to its target, or refuses it. */
function relay(ws: WebSocket, url: string, options: WsProxyOptions): void {
  const target = parseTarget(url);
  if (!target) return ws.close(CloseCode.policy, 'missing or invalid host/port');
  if (!isAllowed(options.allow, target.host, target.port)) return ws.close(CloseCode.policy, 'target not allowed');
  const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  let connected = false;
  let error: (Error & { code?: string }) | undefined;
  const timer = setTimeout(() => {
    ws.close(CloseCode.targetTimeout, 'connect timeout');
    socket.destroy();
  }, options.connectTimeoutMs ?? 10_000);
  socket.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    ws.send(MSG_CONNECTED);
  });
  socket.on('data', (chunk) => {
    ws.send(chunk, () => {
      if (socket.isPaused() && ws.bufferedAmount < HIGH_WATER / 2) socket.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) socket.pause();
  });
  socket.on('end', () => ws.send(MSG_EOF));
  socket.on('drain', () => ws.resume());
  socket.on('error', (e) => { error ??= e; });
  socket.on('close', () => {
    clearTimeout(timer);
    ws.close(...closeFor(connected, error));
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (!socket.write(data)) ws.pause();
    } else if (data.toString() === MSG_EOF) socket.end();
  });
  ws.on('close', () => resetSocket(socket));
  ws.on('error', () => resetSocket(socket));
}

/** The close code and reason for a finished TCP connection. */
function closeFor(connected: boolean, error: (Error & { code?: string }) | undefined): [number, string] {
  if (!error) return [CloseCode.normal, ''];
  if (!connected && error.code === 'ECONNREFUSED') return [CloseCode.targetRefused, 'ECONNREFUSED'];
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return [CloseCode.targetReset, error.code];
  return [CloseCode.targetFailed, error.code ?? 'error'];
}

/** Resets the TCP side if it is still open (the client went away without a clean end). */
function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || socket.remoteFamily === undefined) socket.destroy();
  else socket.resetAndDestroy();
}
