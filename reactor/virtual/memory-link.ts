/**
 * MemoryLink: an in-memory connection between two {@link MemoryTransport}s.
 *
 * Theory of operation. Each side has an inbox of events for its handler:
 * `made`, `data`, `eof`, `lost`. Writing, closing or aborting one side only
 * appends to the other side's inbox; nothing is delivered until the owner
 * (the {@link VirtualReactor}) calls {@link MemoryLink.pump}, so handlers are
 * never called re-entrantly and a test decides when bytes move.
 *
 * Semantics, the same as the Node reactor's:
 * - `write` copies the bytes (the caller may reuse its array) and records
 *   them in `written` for assertions.
 * - `close()` is a half-close: the peer gets `eofReceived` after the bytes
 *   already written (or, when its handler has no `eofReceived`, closes its
 *   side in turn). When both sides have closed and both have seen the
 *   other's EOF, both get `connectionLost(null)`.
 * - `abort(reason)` drops undelivered bytes in both directions; the aborting
 *   side gets `connectionLost(reason ?? null)`, the peer a `ConnectionReset`.
 * - `pauseReading()` holds `data` and `eof` for that side; `stall()` holds them
 *   for both sides (bytes are accepted, not delivered: a blackholed network).
 * - Flow control: a side's `bufferedAmount` is the bytes it wrote that the
 *   peer's handler has not been given yet (held by the peer's pause, a
 *   stall, or simply not pumped yet). A write that brings it to the link's
 *   {@link MemoryLink.highWaterMark} pauses that side's registered producer;
 *   the pump that brings it down to {@link MemoryLink.lowWaterMark} resumes
 *   it. `maxBufferedAmount` keeps the peak, for tests that bound memory.
 * - `drop('reset')` is a network failure: both sides get `ConnectionReset`
 *   at once. `drop('close')` ends the link cleanly: pending bytes are
 *   delivered (a stall is lifted), then EOF, then `connectionLost(null)`.
 * - `startTls` resolves at once with {@link MemoryLink.tlsInfo} (no encryption);
 *   the server side can tell from {@link MemoryLink.tlsStarted}.
 */
import type { Producer, TlsInfo, TlsOptions, Transport, TransportHandler } from '../interfaces';
import { ConnectionReset, TlsError } from '../errors';
import { deliverEof, guard } from '../guard';
import { WriteFlow } from '../write-flow';

/** The default write high-water mark of a {@link MemoryLink}, in bytes. */
export const MEMORY_HIGH_WATER_MARK = 64 * 1024;

/** Which end of a link: the connecting side or the accepting side. */
export type LinkSide = 'client' | 'server';

type Inbound =
  | { kind: 'made' }
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'eof' }
  | { kind: 'lost'; reason: Error | null };

/** One end of a {@link MemoryLink}. */
export class MemoryTransport implements Transport {
  /** Events waiting for delivery to this side's handler. */
  private inbox: Inbound[] = [];
  private paused = false;
  /** True once this side has called close() (FIN sent). */
  writeClosed = false;
  /** True once this side has seen the peer's FIN. */
  eofSeen = false;
  /** True once `connectionLost` was delivered to this side. */
  lost = false;
  /** Options passed to the last `startTls` call on this side. */
  tlsOptions: TlsOptions | undefined;
  /** The keepalive delay set with setKeepAlive, or undefined when off. */
  keepAlive: number | undefined;
  /** The highest {@link bufferedAmount} this side has reached. */
  maxBufferedAmount = 0;
  private buffered = 0;
  private readonly flow = new WriteFlow();
  private readonly loseWith = (error: Error): void => this.abort(error);

  constructor(private readonly link: MemoryLink, readonly side: LinkSide, readonly handler: TransportHandler) {}

  /**
   * Copies `bytes` and queues them for the peer. Ignored after close, abort
   * or drop. Pauses the registered producer at the link's high-water mark.
   */
  write(bytes: Uint8Array): void {
    if (this.writeClosed || this.lost || this.link.finished) return;
    const copy = bytes.slice();
    this.link.written[this.side].push(copy);
    this.link.peerOf(this).enqueue({ kind: 'data', bytes: copy });
    this.buffered += copy.length;
    if (this.buffered > this.maxBufferedAmount) this.maxBufferedAmount = this.buffered;
    if (this.buffered >= this.link.highWaterMark) this.flow.filled();
  }

  /** Bytes this side wrote that the peer's handler has not been given yet. */
  get bufferedAmount(): number {
    return this.buffered;
  }

  /** Registers the producer of this side's writes. */
  registerProducer(producer: Producer): void {
    this.flow.register(producer);
  }

  /** Forgets the producer. */
  unregisterProducer(): void {
    this.flow.unregister();
  }

  /**
   * The peer took `n` of this side's bytes (delivered, or dropped when
   * `lost`); resumes the producer at the low-water mark. Returns whether it did.
   */
  taken(n: number, lost = false): boolean {
    this.buffered = Math.max(0, this.buffered - n);
    if (lost) {
      this.flow.unregister();
      return false;
    }
    if (!this.flow.isFull || this.buffered > this.link.lowWaterMark) return false;
    this.flow.drained();
    return true;
  }

  /** Resolves with the link's `tlsInfo` (no encryption) and sets `link.tlsStarted`. */
  startTls(options: TlsOptions): Promise<TlsInfo> {
    if (this.link.finished || this.lost) return Promise.reject(new TlsError('cannot start TLS on a closed transport'));
    this.tlsOptions = options;
    this.link.tlsStarted = true;
    return Promise.resolve({ ...this.link.tlsInfo });
  }

  /** Holds `data`/`eof` delivery to this side. */
  pauseReading(): void {
    this.paused = true;
  }

  /** Lets delivery continue at the next pump. */
  resumeReading(): void {
    this.paused = false;
  }

  /** Half-closes: the peer sees EOF after the bytes already written. */
  close(): void {
    if (this.writeClosed || this.lost || this.link.finished) return;
    this.writeClosed = true;
    this.link.peerOf(this).enqueue({ kind: 'eof' });
  }

  /** Drops undelivered bytes; this side gets `connectionLost(reason ?? null)`, the peer a reset. */
  abort(reason?: Error): void {
    if (this.lost || this.link.finished) return;
    this.link.finished = true;
    this.replaceInbox({ kind: 'lost', reason: reason ?? null });
    this.link.peerOf(this).replaceInbox({ kind: 'lost', reason: new ConnectionReset() });
  }

  /** Records keepalive settings (nothing to probe in memory). */
  setKeepAlive(enable: boolean, initialDelayMs?: number): void {
    this.keepAlive = enable ? (initialDelayMs ?? 0) : undefined;
  }

  /** The number of events waiting for delivery. */
  get pendingEvents(): number {
    return this.inbox.length;
  }

  /** Appends an event to this side's inbox. */
  enqueue(event: Inbound): void {
    if (!this.lost) this.inbox.push(event);
  }

  /** Replaces whatever is pending with one event (abort, reset); the peer's undelivered bytes are dropped. */
  replaceInbox(event: Inbound): void {
    if (this.lost) return;
    this.link.peerOf(this).taken(dataBytes(this.inbox), true);
    this.inbox = [event];
  }

  /** Delivers what may be delivered now; returns whether anything was. */
  pump(): boolean {
    let moved = false;
    while (this.inbox.length > 0 && !this.lost) {
      const event = this.inbox[0];
      if ((event.kind === 'data' || event.kind === 'eof') && (this.paused || this.link.stalled)) break;
      this.inbox.shift();
      moved = true;
      this.deliver(event);
      if (event.kind === 'data') this.link.peerOf(this).taken(event.bytes.length, this.link.finished);
    }
    return moved;
  }

  private deliver(event: Inbound): void {
    switch (event.kind) {
      case 'made':
        return guard(() => this.handler.connectionMade(this), this.loseWith);
      case 'data':
        return guard(() => this.handler.dataReceived(event.bytes), this.loseWith);
      case 'eof':
        return this.deliverEof();
      case 'lost':
        this.lost = true;
        this.link.peerOf(this).taken(dataBytes(this.inbox), true);
        this.inbox = [];
        this.flow.unregister();
        return this.handler.connectionLost(event.reason);
    }
  }

  private deliverEof(): void {
    this.eofSeen = true;
    deliverEof(this.handler, this.loseWith, () => this.close());
    this.link.checkClosed();
  }
}

/** The bytes of the data events in `inbox`. */
function dataBytes(inbox: readonly Inbound[]): number {
  let n = 0;
  for (const e of inbox) if (e.kind === 'data') n += e.bytes.length;
  return n;
}

/**
 * An in-memory connection: two transports, what each wrote, and fault
 * controls (`drop`, `stall`). Created by `ConnectAttempt.accept()`.
 */
export class MemoryLink {
  /** The transport handed to the connecting side's handler. */
  readonly clientTransport: MemoryTransport;
  /** The transport handed to the accepting side's handler. */
  readonly serverTransport: MemoryTransport;
  /** Every chunk written, per writing side, in order (copies). */
  readonly written: Record<LinkSide, Uint8Array[]> = { client: [], server: [] };
  /** True while stalled: bytes are accepted but not delivered. */
  stalled = false;
  /** True once either side called `startTls`. */
  tlsStarted = false;
  /** What `startTls` resolves with; set it to simulate a server certificate. */
  tlsInfo: TlsInfo = {};
  /** True once the link has ended (abort, drop, or both sides closed). */
  finished = false;
  /** A side's producer is paused once it has this many bytes undelivered (default {@link MEMORY_HIGH_WATER_MARK}). */
  highWaterMark: number;
  /** ...and resumed once no more than this many remain (default a quarter of the high-water mark). */
  lowWaterMark: number;

  /**
   * @param highWaterMark - see {@link MemoryLink.highWaterMark}; the low-water mark is a quarter of it.
   */
  constructor(clientHandler: TransportHandler, serverHandler: TransportHandler, highWaterMark = MEMORY_HIGH_WATER_MARK) {
    this.highWaterMark = highWaterMark;
    this.lowWaterMark = Math.floor(highWaterMark / 4);
    this.serverTransport = new MemoryTransport(this, 'server', serverHandler);
    this.clientTransport = new MemoryTransport(this, 'client', clientHandler);
    this.serverTransport.enqueue({ kind: 'made' });
    this.clientTransport.enqueue({ kind: 'made' });
  }

  /** The other end of `transport`. */
  peerOf(transport: MemoryTransport): MemoryTransport {
    return transport === this.clientTransport ? this.serverTransport : this.clientTransport;
  }

  /** Everything `side` wrote, concatenated. */
  bytesWritten(side: LinkSide): Uint8Array {
    const chunks = this.written[side];
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }

  /**
   * Ends the link as a network would. `'reset'` (default): both sides get
   * `connectionLost(ConnectionReset)`, undelivered bytes are lost. `'close'`:
   * pending bytes are delivered, then EOF, then `connectionLost(null)`.
   */
  drop(mode: 'reset' | 'close' = 'reset'): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of [this.clientTransport, this.serverTransport]) {
      if (mode === 'reset') t.replaceInbox({ kind: 'lost', reason: new ConnectionReset('link dropped') });
      else {
        if (!this.peerOf(t).writeClosed) t.enqueue({ kind: 'eof' });
        t.enqueue({ kind: 'lost', reason: null });
      }
    }
    if (mode === 'close') this.stalled = false;
  }

  /** Stops delivery in both directions; writes are still accepted and recorded. */
  stall(): void {
    this.stalled = true;
  }

  /** Ends a stall; held bytes are delivered at the next pump. */
  unstall(): void {
    this.stalled = false;
  }

  /** Delivers pending events to both sides; returns whether anything moved. */
  pump(): boolean {
    const a = this.serverTransport.pump();
    const b = this.clientTransport.pump();
    return a || b;
  }

  /** True once both sides have had `connectionLost`. */
  get done(): boolean {
    return this.clientTransport.lost && this.serverTransport.lost;
  }

  /** After an EOF: when both sides have closed and seen EOF, both are lost cleanly. */
  checkClosed(): void {
    const c = this.clientTransport;
    const s = this.serverTransport;
    if (this.finished || !(c.writeClosed && s.writeClosed && c.eofSeen && s.eofSeen)) return;
    this.finished = true;
    c.enqueue({ kind: 'lost', reason: null });
    s.enqueue({ kind: 'lost', reason: null });
  }
}
