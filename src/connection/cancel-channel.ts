/**
 * CancelChannel: how a session's CancelRequests reach the server quickly.
 *
 * Theory of operation. A CancelRequest travels over a connection of its own:
 * the server accepts it, starts a process for it (PostgreSQL forks one per
 * connection), reads the 16 bytes, signals the backend and closes. Opening
 * that connection and the server's fork are most of a cancel's latency
 * (several ms on a loaded machine), and they need not be paid at the moment
 * of the cancel: once a session has cancelled something (or runs a
 * statement with a client timeout or an abort signal, see {@link warm}), the
 * channel keeps one *spare* connection open ahead of time. The server has
 * then already forked the process that waits for the spare's first packet,
 * and the next CancelRequest is written there at once.
 *
 * What the server does with a CancelRequest on a spare (PostgreSQL 15,
 * traced with strace): the postmaster forked the spare's process at its
 * connect; that process sleeps until the 16 bytes come, reads them in one
 * recv, signals the backend (SIGINT to its pid, then to its process group)
 * and exits, closing the spare. The backend, asleep in pg_sleep's latch wait
 * (a 10 s epoll timeout, not a polling loop), wakes at once (EINTR), logs
 * the error and sends the ErrorResponse; ReadyForQuery follows after its
 * rollback. No fork is left on the cancel's path, and Nagle plays no part
 * (the 16 bytes are the only segment the spare ever sends). In one process,
 * same session, same bytes, at load 8-9 on 2 cores: ErrorResponse 2.0-2.8 ms
 * after the write over a spare, 2.5 ms over a connection made 3 ms before,
 * 4.2-5.5 ms over a connection made at the cancel (median of 40 each). What
 * is left on the path is the scheduling of the server's two processes.
 *
 * A spare that never sends anything is dropped by the server after
 * `authentication_timeout` (60 s by default; a pooler has its own login
 * timeout), and bytes written to a spare the server has just dropped would be
 * lost. So a spare is trusted only while it is younger than
 * {@link SPARE_TRUST_MS}, a limit lowered to 80% of a spare's life whenever
 * the server drops one before it was used. A spare that is used, dropped or
 * too old is replaced while the channel is warm ({@link KEEP_WARM_MS} after
 * the last cancel or `warm()`); one that lived under {@link MIN_SPARE_LIFE_MS}
 * is not replaced (a server that drops idle connections that fast gets
 * direct connections only). When no trusted spare is there, the
 * CancelRequest goes over a new connection, written as soon as it is made.
 *
 * A spare is never opened while a CancelRequest is on its way: the
 * replacement of a spare that carried one (or the first spare, after a
 * CancelRequest that went over a new connection) is opened when the server
 * closes that *carrier*, which it does once it has signalled the backend.
 * Opened at the cancel itself, the spare's connection made the server fork
 * at the very moment it had to read the CancelRequest, signal the backend
 * and have the backend answer: on a busy machine that fork delayed the
 * cancel it was meant to speed up (W11, 7 interleaved runs each at load
 * 6-9: our p50 over pg's was 1.43 before, range 0.49-2.05, and 0.75
 * after, range 0.63-1.24). A
 * carrier the server has not closed by the next CancelRequest is closed by
 * us then (its bytes were sent long before) and stops holding the
 * replacement back.
 *
 * No timers: ages are read off the reactor's clock when a spare is used or
 * lost. `close()` (the session ended) closes the spare politely (FIN: the
 * server logs nothing for a connection that sent nothing), or aborts it when
 * the session was lost (the server or the link is likely gone, and a
 * half-closed socket would wait for a peer that may never answer).
 */
import type { Endpoint, Reactor, Transport } from '../../reactor/interfaces';

/** A spare older than this (ms) is not trusted with a CancelRequest (the server's default drops it at 60 s). */
export const SPARE_TRUST_MS = 45_000;
/** After the last cancel or warm(), spares are replaced for this long (ms). */
export const KEEP_WARM_MS = 300_000;
/** A spare the server dropped sooner than this (ms) after it was opened is not replaced. */
export const MIN_SPARE_LIFE_MS = 5_000;

/** One spare connection, waiting for a CancelRequest. */
interface Spare {
  openedAt: number;
  transport: Transport | null;
  /** Closed by either side, or taken for a CancelRequest. */
  gone: boolean;
}

/** A connection carrying a CancelRequest (`transport` null while it connects). */
interface Carrier {
  transport: Transport | null;
}

/** The CancelRequest path of one session; see the file comment. */
export class CancelChannel {
  private spare: Spare | null = null;
  private warmUntil = -Infinity;
  private trustMs = SPARE_TRUST_MS;
  private closed = false;
  private replacing = true;
  /** The connection carrying the last CancelRequest until the server closes it (see the file comment); null when none. */
  private carrier: Carrier | null = null;

  /**
   * @param reactor connects and reads the clock
   * @param endpoint the server the session is connected to
   */
  constructor(
    private readonly reactor: Reactor,
    private readonly endpoint: Endpoint,
  ) {}

  /** Sends `cancelRequest` (the 16 bytes), over the spare when there is a trusted one; keeps the channel warm. */
  send(cancelRequest: Uint8Array): void {
    if (this.closed) return;
    this.dropCarrier();
    const spare = this.take();
    if (spare === null) this.connect(cancelRequest);
    else {
      this.carrier = spare;
      spare.transport!.write(cancelRequest);
    }
    this.warm();
  }

  /**
   * Keeps a spare open from now on, for {@link KEEP_WARM_MS} (a statement
   * that may be cancelled soon); while a CancelRequest is on its way, the
   * spare is opened once its carrier closes (see the file comment).
   */
  warm(): void {
    if (this.closed) return;
    this.warmUntil = this.reactor.now() + KEEP_WARM_MS;
    if (this.spare === null && this.replacing && this.carrier === null) this.openSpare();
  }

  /** Closes the spare (`abort`: at once, without FIN); the channel sends nothing more. Idempotent. */
  close(abort = false): void {
    this.closed = true;
    this.carrier = null; // the server closes it once it has read the CancelRequest
    const spare = this.spare;
    this.spare = null;
    if (spare === null) return;
    spare.gone = true;
    if (abort) spare.transport?.abort();
    else spare.transport?.close();
  }

  /** The spare when it is connected and trusted (it is taken: the channel forgets it); null otherwise. */
  private take(): Spare | null {
    const spare = this.spare;
    if (spare === null) return null;
    if (spare.transport === null) return null; // still connecting: a direct connection is as fast, and the spare stays for next time
    this.spare = null;
    spare.gone = true;
    if (this.reactor.now() - spare.openedAt < this.trustMs) return spare;
    spare.transport.close(); // too old: the server may have dropped it already
    return null;
  }

  /** A carrier closed (by the server, once it signalled the backend): the spare it held back is opened now. */
  private carrierClosed(carrier: Carrier): void {
    if (this.carrier !== carrier) return;
    this.carrier = null;
    if (!this.closed && this.spare === null && this.replacing && this.reactor.now() < this.warmUntil) this.openSpare();
  }

  /** A carrier still open at the next CancelRequest is closed (its bytes went out long ago) and holds nothing back. */
  private dropCarrier(): void {
    const carrier = this.carrier;
    this.carrier = null;
    carrier?.transport?.close();
  }

  private openSpare(): void {
    const spare: Spare = { openedAt: this.reactor.now(), transport: null, gone: false };
    this.spare = spare;
    this.reactor.connect(this.endpoint, {
      connectionMade: (t) => {
        if (spare.gone) t.close();
        else spare.transport = t;
      },
      dataReceived: () => undefined,
      connectionLost: () => this.spareLost(spare),
    });
  }

  /** The server (or the link) dropped a spare before it was used: trust spares less, and replace it while warm. A used one was a carrier. */
  private spareLost(spare: Spare): void {
    if (spare.gone) return this.carrierClosed(spare);
    spare.gone = true;
    if (this.spare === spare) this.spare = null;
    const life = this.reactor.now() - spare.openedAt;
    if (spare.transport !== null) this.trustMs = Math.min(this.trustMs, life * 0.8);
    if (life < MIN_SPARE_LIFE_MS) this.replacing = false;
    if (!this.closed && this.replacing && this.reactor.now() < this.warmUntil) this.openSpare();
  }

  /** A new connection that carries `cancelRequest` as soon as it is made. */
  private connect(cancelRequest: Uint8Array): void {
    const carrier: Carrier = { transport: null };
    this.carrier = carrier;
    this.reactor.connect(this.endpoint, {
      connectionMade: (t) => {
        carrier.transport = t;
        t.write(cancelRequest);
      },
      dataReceived: () => undefined,
      connectionLost: () => this.carrierClosed(carrier),
    });
  }
}
