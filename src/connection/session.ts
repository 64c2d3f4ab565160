/**
 * Session: drives one {@link ProtocolMachine} over one reactor transport.
 *
 * Theory of operation. This is txpostgres' `_PollingMixin.continuePolling`
 * ported onto a sans-IO core. Every input (connection made, bytes received,
 * end of stream, a command sent, a TLS handshake done) is handed to the
 * machine; then its events are drained and routed; then `poll()` says what
 * to do: 'write' flushes the machine's coalesced output, 'starttls' upgrades
 * the transport in place, 'read' and 'ok' wait.
 *
 * Routing: operations complete in FIFO order (each Sync and each simple
 * Query is one), so the session keeps one {@link OpHandler} per operation in
 * flight and hands every operation-scoped message to the head of that FIFO;
 * ReadyForQuery completes the head. Notifications, notices and the end of the
 * session go to the {@link SessionListener}.
 *
 * The session runs inside the reactor's read handler and never calls user
 * code: handlers and listeners only record results and schedule user
 * callbacks with `callSoon` (the Connection does that).
 *
 * Writes are coalesced: commands sent during one turn of the event loop go
 * out in one `transport.write`, flushed by a single `callSoon`.
 *
 * SCRAM's salted password (PBKDF2, as many iterations as the server asks
 * for) is derived off the event loop: the machine (built with
 * `keyDerivation: 'driver'`) yields a `KeyDerivationRequest`, the session
 * runs the crypto's `pbkdf2Sha256Async` (Node's thread pool) and hands the
 * key back with `machine.keyDerived`. Meanwhile the reactor turns, so the
 * connect timeout can end the session; a key that arrives after the
 * session ended is dropped.
 *
 * Flow control (Twisted's producer/consumer, see `reactor/interfaces.ts`).
 * The session registers itself as the transport's producer. It keeps
 * flushing its own (small) protocol messages whatever the buffer says; what
 * it does is tell the operations: {@link OpFlow.writable} is false while the
 * transport's write buffer is over its high-water mark, and each operation in
 * flight gets {@link OpHandler.writable} when it has drained, so a bulk
 * writer (COPY FROM STDIN) sends its next chunk only then. The other way,
 * an operation whose consumer lags calls {@link OpFlow.pauseReading}: the
 * transport stops being read (so the server is held back by TCP) until it
 * calls `resumeReading`, or the operation ends. Reading is paused while any
 * holder (an operation, or a caller of {@link Session.pauseReading}) wants it.
 */
import type { Producer, Reactor, TlsInfo, TlsOptions, Transport, TransportHandler } from '../../reactor/interfaces';
import { Deferred, fromPromise, maybeDeferred } from '../defer';
import { ConnectionClosed, ConnectionLost, InterfaceError } from '../errors/base';
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import type { Command } from '../core/commands';
import type { KeyDerivationRequestEvent, MachineEvent } from '../core/events';
import type { ProtocolMachine } from '../core/machine';
import type { AuthCrypto } from '../protocol/auth/crypto';
import type { BackendMessage, RawFields, TransactionStatus } from '../protocol/messages';

/** What an operation may do about flow control; given to {@link OpHandler.attached}. */
export interface OpFlow {
  /**
   * False while the transport's write buffer is over its high-water mark:
   * an operation producing bulk data waits for {@link OpHandler.writable}.
   * True on transports without flow control.
   */
  readonly writable: boolean;
  /** Stops reading from the server for this operation (its consumer lags). Idempotent. */
  pauseReading(): void;
  /** Undoes this operation's {@link pauseReading}; also done when the operation ends. Idempotent. */
  resumeReading(): void;
}

/** Receives the messages of one operation. */
export interface OpHandler {
  /** An operation-scoped backend message (RowDescription, DataRow, ErrorResponse, ...). */
  message(msg: BackendMessage): void;
  /** The operation's ReadyForQuery. */
  ready(status: TransactionStatus): void;
  /** The session ended before the operation completed. */
  abort(error: Error): void;
  /**
   * A CopyData of a COPY TO STDOUT: its payload is `buf[start, end)`, valid
   * during the call only (copy what you keep). Without it, the handler gets
   * CopyData through {@link message}.
   */
  copyData?: (buf: Uint8Array, start: number, end: number) => void;
  /** The operation reached the head of the pipeline: the server is running it now. */
  started?: () => void;
  /**
   * An ErrorResponse of the operation arrived (after `message` got it);
   * its ReadyForQuery follows. Lets a caller act at once, before the
   * server's rollback and ReadyForQuery (a cancelled statement fails here).
   */
  serverError?: (fields: RawFields) => void;
  /** Called once, when `send` queues the handler, with the operation's flow control. */
  attached?(flow: OpFlow): void;
  /**
   * The transport's write buffer has drained below its low-water mark after
   * being full (`OpFlow.writable` is true again). Called from the
   * reactor, for each operation in flight: only record, or `callSoon`.
   */
  writable?(): void;
}

/** Receives the session-level events. */
export interface SessionListener {
  /** The session is up (first ReadyForQuery). */
  ready(): void;
  /** A NotificationResponse. */
  notification(processId: number, channel: string, payload: string): void;
  /** A NoticeResponse's raw fields. */
  notice(fields: Record<string, string>): void;
  /** The session ended; `error` is null only after a clean Terminate. Called once. */
  lost(error: Error | null): void;
}

/** TLS settings the session applies when the machine asks for TLS. */
export interface SessionTls {
  options: TlsOptions;
  /** Computes the channel binding data from the negotiated TLS info. */
  channelBinding(info: TlsInfo): Uint8Array | undefined;
}

/** One protocol session over one transport; see the file comment. */
export class Session implements TransportHandler {
  private transport: Transport | null = null;
  private readonly inflight: OpHandler[] = [];
  private head = 0;
  private flushScheduled = false;
  private ended = false;
  private abortReason: Error | null = null;
  private writesPaused = false;
  /** Who wants reading paused: operations (their handlers) or callers of pauseReading. */
  private readonly readingHeldBy = new Set<object>();
  private readonly producer: Producer = {
    pauseProducing: () => {
      this.writesPaused = true;
    },
    resumeProducing: () => this.drained(),
  };

  constructor(
    readonly machine: ProtocolMachine,
    private readonly reactor: Reactor,
    private readonly listener: SessionListener,
    private readonly tls: SessionTls | null,
    /** Derives SCRAM's key when the machine asks (see the file comment); null for a machine that derives it itself. */
    private readonly crypto: AuthCrypto | null = null,
  ) {
    machine.setCopyDataSink((buf, start, end) => this.copyData(buf, start, end));
  }

  /** Whether the session has ended. */
  get closed(): boolean {
    return this.ended;
  }

  /** Operations in flight. */
  get pending(): number {
    return this.inflight.length - this.head;
  }

  /** False while the transport's write buffer is over its high-water mark (see the file comment). */
  get writable(): boolean {
    return !this.writesPaused;
  }

  /** Whether reading from the transport is paused (by anyone). */
  get readingPaused(): boolean {
    return this.readingHeldBy.size > 0;
  }

  /**
   * Stops reading from the transport until {@link resumeReading}: nothing
   * more is received (the server is held back by TCP). `holder` names who
   * wants it (default: the caller, as the session); reading resumes when no
   * holder is left. Idempotent per holder.
   */
  pauseReading(holder: object = this): void {
    const wasPaused = this.readingPaused;
    this.readingHeldBy.add(holder);
    if (!wasPaused && this.transport !== null && !this.ended) this.transport.pauseReading();
  }

  /** Undoes `holder`'s {@link pauseReading}; reading resumes when no holder is left. */
  resumeReading(holder: object = this): void {
    if (!this.readingHeldBy.delete(holder) || this.readingPaused) return;
    if (this.transport !== null && !this.ended) this.transport.resumeReading();
  }

  /**
   * Sends a command whose operations (one per Sync or Query) report to
   * `handlers`, in order. Throws what `machine.send` throws; nothing is queued then.
   */
  send(command: Command, ...handlers: OpHandler[]): void {
    this.machine.send(command);
    const wasIdle = this.pending === 0;
    for (const h of handlers) {
      this.inflight.push(h);
      h.attached?.(this.flowFor(h));
    }
    this.scheduleFlush();
    if (wasIdle) this.inflight[this.head]?.started?.();
  }

  /**
   * Ends the session politely: Terminate, then close the transport. Operations
   * still in flight fail at once with `ConnectionClosed`.
   */
  terminate(): void {
    if (this.ended || this.transport === null) return this.abort(null);
    try {
      this.machine.send({ type: 'terminate' });
    } catch {
      /* not legal in this state: just close */
    }
    this.flush();
    this.transport.close();
    this.end(null, () => new ConnectionClosed('the connection was closed while the operation was running'));
  }

  /** Ends the session at once (no Terminate). */
  abort(reason: Error | null): void {
    this.abortReason = reason;
    if (this.transport !== null) this.transport.abort(reason ?? undefined);
    else this.end(reason ?? new ConnectionLost('the connection attempt was aborted'));
  }

  // ---------------------------------------------------------- TransportHandler

  connectionMade(transport: Transport): void {
    this.transport = transport;
    transport.registerProducer?.(this.producer);
    if (this.readingPaused) transport.pauseReading();
    this.machine.start();
    this.continuePolling();
  }

  dataReceived(bytes: Uint8Array): void {
    if (this.ended) return; // after close(): replies to operations already failed with ConnectionClosed have no one to go to
    this.machine.receiveData(bytes);
    this.drain();
    this.continuePolling();
  }

  connectionLost(reason: Error | null): void {
    if (this.ended) return;
    if (this.abortReason !== null) return this.end(this.abortReason); // our own abort: its reason is the story
    this.machine.receiveEof();
    this.drain(reason);
    this.end(reason ?? new ConnectionLost());
  }

  // ---------------------------------------------------------- the poll loop

  /** Acts on `machine.poll()` until it says to wait. */
  private continuePolling(): void {
    for (;;) {
      const state = this.machine.poll();
      if (state === 'write') {
        this.flush();
      } else {
        if (state === 'starttls') this.startTls();
        return;
      }
    }
  }

  /** Writes what the machine has to send; the transport copies it (its contract), so the machine's buffer is lent, not copied. */
  private flush(): void {
    const bytes = this.machine.dataToSendView();
    if (bytes !== null && this.transport !== null) this.transport.write(bytes);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.reactor.callSoon(this.flushSoon);
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    if (!this.ended) this.continuePolling();
  };

  /**
   * Upgrades the transport when the machine asks. A failed upgrade ends the
   * session with its error. A transport that throws instead of rejecting may
   * not report the loss either, so the session then ends at once by itself.
   */
  private startTls(): void {
    const transport = this.transport!;
    if (this.tls === null) return this.abort(new ConnectionLost('the server accepted TLS, but no TLS settings were given'));
    let upgrade: Promise<TlsInfo>;
    try {
      upgrade = transport.startTls(this.tls.options);
    } catch (err) {
      const error = err instanceof Error ? err : new ConnectionLost(String(err));
      this.abortReason = error;
      transport.abort(error);
      return this.end(error);
    }
    // public boundary: Promise (the reactor's startTls; reactors know no Deferreds)
    fromPromise(upgrade).addCallbacks(
      (info) => {
        if (this.ended) return;
        this.machine.tlsEstablished(this.tls!.channelBinding(info));
        this.continuePolling();
      },
      (err: Error) => this.abort(err),
    );
  }

  /**
   * Derives the key a KeyDerivationRequest asks for without blocking the
   * reactor: the crypto's `pbkdf2Sha256Async`, or its synchronous PBKDF2
   * when it has none. A failure ends the session with its error.
   */
  private deriveKey(req: KeyDerivationRequestEvent): void {
    const crypto = this.crypto;
    if (crypto === null) return this.abort(new InterfaceError('the machine asks for a SCRAM key derivation, but the session has no crypto'));
    // public boundary: Promise (a user's AuthCrypto may derive with WebCrypto; maybeDeferred takes it in through fromPromise)
    const derivation: Deferred<Uint8Array> = maybeDeferred(() =>
      crypto.pbkdf2Sha256Async === undefined
        ? crypto.pbkdf2Sha256(req.password, req.salt, req.iterations)
        : crypto.pbkdf2Sha256Async(req.password, req.salt, req.iterations),
    );
    derivation.addCallback((key) => this.keyDerived(key)).addErrback((error: Error) => {
      if (!this.ended) this.abort(error);
    });
  }

  /** The derived key, back to the machine; dropped when the session has ended meanwhile (timeout, abort, close). */
  private keyDerived(key: Uint8Array): void {
    if (this.ended) return;
    this.machine.keyDerived(key);
    this.drain();
    this.continuePolling();
  }

  /** The flow control handed to one operation: the session's, with the operation as holder of its read pause. */
  private flowFor(h: OpHandler): OpFlow {
    const writable = (): boolean => this.writable;
    return {
      get writable() {
        return writable();
      },
      pauseReading: () => this.pauseReading(h),
      resumeReading: () => this.resumeReading(h),
    };
  }

  /** The transport's write buffer drained: tell every operation in flight. */
  private drained(): void {
    this.writesPaused = false;
    for (const h of this.inflight.slice(this.head)) h.writable?.();
  }

  /** Routes every pending machine event (see the file comment). */
  private drain(transportError: Error | null = null): void {
    for (let ev = this.machine.nextEvent(); ev !== null; ev = this.machine.nextEvent()) {
      this.route(ev, transportError);
    }
  }

  private route(ev: MachineEvent, transportError: Error | null): void {
    switch (ev.type) {
      case 'ReadyForQuery':
        this.shift().ready(ev.status);
        return this.inflight[this.head]?.started?.();
      case 'NotificationResponse':
        return this.listener.notification(ev.processId, ev.channel, ev.payload);
      case 'NoticeResponse':
        return this.listener.notice(ev.fields);
      case 'ParameterStatus':
        return;
      case 'StartupComplete':
        return this.listener.ready();
      case 'KeyDerivationRequest':
        return this.deriveKey(ev);
      case 'ErrorResponse':
        return this.serverError(ev);
      case 'Failed':
        return this.end(this.failure(ev.error, transportError));
      default:
        if (this.head < this.inflight.length) this.inflight[this.head].message(ev);
    }
  }

  /** A COPY TO's data, straight from the machine (see `ProtocolMachine.setCopyDataSink`): to the head operation. */
  private copyData(buf: Uint8Array, start: number, end: number): void {
    if (this.head >= this.inflight.length) return;
    const h = this.inflight[this.head];
    if (h.copyData !== undefined) h.copyData(buf, start, end);
    else h.message({ type: 'CopyData', data: buf.subarray(start, end) });
  }

  /**
   * An operation's ErrorResponse: to its handler, then to its `serverError`
   * hook. A FATAL or PANIC one (`pg_terminate_backend`, an idle-session
   * timeout, a shutdown), with or without an operation in flight, then ends
   * the session at once with that error: the server is exiting, and its
   * close of the socket comes only after its exit work (pg reports the same
   * ErrorResponse as soon as it arrives), so waiting for the close would
   * only delay the failure of the rest of the pipeline and the reconnection.
   */
  private serverError(msg: Extract<BackendMessage, { type: 'ErrorResponse' }>): void {
    if (this.head < this.inflight.length) {
      const h = this.inflight[this.head];
      h.message(msg);
      h.serverError?.(msg.fields);
    }
    const severity = msg.fields.V ?? msg.fields.S;
    if (severity === 'FATAL' || severity === 'PANIC') this.end(databaseErrorFrom(msg.fields));
  }

  /** The error to report: a lost link keeps the socket error as its cause. */
  private failure(error: Error | null, transportError: Error | null): Error | null {
    if (!(error instanceof ConnectionLost) || transportError === null) return error;
    return new ConnectionLost(`the connection to the server was lost: ${transportError.message}`, { cause: transportError });
  }

  private shift(): OpHandler {
    const h = this.inflight[this.head++];
    if (this.head === this.inflight.length) {
      // all done: emptied by pop (setting `length` is a runtime call; this runs once per operation)
      while (this.inflight.length > 0) this.inflight.pop();
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.inflight.length) {
      // a pipeline that never drains: drop the completed handlers (and their results) now
      this.inflight.splice(0, this.head);
      this.head = 0;
    }
    if (this.readingHeldBy.size > 0) this.resumeReading(h); // an operation that ends holds reading paused no longer
    return h;
  }

  /** Ends the session once: aborts every operation in flight, tells the listener. */
  private end(error: Error | null, abortedWith?: () => Error): void {
    if (this.ended) return;
    this.ended = true;
    const pending = this.inflight.slice(this.head);
    this.inflight.length = 0;
    this.head = 0;
    this.readingHeldBy.clear();
    this.transport?.unregisterProducer?.();
    if (pending.length > 0) {
      // built only when an operation is there to fail (an error's stack costs microseconds; a plain close fails none)
      const aborted = abortedWith?.() ?? error ?? new ConnectionLost('the connection was closed');
      for (const h of pending) h.abort(aborted);
    }
    if (this.transport !== null && error !== null) this.transport.abort();
    this.listener.lost(error);
  }
}
