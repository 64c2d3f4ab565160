/**
 * Connector: opening one session, host by host (libpq's multi-host connect).
 *
 * Theory of operation. The configuration layer has already read every file
 * (pgpass, TLS material) into a {@link LoadedConfig}. For each host in turn
 * the connector builds a {@link ProtocolMachine} and a {@link Session} and
 * dials it through the reactor, with the per-host connect timeout on the
 * reactor's clock (covering the whole startup, role check included). With
 * `load_balance_hosts=random` the hosts are shuffled first. The first
 * session to reach ReadyForQuery *and* fit `target_session_attrs` (see
 * target-session.ts) wins; a host that fails adds its error, a host that
 * does not fit is told Terminate and adds an {@link UnsuitableServer}, and
 * the next one is tried. `prefer-standby` first looks for a standby; when
 * none fits it goes over the hosts again accepting any server, as libpq
 * does. A server or pooler that refuses protocol 3.2 outright instead of
 * negotiating (the machine's `protocolFallback`) is tried once more on the
 * same host asking for 3.0. When every host has
 * failed the result is the server's own verdict (a DatabaseError such as
 * 28P01, or a ConnectTimeout) for a single host, else a `ConnectionFailed`
 * listing each host's error. Cancelling the Deferred aborts the attempt in
 * progress and tries no further host. The result fires from
 * `reactor.callSoon`, never from inside the read handler.
 */
import type { Reactor } from '../../reactor/interfaces';
import type { LoadedConfig } from '../config/load';
import { ProtocolMachine } from '../core/machine';
import { Deferred } from '../defer';
import type { HostSpec, TargetSessionAttrs } from '../dsn/params';
import { describeHost } from '../dsn/redact';
import { CancelledError, ConnectionError, ConnectionFailed, ConnectionLost, ConnectTimeout, UnsuitableServer } from '../errors/base';
import { DatabaseError, Diagnostic } from '../errors/database';
import type { AuthCrypto } from '../protocol/auth/crypto';
import type { ProtocolVersion } from '../protocol/versions';
import type { TypeRegistry } from '../types/registry';
import { Notification } from './notification';
import type { LiveSession } from './requests';
import { Session, type SessionListener } from './session';
import { endpointOf, machineOptions, sessionTls } from './session-setup';
import { Statements } from './statements';
import { checkSession } from './target-session';

/** What the connector needs besides the configuration. */
export interface ConnectorOptions {
  reactor: Reactor;
  crypto: AuthCrypto;
  /** The connection's registry, for the session's statement cache. */
  types: TypeRegistry;
  /** Connect timeout per host in ms, when the configuration gives none. */
  connectTimeoutMs?: number;
  allowCleartextPassword?: boolean;
  maxScramIterations?: number; // the Connection option, for the machine
  /** False: unnamed statements only, no statement cache (a pooler in transaction mode). */
  prepare?: boolean;
}

/** Where an open session reports what happens after startup. */
export interface SessionEvents {
  notification(n: Notification): void;
  notice(d: Diagnostic): void;
  /** The session ended after startup (`null`: a clean end we asked for). */
  lost(session: Session, error: Error | null): void;
}

/** Opens a session on the first host that accepts us; see the file comment. */
export function openSession(options: ConnectorOptions, config: LoadedConfig, events: SessionEvents): Deferred<LiveSession> {
  return new Attempt(options, config, events).result;
}

/** One connect across the hosts of a configuration. */
class Attempt {
  readonly result: Deferred<LiveSession>;
  private current: Session | null = null;
  private readonly errors: Error[] = [];
  private readonly refusedHosts: string[] = [];
  private readonly hosts: readonly HostSpec[];
  /** What a session must be; `prefer-standby` becomes `any` for the second pass. */
  private attrs: TargetSessionAttrs;

  constructor(
    private readonly o: ConnectorOptions,
    private readonly config: LoadedConfig,
    private readonly events: SessionEvents,
  ) {
    this.result = new Deferred<LiveSession>(() => this.current?.abort(new CancelledError('the connection attempt was cancelled')));
    this.hosts = config.loadBalanceHosts ? shuffled(config.hosts, o.crypto) : config.hosts;
    this.attrs = config.targetSessionAttrs ?? 'any';
    this.tryHost(0);
  }

  /**
   * Opens a session on host `i`. The host's story ends once: handed over
   * (it fits), refused (it does not fit: terminated, next host), or failed
   * (next host). A session lost after it was handed over is the
   * connection's business (`events.lost`).
   */
  private tryHost(i: number, maxProtocolVersion?: ProtocolVersion): void {
    if (this.result.called) return;
    const host = this.hosts[i];
    if (host === undefined) return this.exhausted();
    let story: 'opening' | 'up' | 'over' = 'opening';
    const next = (error: Error): void => {
      if (story !== 'opening') return;
      story = 'over';
      timer?.cancel();
      // a server (or pooler) that refused the newer protocol outright gets one more try asking for the older one
      const fallback = machine.protocolFallback;
      if (fallback !== undefined) return this.tryHost(i, fallback);
      this.errors.push(error);
      this.refusedHosts.push(describeHost(host));
      this.tryHost(i + 1);
    };
    const handOver = (): void => {
      story = 'up';
      timer?.cancel();
      this.settle({ session, statements: new Statements(session, this.o.types, this.o.prepare !== false), endpoint: endpointOf(host), database: this.config.database }, null);
    };
    const listener: SessionListener = {
      ready: () => {
        // 'any' takes every server: handed over at once (no role check, no Deferred)
        if (this.attrs === 'any') return void (story === 'opening' && handOver());
        void checkSession(session, this.attrs).addCallbacks((reason) => {
          if (story !== 'opening') return;
          if (reason !== null) {
            next(new UnsuitableServer(describeHost(host), this.attrs, reason));
            return session.terminate();
          }
          handOver();
        }, (error) => {
          next(error);
          session.abort(error);
        });
      },
      notification: (pid, channel, payload) => this.events.notification(new Notification(channel, payload, pid)),
      notice: (fields) => this.events.notice(Diagnostic.fromRaw(fields)),
      lost: (error) => (story === 'up' ? this.events.lost(session, error) : next(hostError(host, error))),
    };
    const o = this.o; // the extras named one by one: a spread of the connector options copied every Connection option per host
    const mo = machineOptions(this.config, host, o.crypto, { allowCleartextPassword: o.allowCleartextPassword, maxScramIterations: o.maxScramIterations, maxProtocolVersion });
    const machine = new ProtocolMachine(mo);
    // no TLS settings where TLS is never asked for (sslmode disable/allow, unix sockets): the session refuses any upgrade then
    const tls = mo.tls === 'disable' ? null : sessionTls(this.config, host, this.config.tls ?? {}, o.crypto);
    const session = new Session(machine, this.o.reactor, listener, tls, o.crypto);
    this.current = session;
    const timer = this.armTimeout(session, host);
    try {
      this.o.reactor.connect(endpointOf(host), session, {
        timeoutMs: this.timeoutMs,
        keepAliveInitialDelayMs: this.config.keepalives ? this.config.keepalivesIdleMs ?? 60_000 : undefined,
      });
    } catch (cause) {
      // a reactor that throws instead of reporting connectionLost: this host failed, clearly
      const reason = cause instanceof Error ? cause.message : String(cause);
      next(new ConnectionError(`the reactor could not open a connection to ${describeHost(host)}: ${reason}`, { code: 'ERR_REACTOR', cause }));
    }
  }

  /** Every host tried: `prefer-standby` tries them all again accepting any server (libpq's second pass); else the attempt fails. */
  private exhausted(): void {
    if (this.attrs === 'prefer-standby') {
      this.attrs = 'any';
      return this.tryHost(0);
    }
    this.settle(null, connectError(this.errors, this.refusedHosts));
  }

  private get timeoutMs(): number | undefined {
    return this.config.connectTimeoutMs ?? this.o.connectTimeoutMs;
  }

  private armTimeout(session: Session, host: HostSpec): { cancel(): void } | null {
    const ms = this.timeoutMs;
    if (ms === undefined) return null;
    return this.o.reactor.callLater(ms, () => session.abort(new ConnectTimeout(`timed out after ${ms} ms connecting to ${describeHost(host)}`)));
  }

  /** Fires the result from the reactor (the listener runs inside the read handler). */
  private settle(live: LiveSession | null, error: Error | null): void {
    this.o.reactor.callSoon(() => {
      if (this.result.called) {
        live?.session.terminate(); // cancelled meanwhile
        return;
      }
      if (live !== null) this.result.callback(live);
      else this.result.errback(error as Error);
    });
  }
}

/** The hosts in random order (libpq's `load_balance_hosts=random`: a Fisher-Yates shuffle). */
function shuffled(hosts: readonly HostSpec[], crypto: AuthCrypto): HostSpec[] {
  const out = hosts.slice();
  const random = crypto.randomBytes(4 * out.length);
  for (let i = out.length - 1; i > 0; i--) {
    const r = ((random[4 * i] << 24) | (random[4 * i + 1] << 16) | (random[4 * i + 2] << 8) | random[4 * i + 3]) >>> 0;
    const j = r % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * What connecting failed with: the server's own verdict (a DatabaseError such
 * as 28P01) or a ConnectTimeout when there was one host; otherwise a
 * `ConnectionFailed` listing each host's error (one host included).
 */
function connectError(errors: Error[], hosts: string[]): Error {
  if (errors.length === 1 && (errors[0] instanceof DatabaseError || errors[0] instanceof ConnectTimeout)) return errors[0];
  return new ConnectionFailed(errors, hosts);
}

/** One host's connect failure: the transport's own error (refused, reset, TLS) rather than a "lost" wrapper. */
function hostError(host: HostSpec, error: Error | null): Error {
  if (error === null) return new ConnectionLost(`${describeHost(host)} closed the connection during startup`);
  if (error instanceof ConnectionLost && error.cause instanceof Error) return error.cause;
  return error;
}


