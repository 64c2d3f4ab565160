/**
 * NodeTransport: a {@link Transport} over a `net.Socket`, upgradable to TLS in place.
 *
 * Theory of operation. One object adapts one socket's events to one
 * {@link TransportHandler}: `connect` -> `connectionMade`, `data` ->
 * `dataReceived`, `end` -> `eofReceived` (or, when the handler has none,
 * closing our side too), `close` -> `connectionLost`, exactly once. The
 * reason reported is the first of: the reason we closed for (abort, connect
 * timeout, cancel, a handler that threw), else the socket's error mapped to a
 * {@link ReactorError}, else null. Sockets are opened with `allowHalfOpen`,
 * so `close()` sends FIN but keeps reading until the peer closes too.
 *
 * TLS (PostgreSQL's SSLRequest): the caller writes SSLRequest on the plain
 * socket, reads the one-byte answer, then calls {@link NodeTransport.startTls}.
 * We detach from the plain socket and wrap it with `tls.connect({ socket })`;
 * from then on `dataReceived` carries decrypted bytes and `write` encrypts.
 * Bytes the server sent after its answer byte but before the handshake were
 * already delivered as plain data: the caller must treat them as a protocol
 * violation (CVE-2021-23222), never as part of the TLS stream. Options
 * node:tls refuses at once (a key that is not a key) never make `startTls`
 * throw: it rejects with a {@link TlsError} and the transport is lost with it.
 *
 * Flow control is the socket's own: `write()` queues in the socket's
 * writable buffer (`bufferedAmount` is its `writableLength`); when
 * `socket.write` reports the buffer at its high-water mark
 * (`writableHighWaterMark`, see `NodeReactorOptions.writeHighWaterMark`) the
 * registered producer is paused, and the socket's `drain` (buffer empty)
 * resumes it. `pauseReading` pauses the socket, so TCP holds the peer back.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Producer, TlsInfo, TlsOptions, Transport, TransportHandler } from '../interfaces';
import { ConnectFailed, ConnectionRefused, ConnectionReset, TlsError, TransportError } from '../errors';
import { deliverEof, guard, tlsRefusal } from '../guard';
import { WriteFlow } from '../write-flow';
import { sharedSecureContext } from './tls-context';
import { certificateSignatureHash } from './tls-info';

/** A Node socket error (errno-style). */
type SocketError = Error & { code?: string };

/** Maps a socket error to a reactor error; `connected` says whether the connection was established. */
export function mapSocketError(error: SocketError, connected: boolean, target: string): Error {
  const code = error.code;
  if (!connected && (code === 'ECONNREFUSED' || code === 'ENOENT')) return new ConnectionRefused(target, { cause: error });
  if (!connected) return new ConnectFailed(target, code, { cause: error });
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionReset(undefined, { cause: error });
  return new TransportError(code, { cause: error });
}

/** Converts the byte-typed TLS options to what node:tls accepts. */
function toBuffer(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Builds node:tls connect options from our {@link TlsOptions}, with a
 * shared `secureContext` for the material (see tls-context.ts). Throws what
 * node:tls throws for material it refuses (a key that is not a key).
 */
export function nodeTlsOptions(options: TlsOptions, socket: net.Socket | import('node:stream').Duplex, defaultHost?: string): tls.ConnectionOptions {
  const servername = options.servername ?? defaultHost;
  const ca = options.ca === undefined ? undefined : (Array.isArray(options.ca) ? options.ca : [options.ca]).map(toBuffer);
  // the context (versions, CA, client pair, CRLs) is shared by every connect with the same material (tls-context.ts)
  const secureContext = sharedSecureContext({
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    ca,
    cert: options.cert === undefined ? undefined : toBuffer(options.cert),
    key: options.key === undefined ? undefined : toBuffer(options.key),
    crl: options.crl === undefined ? undefined : (Array.isArray(options.crl) ? options.crl : [options.crl]).map(toBuffer),
  });
  const out: tls.ConnectionOptions = { socket, secureContext, rejectUnauthorized: options.rejectUnauthorized ?? true };
  // node:tls treats a key that is present but undefined as set (an undefined
  // checkServerIdentity even fails an internal assertion): only set what is given.
  if (servername !== undefined && net.isIP(servername) === 0) out.servername = servername;
  if (options.checkServerIdentity !== undefined) out.checkServerIdentity = options.checkServerIdentity as tls.ConnectionOptions['checkServerIdentity'];
  return out;
}

/**
 * The error for TLS options node:tls refused before the handshake (its own
 * message, e.g. "DECODER routines::unsupported" for a key it cannot parse;
 * never the options themselves, so never key material).
 */
export function tlsSetupError(target: string, cause: unknown): TlsError {
  // node:tls errors may come from another realm (a vm context): no instanceof.
  const message = (cause as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? message : String(cause);
  return new TlsError(`TLS with ${target} could not start: the TLS options (certificate, key or CA) were refused: ${reason}`, { cause });
}

/**
 * Reads the negotiated facts off a connected TLS socket. The protocol is
 * read at once; the peer certificate (`peerCertificateDer`,
 * `peerCertificateHash`) only when first asked, then kept: reading it is the
 * costly part (OpenSSL decodes the certificate's public key again, about
 * 120-300 us per connect, measured against PostgreSQL 15), and only SCRAM
 * channel binding needs it. Ask before the transport is lost (the session
 * does, when the handshake completes). The DER comes through
 * `getPeerCertificate(false).raw`: `getPeerX509Certificate()` duplicates
 * the certificate (X509_dup re-decodes it), measured at 260 us against 124
 * us per connect with a PostgreSQL server's certificate, and on Node 20
 * takes the certificate off the socket's peer chain (a second call, or
 * `getPeerCertificate()` after it, finds none).
 */
export function tlsInfoOf(socket: tls.TLSSocket): TlsInfo {
  let peer: { der: Uint8Array; hash: string | undefined } | null | undefined;
  const read = (): { der: Uint8Array; hash: string | undefined } | null => {
    if (peer === undefined) {
      const raw = socket.getPeerCertificate(false)?.raw as Buffer | undefined;
      const der = raw === undefined || raw.length === 0 ? undefined : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      peer = der === undefined ? null : { der, hash: certificateSignatureHash(der) };
    }
    return peer;
  };
  return {
    get peerCertificateDer(): Uint8Array | undefined {
      return read()?.der;
    },
    get peerCertificateHash(): string | undefined {
      return read()?.hash;
    },
    protocol: socket.getProtocol() ?? undefined,
  };
}

/** A {@link Transport} over a Node socket. Created by NodeReactor; not constructed by users. */
export class NodeTransport implements Transport {
  private socket: net.Socket;
  private connected = false;
  private closing = false;
  private lost = false;
  private paused = false;
  private reason: Error | null | undefined;
  private socketError: Error | undefined;
  private tlsStarted = false;
  private readonly flow = new WriteFlow();
  private readonly loseWith = (error: Error): void => this.lose(error);
  private readonly onData = (chunk: Buffer): void => guard(() => this.handler.dataReceived(chunk), this.loseWith);
  private readonly onEnd = (): void => deliverEof(this.handler, this.loseWith, () => this.close());
  private readonly onDrain = (): void => this.flow.drained();
  private readonly onError = (error: SocketError): void => {
    this.socketError ??= mapSocketError(error, this.connected, this.target);
  };
  private readonly onClose = (): void => this.finish();

  /**
   * @param socket - a connecting or connected socket (opened with `allowHalfOpen: true`).
   * @param handler - receives the events.
   * @param target - the endpoint description used in error messages.
   * @param host - the TCP host name, the default TLS servername.
   */
  constructor(socket: net.Socket, private readonly handler: TransportHandler, readonly target: string, private readonly host?: string) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Marks the transport connected and calls `connectionMade`. */
  connectionMade(): void {
    this.connected = true;
    guard(() => this.handler.connectionMade(this), this.loseWith);
  }

  /** Whether `connectionLost` was reported. */
  get isLost(): boolean {
    return this.lost;
  }

  /**
   * Sends bytes; copies them, since the caller may reuse its array. Ignored
   * after close/abort. Pauses the registered producer when the socket's
   * buffer reaches its high-water mark.
   */
  write(bytes: Uint8Array): void {
    if (this.closing || this.lost || this.reason !== undefined) return;
    if (!this.socket.write(Buffer.from(bytes))) this.flow.filled();
  }

  /** Bytes queued in the socket, not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Registers the producer of writes; see the file comment. */
  registerProducer(producer: Producer): void {
    this.flow.register(producer);
  }

  /** Forgets the producer. */
  unregisterProducer(): void {
    this.flow.unregister();
  }

  /** Upgrades the socket to TLS in place; see the file comment. */
  startTls(options: TlsOptions): Promise<TlsInfo> {
    const refused = tlsRefusal({ started: this.tlsStarted, open: this.connected && !this.lost && !this.closing });
    if (refused !== undefined) return Promise.reject(refused);
    this.tlsStarted = true;
    const raw = this.socket;
    this.detach(raw);
    raw.resume();
    let secure: tls.TLSSocket;
    try {
      secure = tls.connect(nodeTlsOptions(options, raw, this.host));
    } catch (cause) {
      // node:tls refuses bad options (a key that is not a key, a key that does not
      // match its certificate) synchronously, before a byte is sent: the plain
      // socket is still ours, so listen to it again and end it with the error;
      // connectionLost(error) follows, as after a failed handshake.
      const error = tlsSetupError(this.target, cause);
      this.attach(raw);
      this.lose(error);
      return Promise.reject(error);
    }
    this.socket = secure;
    this.attach(secure);
    if (this.paused) secure.pause();
    // The plain socket's drain no longer reaches us: a producer paused by it resumes from the TLS socket.
    if (this.flow.isFull) queueMicrotask(() => this.socket === secure && !secure.writableNeedDrain && this.flow.drained());
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        const tlsError = new TlsError(`TLS handshake with ${this.target} failed: ${error.message}`, { cause: error });
        if (!this.lost) this.socketError = tlsError;
        reject(tlsError);
      };
      secure.once('error', fail);
      secure.once('secureConnect', () => {
        secure.off('error', fail);
        resolve(tlsInfoOf(secure));
      });
      secure.once('close', () => fail(new Error('connection closed during the handshake')));
    });
  }

  /** Stops `dataReceived` (and EOF) delivery until {@link resumeReading}. */
  pauseReading(): void {
    this.paused = true;
    this.socket.pause();
  }

  /** Resumes delivery. */
  resumeReading(): void {
    this.paused = false;
    this.socket.resume();
  }

  /** Sends what is queued, then FIN; `connectionLost(null)` follows when the peer closes as well. */
  close(): void {
    if (this.closing || this.lost) return;
    this.closing = true;
    this.socket.end();
  }

  /** Closes at once with a TCP reset where possible; `connectionLost(reason ?? null)` follows. */
  abort(reason?: Error): void {
    this.lose(reason ?? null);
  }

  /** Sets or clears TCP keepalive. */
  setKeepAlive(enable: boolean, initialDelayMs?: number): void {
    this.socket.setKeepAlive(enable, initialDelayMs);
  }

  /** Ends the connection for `reason` (abort, timeout, cancel): reset and destroy. */
  lose(reason: Error | null): void {
    if (this.lost || this.reason !== undefined) return;
    this.reason = reason;
    resetSocket(this.socket);
  }

  private finish(): void {
    if (this.lost) return;
    this.lost = true;
    this.flow.unregister();
    this.detach(this.socket);
    const reason = this.reason !== undefined ? this.reason : (this.socketError ?? null);
    this.handler.connectionLost(reason);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData).on('end', this.onEnd).on('error', this.onError).on('close', this.onClose).on('drain', this.onDrain);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData).off('end', this.onEnd).off('error', this.onError).off('close', this.onClose).off('drain', this.onDrain);
  }
}

/** Destroys a socket, sending a TCP RST when it is a plain TCP socket (so the peer sees ECONNRESET). */
function resetSocket(socket: net.Socket): void {
  try {
    if (!(socket instanceof tls.TLSSocket) && !socket.connecting && socket.remoteFamily !== undefined) {
      socket.resetAndDestroy();
      return;
    }
  } catch {
    // not a TCP handle (unix socket): a plain destroy below
  }
  socket.destroy();
}
