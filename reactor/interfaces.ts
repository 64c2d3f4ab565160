/**
 * The reactor interfaces: what tspostgres needs from an event loop.
 *
 * Theory of operation. A reactor does two things and knows nothing else: it
 * schedules callbacks in time ({@link ReactorTime}) and it moves bytes over
 * stream transports ({@link ReactorConnect}, {@link Transport}). Protocol code
 * implements {@link TransportHandler} and is told when a connection is made,
 * when bytes arrive and when the connection is lost, as Twisted's
 * protocol/transport pair is. Nothing here knows about PostgreSQL or
 * Deferreds, so the same driver runs over Node sockets, WebSockets or the
 * deterministic {@link VirtualReactor} used in tests.
 *
 * Time is in milliseconds everywhere.
 */

/** A call scheduled with {@link ReactorTime.callLater}. */
export interface DelayedCall {
  /** The reactor time (ms) at which the call is due. */
  readonly time: number;
  /** True until the call has run or been cancelled. */
  active(): boolean;
  /** Cancels the call; a no-op when it already ran or was cancelled. */
  cancel(): void;
  /** Reschedules the call to run `delayMs` from now. Throws if not active. */
  reset(delayMs: number): void;
  /** Postpones the call by `delayMs` more. Throws if not active. */
  delay(delayMs: number): void;
}

/** The clock of a reactor. */
export interface ReactorTime {
  /** The current reactor time in milliseconds (monotonic; origin unspecified). */
  now(): number;
  /**
   * Runs `fn` once, `delayMs` from now (never early). Calls due at the same
   * time run in the order scheduled. Any finite delay >= 0 works, however
   * long (a real reactor chains its platform timers where one cannot hold
   * the delay, e.g. Node's 2^31-1 ms limit). `Infinity` means never: the call
   * stays pending (`active()`, `time` is Infinity) until cancelled or reset.
   * NaN, a negative delay or a non-number throws a RangeError and schedules
   * nothing. The same rules apply to `DelayedCall.reset` and `delay`.
   */
  callLater(delayMs: number, fn: () => void): DelayedCall;
  /**
   * Runs `fn` as soon as possible, but never synchronously: after the current
   * callback (and any I/O handler it is inside) returns. Calls run in FIFO order.
   * Never costs a timer tick (no `setTimeout(0)`).
   */
  callSoon(fn: () => void): void;
}

/** Where to connect: a TCP host and port, or a unix socket path. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Options for a TLS upgrade of an existing transport. */
export interface TlsOptions {
  /** Server name for SNI and certificate hostname checks. */
  servername?: string;
  /** Whether to verify the server certificate chain. */
  rejectUnauthorized?: boolean;
  /** Trusted CA certificates (PEM). */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client certificate (PEM). */
  cert?: string | Uint8Array;
  /** Client private key (PEM, unencrypted). */
  key?: string | Uint8Array;
  /** Certificate revocation lists (PEM): a server certificate they revoke is refused. */
  crl?: string | Uint8Array | Array<string | Uint8Array>;
  /** Oldest TLS version to accept (`'TLSv1'` ... `'TLSv1.3'`). */
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Newest TLS version to offer. */
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /**
   * Custom server identity check (for `verify-ca`, which checks the chain but not the
   * host name). Returns an Error to reject, undefined to accept.
   */
  checkServerIdentity?: (host: string, cert: unknown) => Error | undefined;
}

/** Options for {@link ReactorConnect.connect}. */
export interface ConnectOptions {
  /** Fail with a `ConnectTimeout` reactor error if not connected within this many ms. */
  timeoutMs?: number;
  /** Enable TCP keepalive with this initial delay (ms); 0 or undefined leaves it off. */
  keepAliveInitialDelayMs?: number;
  /** Disable Nagle's algorithm (default true). */
  noDelay?: boolean;
}

/** A pending connection attempt; `cancel()` aborts it (the handler then sees `connectionLost`). */
export interface Connector {
  cancel(): void;
}

/** Opens stream connections. */
export interface ReactorConnect {
  /**
   * Starts connecting to `endpoint`. On success `handler.connectionMade(transport)`
   * is called; on failure (refused, timeout, DNS) `handler.connectionLost(error)`
   * is called without a prior `connectionMade`. Never calls the handler synchronously.
   */
  connect(endpoint: Endpoint, handler: TransportHandler, options?: ConnectOptions): Connector;
}

/**
 * A writer that a transport can ask to stop and start (Twisted's
 * `IPushProducer`, seen from the transport it writes to). Register one with
 * {@link Transport.registerProducer}.
 */
export interface Producer {
  /**
   * The transport's write buffer reached its high-water mark: stop writing
   * until {@link resumeProducing}. May be called from inside `write()`.
   * Bytes written anyway are still queued and sent, never dropped; the mark
   * is a request, not a limit.
   */
  pauseProducing(): void;
  /**
   * The buffer drained to its low-water mark: write again. Called from the
   * reactor, never from inside `write()`, and only after a `pauseProducing`.
   */
  resumeProducing(): void;
}

/**
 * A bidirectional byte stream.
 *
 * Flow control, both ways (Twisted's producer/consumer pair):
 * - Writing: `write()` never refuses bytes; it queues them. A writer that
 *   can produce a lot (COPY FROM STDIN) registers a {@link Producer}; the
 *   transport calls `pauseProducing()` once its buffer
 *   ({@link bufferedAmount}) reaches its high-water mark and
 *   `resumeProducing()` once it has drained to its low-water mark, so what
 *   is buffered stays near the mark however large the source.
 * - Reading: `pauseReading()` stops `dataReceived` (and EOF) until
 *   `resumeReading()`, so a consumer that lags stops the socket being read
 *   and the peer is held back by TCP (or the relay, or the link) itself.
 * `registerProducer`, `unregisterProducer` and `bufferedAmount` are optional
 * for transports written elsewhere: without them the writer is never asked
 * to pause (memory is then bounded only by how fast the peer reads). The
 * three reactors shipped here implement them; the conformance suite
 * (`reactor/testing`, shipped as `tspostgres/reactor/testing`) checks them.
 */
export interface Transport {
  /**
   * Queues bytes for sending. The caller may reuse `bytes` after the call
   * returns. Never refuses bytes because the buffer is full (see
   * {@link registerProducer}); ignored after `close()`/`abort()`.
   */
  write(bytes: Uint8Array): void;
  /**
   * Bytes accepted by `write()` and not yet handed on (to the kernel, the
   * WebSocket, the peer of an in-memory link). 0 when nothing waits.
   */
  readonly bufferedAmount?: number;
  /**
   * Registers the (one) producer of this transport's writes: it is paused
   * while the write buffer is over its high-water mark (at once, during this
   * call, when it already is) and resumed when it has drained. Replaces a
   * producer registered before. A lost transport stops calling it.
   */
  registerProducer?(producer: Producer): void;
  /** Forgets the registered producer; it is called no more. */
  unregisterProducer?(): void;
  /**
   * Upgrades the stream to TLS in place (PostgreSQL's SSLRequest). The returned
   * promise resolves once the handshake completes; data written before that is sent
   * over TLS. Rejects (and the transport is lost) when the handshake fails or
   * the options are refused (a key that is not a key); never throws.
   */
  startTls(options: TlsOptions): Promise<TlsInfo>;
  /**
   * Stops delivering `dataReceived` and EOF until {@link resumeReading}
   * (Twisted's `pauseProducing` of a transport); the peer's bytes wait in the
   * socket, so a slow consumer holds back the sender. Idempotent; a handler
   * call already running finishes. `connectionLost` is still delivered.
   */
  pauseReading(): void;
  /** Resumes delivering `dataReceived` (what arrived meanwhile first, in order), never from inside this call. Idempotent. */
  resumeReading(): void;
  /** Half-closes: sends what is queued, then FIN. `connectionLost(null)` follows once the peer closes too. */
  close(): void;
  /** Closes at once, dropping anything queued; `connectionLost` follows with `reason` or null. */
  abort(reason?: Error): void;
  /** Sets or clears TCP keepalive (ms before the first probe); a no-op where not supported. */
  setKeepAlive?(enable: boolean, initialDelayMs?: number): void;
}

/** What a TLS upgrade negotiated. */
export interface TlsInfo {
  /** The DER encoding of the server's certificate, for SCRAM-SHA-256-PLUS (tls-server-end-point). */
  peerCertificateDer?: Uint8Array;
  /** The certificate signature hash algorithm name (e.g. 'sha256'), when known. */
  peerCertificateHash?: string;
  /** The negotiated protocol, e.g. 'TLSv1.3'. */
  protocol?: string;
}

/** Receives the events of one transport. Every method is called from the reactor, never re-entrantly. */
export interface TransportHandler {
  /** The connection is open; `transport` is the way to write. */
  connectionMade(transport: Transport): void;
  /** Bytes arrived. The array is only valid during the call unless copied. */
  dataReceived(bytes: Uint8Array): void;
  /** The peer closed its side (FIN) while ours stays open. Optional; when absent the transport closes. */
  eofReceived?(): void;
  /** The connection ended: `null` for a clean close, an Error otherwise. Called exactly once. */
  connectionLost(reason: Error | null): void;
}

/** A full reactor: a clock and a way to connect. */
export interface Reactor extends ReactorTime, ReactorConnect {}
