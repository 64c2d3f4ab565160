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

/** The CancelRequest path of one session; see the file comment. */
export class CancelChannel {
  private spare: Spare | null = null;
  private warmUntil = -Infinity;
  private trustMs = SPARE_TRUST_MS;
  private closed = false;
  private replacing = true;

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
    const spare = this.take();
    if (spare !== null) spare.write(cancelRequest);
    else this.connect((t) => t.write(cancelRequest));
    this.warm();
  }

  /** Keeps a spare open from now on, for {@link KEEP_WARM_MS} (a statement that may be cancelled soon). */
  warm(): void {
    if (this.closed) return;
    this.warmUntil = this.reactor.now() + KEEP_WARM_MS;
    if (this.spare === null && this.replacing) this.openSpare();
  }

  /** Closes the spare (`abort`: at once, without FIN); the channel sends nothing more. Idempotent. */
  close(abort = false): void {
    this.closed = true;
    const spare = this.spare;
    this.spare = null;
    if (spare === null) return;
    spare.gone = true;
    if (abort) spare.transport?.abort();
    else spare.transport?.close();
  }

  /** The spare's transport when it is connected and trusted (it is taken: the channel forgets it); null otherwise. */
  private take(): Transport | null {
    const spare = this.spare;
    if (spare === null) return null;
    if (spare.transport === null) return null; // still connecting: a direct connection is as fast, and the spare stays for next time
    this.spare = null;
    spare.gone = true;
    if (this.reactor.now() - spare.openedAt < this.trustMs) return spare.transport;
    spare.transport.close(); // too old: the server may have dropped it already
    return null;
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

  /** The server (or the link) dropped a spare before it was used: trust spares less, and replace it while warm. */
  private spareLost(spare: Spare): void {
    if (spare.gone) return;
    spare.gone = true;
    if (this.spare === spare) this.spare = null;
    const life = this.reactor.now() - spare.openedAt;
    if (spare.transport !== null) this.trustMs = Math.min(this.trustMs, life * 0.8);
    if (life < MIN_SPARE_LIFE_MS) this.replacing = false;
    if (!this.closed && this.replacing && this.reactor.now() < this.warmUntil) this.openSpare();
  }

  /** A new connection that runs `made` once connected. */
  private connect(made: (t: Transport) => void): void {
    this.reactor.connect(this.endpoint, {
      connectionMade: made,
      dataReceived: () => undefined,
      connectionLost: () => undefined,
    });
  }
}
