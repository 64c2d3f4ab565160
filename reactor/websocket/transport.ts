/**
 * WsTransport: a {@link Transport} over one WebSocket to the ws-to-TCP relay.
 *
 * Theory of operation. The transport speaks the relay protocol of
 * `ws-protocol.ts`: binary messages are stream bytes, text `connected` opens
 * the stream, text `eof` half-closes it, and close codes tell how it ended.
 * It reports to its {@link TransportHandler} exactly as NodeTransport does
 * (same half-close, abort and error semantics), so the conformance suite is
 * the same. While reading is paused, arriving messages are queued (and the
 * `ws` socket itself is paused where the implementation offers `pause()`),
 * then delivered in order through `callSoon` after resume.
 *
 * Flow control on writes: what is buffered is the WebSocket's
 * `bufferedAmount` (plus, under TLS, the TLS socket's unsent bytes). A write
 * that leaves {@link WsFlowOptions.highWaterMark} or more buffered pauses
 * the registered producer; it is resumed once the buffer has fallen to a
 * quarter of the mark. A WHATWG WebSocket has no drain event, so the buffer
 * is checked when `ws` reports a message written (its `send` callback) and,
 * where there is none (browsers), every {@link DRAIN_POLL_MS} while paused.
 * The relay carries the backpressure on to the TCP target (see `proxy.ts`).
 * A write larger than {@link MAX_MESSAGE_BYTES} goes out as several
 * messages, since a relay refuses messages over its `maxMessageBytes`.
 *
 * TLS inside the stream (PostgreSQL's SSLRequest): node:tls can wrap any
 * Duplex, so `startTls` puts a small Duplex over the WebSocket and hands it
 * to `tls.connect({ socket })`; this needs Node's `tls` module (loaded only
 * then). Other runtimes reject with `ERR_TLS`: use `wss://` to the relay there.
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { DelayedCall, Producer, ReactorTime, TlsInfo, TlsOptions, Transport, TransportHandler } from '../interfaces';
import {
  ConnectFailed, ConnectionRefused, ConnectionReset, RelayForbidden, TlsError, TransportError,
} from '../errors';
import { deliverEof, guard, tlsRefusal } from '../guard';
import { WriteFlow } from '../write-flow';
import { CloseCode, MAX_MESSAGE_BYTES, MSG_CONNECTED, MSG_EOF } from './protocol';

/** The default write high-water mark of a WebSocket transport, in bytes. */
export const WS_WRITE_HIGH_WATER_MARK = 64 * 1024;
/** How often a paused producer's WebSocket buffer is checked where no send callback tells (ms). */
export const DRAIN_POLL_MS = 10;

/**
 * An event-handler slot of a {@link WebSocketLike}: any one-argument handler
 * type fits, so the DOM's `WebSocket` (browsers, Deno, Bun, Node 22+) and
 * `ws`'s class, whose handlers name their own event classes, are accepted
 * without a cast. The transport only assigns these slots, never calls them.
 */
export type HandlerSlot = ((event: never) => unknown) | null;

/** The subset of the WHATWG WebSocket API we use (the `ws` package and browsers both have it). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes sent but not yet transmitted (WHATWG and `ws`). */
  readonly bufferedAmount?: number;
  /** Sends a message; `ws` calls `callback` once it is written (browsers ignore it). */
  send(data: Uint8Array<ArrayBuffer> | string, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** The handler slots: see {@link HandlerSlot}. The transport installs handlers reading `{ data }` (message) and `{ code, reason }` (close). */
  onopen: HandlerSlot;
  onmessage: HandlerSlot;
  onclose: HandlerSlot;
  onerror: HandlerSlot;
  /** `ws` only: stop reading from the socket. */
  pause?(): void;
  /** `ws` only: resume reading. */
  resume?(): void;
  /** `ws` only: drop the connection without a closing handshake. */
  terminate?(): void;
}

type Inbound = { kind: 'data'; bytes: Uint8Array } | { kind: 'eof' } | { kind: 'lost'; reason: Error | null };

/** Converts a binary message payload to bytes without copying. */
function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]); // ws 'fragments' binaryType
  throw new TypeError('unexpected WebSocket message payload');
}

/** A {@link Transport} over a WebSocket to the relay. Created by WebSocketReactor. */
export class WsTransport implements Transport {
  private connected = false;
  private closing = false;
  private lost = false;
  private lostDelivered = false;
  private paused = false;
  private queue: Inbound[] = [];
  private error: unknown;
  private tls: { duplex: Duplex; socket: TLSSocket } | undefined;
  private readonly flow = new WriteFlow();
  private drainPoll: DelayedCall | null = null;
  private readonly loseWith = (error: Error): void => this.lose(error);
  /** A message was written out (`ws`'s send callback): the buffer may have drained. */
  private readonly onSent = (): void => {
    if (this.flow.isFull) this.time.callSoon(() => this.checkDrained());
  };

  /**
   * @param highWaterMark - the write buffer's high-water mark in bytes (see the file comment).
   */
  constructor(
    private readonly ws: WebSocketLike,
    private readonly handler: TransportHandler,
    private readonly time: ReactorTime,
    readonly target: string,
    private readonly onSettled: () => void,
    private readonly highWaterMark: number = WS_WRITE_HIGH_WATER_MARK,
  ) {
    ws.onmessage = (event: { data: unknown }) => this.message(event.data);
    ws.onerror = (event: unknown) => {
      this.error ??= (event as { error?: unknown }).error ?? event;
    };
    ws.onclose = (event: { code: number; reason: string }) => this.closed(event.code, event.reason);
  }

  /**
   * Sends bytes as binary messages of at most {@link MAX_MESSAGE_BYTES}
   * (the WebSocket copies them while masking). Ignored after close/abort. Pauses the registered producer when
   * the buffer reaches the high-water mark.
   */
  write(bytes: Uint8Array): void {
    if (!this.connected || this.closing || this.lost) return;
    if (this.tls) this.tls.socket.write(bytes.slice());
    else this.sendBytes(bytes);
    if (this.bufferedAmount >= this.highWaterMark) this.filled();
  }

  /** Bytes written and not yet transmitted: the WebSocket's buffer, plus the TLS socket's under TLS. */
  get bufferedAmount(): number {
    return (this.ws.bufferedAmount ?? 0) + (this.tls?.socket.writableLength ?? 0);
  }

  /** Registers the producer of writes; see the file comment. */
  registerProducer(producer: Producer): void {
    this.flow.register(producer);
  }

  /** Forgets the producer. */
  unregisterProducer(): void {
    this.flow.unregister();
  }

  /** Runs TLS inside the relayed stream (Node only); see the file comment. */
  startTls(options: TlsOptions): Promise<TlsInfo> {
    const refused = tlsRefusal({ started: this.tls !== undefined, open: this.connected && !this.lost && !this.closing });
    if (refused !== undefined) return Promise.reject(refused);
    let nodeTls: typeof import('../node/transport');
    let stream: typeof import('node:stream');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      nodeTls = require('../node/transport'); stream = require('node:stream');
    } catch (cause) {
      return Promise.reject(new TlsError('TLS inside a WebSocket needs node:tls; use wss:// to the relay for transport security', { cause }));
    }
    return this.wrapTls(nodeTls, stream, options);
  }

  /** Holds delivery until {@link resumeReading}. */
  pauseReading(): void {
    this.paused = true;
    if (this.tls) this.tls.socket.pause();
    else this.ws.pause?.();
  }

  /** Resumes delivery; queued messages follow through `callSoon`. */
  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.tls) this.tls.socket.resume();
    else this.ws.resume?.();
    this.time.callSoon(() => this.drain());
  }

  /** Half-closes: sends `eof` after the bytes already sent. */
  close(): void {
    if (this.closing || this.lost) return;
    this.closing = true;
    if (!this.connected) return this.abort();
    if (this.tls) this.tls.socket.end();
    else this.ws.send(MSG_EOF);
  }

  /** Closes at once; the relay resets the TCP connection; `connectionLost(reason ?? null)` follows. */
  abort(reason?: Error): void {
    this.lose(reason ?? null);
  }

  /** Ends the transport now for `reason` (abort, timeout, cancel). */
  lose(reason: Error | null): void {
    if (this.lost) return;
    this.detach();
    if (this.ws.terminate) this.ws.terminate();
    else this.ws.close(CloseCode.abort, 'abort');
    this.tls?.socket.destroy();
    this.queue = [];
    this.stopFlow();
    this.time.callSoon(() => this.reportLost(reason));
    this.lost = true;
  }

  /** Sends bytes as binary messages of at most {@link MAX_MESSAGE_BYTES} each. */
  private sendBytes(bytes: Uint8Array): void {
    // a WebSocket sends views of ordinary ArrayBuffers only (the DOM's type says so); the driver's bytes are such views, a shared one is copied
    const own = (bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes)) as Uint8Array<ArrayBuffer>;
    for (let start = 0; start < own.length; start += MAX_MESSAGE_BYTES) {
      this.ws.send(own.subarray(start, start + MAX_MESSAGE_BYTES), this.onSent);
    }
  }

  /** The buffer reached the high-water mark: pause the producer and watch the buffer drain. */
  private filled(): void {
    this.flow.filled();
    this.drainPoll ??= this.time.callLater(DRAIN_POLL_MS, () => {
      this.drainPoll = null;
      this.checkDrained();
    });
  }

  /** Resumes the producer once the buffer has fallen to a quarter of the mark; keeps polling until then. */
  private checkDrained(): void {
    if (!this.flow.isFull || this.lost) return;
    if (this.bufferedAmount > this.highWaterMark / 4) {
      this.drainPoll ??= this.time.callLater(DRAIN_POLL_MS, () => {
        this.drainPoll = null;
        this.checkDrained();
      });
      return;
    }
    this.drainPoll?.cancel();
    this.drainPoll = null;
    this.flow.drained();
  }

  private stopFlow(): void {
    this.flow.unregister();
    this.drainPoll?.cancel();
    this.drainPoll = null;
  }

  private message(data: unknown): void {
    if (typeof data === 'string') return this.control(data);
    const bytes = toBytes(data);
    if (this.tls) this.tls.duplex.push(bytes);
    else this.enqueue({ kind: 'data', bytes });
  }

  private control(text: string): void {
    if (text === MSG_CONNECTED && !this.connected) {
      this.connected = true;
      this.onSettled();
      guard(() => this.handler.connectionMade(this), this.loseWith);
    } else if (text === MSG_EOF) {
      if (this.tls) this.tls.duplex.push(null);
      else this.enqueue({ kind: 'eof' });
    }
  }

  private closed(code: number, reason: string): void {
    if (this.lost) return;
    const error = this.closeReason(code, reason);
    this.detach();
    if (error === null && this.tls) this.finishTls(this.tls);
    else if (error === null) this.enqueue({ kind: 'lost', reason: null });
    else {
      this.queue = [];
      this.lost = true;
      this.reportLost(error);
    }
  }

  /** A clean close under TLS: report it once the TLS socket has delivered its last bytes. */
  private finishTls(tls: { duplex: Duplex; socket: TLSSocket }): void {
    if (!tls.duplex.readableEnded) tls.duplex.push(null);
    const done = (): void => {
      this.lost = true;
      this.reportLost(null);
    };
    if (tls.socket.destroyed) done();
    else tls.socket.once('close', done);
  }

  /** Maps a close code (see ws-protocol.ts) to the error to report, or null for a clean end. */
  private closeReason(code: number, reason: string): Error | null {
    const cause = this.error;
    if (code === CloseCode.normal && this.connected) return null;
    if (code === CloseCode.policy) return new RelayForbidden(this.target, reason);
    if (code === CloseCode.targetRefused) return new ConnectionRefused(this.target);
    if (code === CloseCode.targetReset) return new ConnectionReset();
    if (code === CloseCode.targetTimeout) return new ConnectFailed(this.target, 'ETIMEDOUT');
    if (code === CloseCode.targetFailed) return this.connected ? new TransportError(reason || undefined) : new ConnectFailed(this.target, reason || undefined);
    if (this.connected) return new ConnectionReset('WebSocket closed abnormally', { cause });
    const errno = (cause as { code?: string } | undefined)?.code;
    if (errno === 'ECONNREFUSED') return new ConnectionRefused(this.target, { cause });
    return new ConnectFailed(this.target, errno ?? `WebSocket close ${code}`, { cause });
  }

  private enqueue(event: Inbound): void {
    if (this.lost) return;
    if (this.paused || this.queue.length > 0) this.queue.push(event);
    else this.deliver(event);
  }

  private drain(): void {
    while (!this.paused && this.queue.length > 0 && !this.lostDelivered) this.deliver(this.queue.shift() as Inbound);
  }

  private deliver(event: Inbound): void {
    if (event.kind === 'data') guard(() => this.handler.dataReceived(event.bytes), this.loseWith);
    else if (event.kind === 'eof') this.peerEof();
    else {
      this.lost = true;
      this.reportLost(event.reason);
    }
  }

  private peerEof(): void {
    deliverEof(this.handler, this.loseWith, () => this.close());
  }

  private reportLost(reason: Error | null): void {
    if (this.lostDelivered) return;
    this.lostDelivered = true;
    this.stopFlow();
    this.onSettled();
    this.handler.connectionLost(reason);
  }

  private detach(): void {
    this.ws.onmessage = null;
    this.ws.onclose = null;
    this.ws.onerror = () => {}; // `ws` throws an unhandled 'error' from terminate() while connecting without one
  }

  private wrapTls(nodeTls: typeof import('../node/transport'), stream: typeof import('node:stream'), options: TlsOptions): Promise<TlsInfo> {
    const ws = this.ws;
    const duplex = new stream.Duplex({
      allowHalfOpen: true,
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.sendBytes(chunk);
        callback();
      },
      final(callback) {
        ws.send(MSG_EOF);
        callback();
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tls: typeof import('node:tls') = require('node:tls');
    let socket: TLSSocket;
    try {
      socket = tls.connect(nodeTls.nodeTlsOptions(options, duplex));
    } catch (cause) {
      // Options node:tls refuses at once (a key that is not a key): reject and lose the transport, never throw.
      const error = nodeTls.tlsSetupError(this.target, cause);
      duplex.destroy();
      this.lose(error);
      return Promise.reject(error);
    }
    this.tls = { duplex, socket };
    socket.on('data', (chunk: Buffer) => guard(() => this.handler.dataReceived(chunk), this.loseWith));
    socket.on('end', () => this.peerEof());
    if (this.paused) socket.pause();
    return new Promise((resolve, reject) => {
      socket.once('secureConnect', () => resolve(nodeTls.tlsInfoOf(socket)));
      socket.on('error', (cause: Error) => {
        const error = new TlsError(`TLS handshake with ${this.target} failed: ${cause.message}`, { cause });
        reject(error);
        this.lose(error);
      });
    });
  }
}
