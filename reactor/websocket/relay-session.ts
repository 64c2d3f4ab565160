/**
 * One relayed session: an admitted WebSocket and its TCP connection to the target.
 *
 * Theory of operation. The WebSocket names its target in the URL query
 * (`protocol.ts`); a target off the allowlist, or no valid target, closes it
 * with 1008 before any TCP connection is attempted. For an allowed target
 * the session connects TCP (half-open allowed, Nagle off), says `connected`,
 * then copies bytes: binary messages -> TCP writes, TCP data -> binary
 * messages, `eof` <-> FIN.
 *
 * Memory is bounded both ways, in bytes. Toward the target: the WebSocket's
 * reading pauses as soon as a TCP write leaves the socket's buffer full, and
 * resumes on `drain`; what `ws` had already read when it paused is at most
 * one message (the server's `maxPayload`, `maxMessageBytes`) plus one socket
 * read, so a target that does not read holds the client back instead of
 * filling the relay. Toward the client: TCP reading pauses while the
 * WebSocket has more than {@link WS_HIGH_WATER} bytes unsent, and resumes
 * once a send completes below half of it. {@link SessionMeter} records what
 * each session holds (TCP `writableLength` + WebSocket `bufferedAmount`).
 *
 * With an idle timeout, a session in which no byte has moved either way
 * (every byte passes the TCP socket, so its inactivity timer sees both
 * directions) is closed with 4005. A client that goes away without a clean
 * end gets its TCP connection reset.
 */
import * as net from 'node:net';
import type { WebSocket } from 'ws';
import { CloseCode, MSG_CONNECTED, MSG_EOF, parseTarget } from './protocol';
import type { RelayAllow } from './relay-config';
import type { RelayRefusalCode } from './relay-refusals';

/** Bytes unsent on a session's WebSocket above which the relay stops reading its TCP target. */
export const WS_HIGH_WATER = 256 * 1024;

/** Session settings. */
export interface SessionOptions {
  readonly allow: RelayAllow;
  readonly connectTimeoutMs: number;
  /** 0: never. */
  readonly idleTimeoutMs: number;
}

/** Tracks the bytes relayed sessions hold, for `WsProxy.stats()`. */
export class SessionMeter {
  /** The most one session has held at once. */
  peak = 0;
  private readonly holdings = new Map<object, number>();

  /** Records that `session` holds `bytes` now. */
  observe(session: object, bytes: number): void {
    this.holdings.set(session, bytes);
    if (bytes > this.peak) this.peak = bytes;
  }

  /** Forgets a finished session. */
  forget(session: object): void {
    this.holdings.delete(session);
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.holdings.size;
  }

  /** What all open sessions hold now, as last observed. */
  get buffered(): number {
    let total = 0;
    for (const bytes of this.holdings.values()) total += bytes;
    return total;
  }
}

/** Whether `allow` permits `host:port` (host names compared case-insensitively). */
export function isAllowed(allow: RelayAllow, host: string, port: number): boolean {
  if (typeof allow === 'function') return allow(host, port);
  const h = host.toLowerCase();
  return allow.some((t) => t.port === port && t.host.toLowerCase() === h);
}

/** Relays one admitted WebSocket to the target its URL names, or refuses it; `refused` hears why. */
export function runSession(ws: WebSocket, url: string, options: SessionOptions, meter: SessionMeter, refused: (code: RelayRefusalCode) => void): void {
  const target = parseTarget(url);
  if (!target || !isAllowed(options.allow, target.host, target.port)) {
    refused('ERR_RELAY_TARGET');
    return ws.close(CloseCode.policy, target ? 'target not allowed' : 'missing or invalid host/port');
  }
  const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  const observe = (): void => meter.observe(ws, socket.writableLength + ws.bufferedAmount);
  observe();
  pipeTcpToWs(socket, ws, observe);
  pipeWsToTcp(ws, socket, observe, refused);
  watchTcp(socket, ws, options, refused);
  ws.on('close', () => {
    meter.forget(ws);
    resetSocket(socket);
  });
}

/** TCP data -> binary messages; pauses TCP while the WebSocket is over {@link WS_HIGH_WATER}. */
function pipeTcpToWs(socket: net.Socket, ws: WebSocket, observe: () => void): void {
  socket.once('connect', () => ws.send(MSG_CONNECTED));
  socket.on('data', (chunk) => {
    ws.send(chunk, () => {
      if (socket.isPaused() && ws.bufferedAmount < WS_HIGH_WATER / 2) socket.resume();
      observe();
    });
    if (ws.bufferedAmount > WS_HIGH_WATER) socket.pause();
    observe();
  });
  socket.on('end', () => ws.send(MSG_EOF));
}

/** Binary messages -> TCP writes; pauses the WebSocket while TCP's buffer is full. */
function pipeWsToTcp(ws: WebSocket, socket: net.Socket, observe: () => void, refused: (code: RelayRefusalCode) => void): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (!socket.write(data)) ws.pause();
      observe();
    } else if (data.toString() === MSG_EOF) socket.end();
  });
  socket.on('drain', () => {
    ws.resume();
    observe();
  });
  ws.on('error', (error: Error & { code?: string }) => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') refused('ERR_RELAY_MESSAGE_TOO_BIG');
    resetSocket(socket);
  });
}

/** The connect timeout, the idle timeout, and the close code when TCP ends. */
function watchTcp(socket: net.Socket, ws: WebSocket, options: SessionOptions, refused: (code: RelayRefusalCode) => void): void {
  let connected = false;
  let error: (Error & { code?: string }) | undefined;
  const timer = setTimeout(() => {
    ws.close(CloseCode.targetTimeout, 'connect timeout');
    socket.destroy();
  }, options.connectTimeoutMs);
  socket.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    if (options.idleTimeoutMs > 0) socket.setTimeout(options.idleTimeoutMs);
  });
  socket.on('timeout', () => {
    refused('ERR_RELAY_IDLE');
    ws.close(CloseCode.idle, 'idle timeout');
    resetSocket(socket);
  });
  socket.on('error', (e) => { error ??= e; });
  socket.on('close', () => {
    clearTimeout(timer);
    ws.close(...closeFor(connected, error));
  });
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
