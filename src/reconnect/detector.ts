/**
 * DeadConnectionDetector: txpostgres' automatic reconnection.
 *
 * Theory of operation. The connection and its detector meet at two calls
 * one way and three the other (txpostgres' `reconnection.py` has two touch
 * points). The Connection calls {@link DeadConnectionDetector.setReconnectable}
 * on every user `connect()`, and routes every run* call through
 * {@link DeadConnectionDetector.callChecking}: while the connection is
 * believed dead the call fails at once with `ConnectionDead` and is never
 * run (nor replayed later); otherwise it runs, and its failure is shown to
 * {@link DeadConnectionDetector.checkForDeadConnection} on its way to the
 * caller. The detector subscribes to the connection's events (a session
 * lost, a user close) and uses the three calls the connection offers it:
 * `reconnect()` (a new session with the same parameters, leaving the state
 * to the detector), `abortSession(error)` (liveness) and `setState(...)`.
 * With a detector, what a lost session means is the detector's call: a death
 * starts reconnecting, anything else closes the connection with that error.
 *
 * The first failure the death checker accepts marks the connection dead and
 * starts exactly one reconnection loop (a {@link RetryingCall} of
 * {@link DeadConnectionDetector.reconnect} on the reactor's clock, delays from
 * the reconnection iterator). The failure itself still reaches its caller.
 * While the loop waits out a delay, a call refused with `ConnectionDead`
 * brings the next attempt forward to at most `demandRetryMs` (default
 * {@link DEFAULT_DEMAND_RETRY_MS}) after the last attempt ended: a
 * connection in use comes back as soon as the server does (pg and
 * postgres.js reconnect on the next query), while an idle one keeps the
 * backoff. There is never more than one attempt in flight, and never more
 * than one per `demandRetryMs` plus the attempt's own duration, however
 * many calls come (the calls still fail; nothing is queued).
 * When an attempt succeeds, {@link DeadConnectionDetector.connectionRecovered}
 * clears the death and runs the recovery handlers (their errors are reported,
 * never fatal). When a finite iterator runs out, the detector gives up: it
 * tells the `onGiveUp` listeners and sets the connection 'closed' with a
 * `ConnectionDead` whose cause is the first reconnect failure.
 *
 * The detector drives the connection's state during an outage: 'dead'
 * (with the error) when death is accepted, 'reconnecting' before the first
 * attempt and again with each failed attempt's error, 'ready' on recovery.
 * The connection's `reconnect()` reports no transitions of its own, so
 * `state$` shows dead -> reconnecting ... -> ready. A user `close()` during
 * the loop stops it.
 *
 * Liveness: an optional {@link Heartbeat} probes the idle connection, and
 * `operationDeadlineMs` declares death when a routed call outlives it; both
 * abort the session (in-flight work fails at once) and so lead here.
 */
import type { DelayedCall, ReactorTime } from '../../reactor/interfaces';
import type { ConnectionState, DetectorLike } from '../connection/connection';
import { traceReconnectAttempt } from '../connection/tracing';
import { defaultDeathChecker, OperationDeadlineExceeded, type DeathChecker } from './death';
import { Deferred, fail, gatherResults, maybeDeferred } from '../defer';
import { toError } from '../defer/failure';
import { reportError } from '../defer/unhandled';
import { CancelledError, ConnectionDead, InterfaceError } from '../errors/base';
import { Heartbeat, type HeartbeatOptions, type HeartbeatTarget } from './heartbeat';
import { backoffIterator, RetryingCall } from '../defer/retrying';
import { checkOptions } from '../util/options-check';
import { definePublicView } from '../util/public-view';

/** What a detector can reconnect: a Connection, or a test fake. */
export interface Reconnectable {
  connect(...args: never[]): unknown;
  close(): unknown;
  /** A new session with the last connect's parameters, reporting no state of its own (a Connection has it; otherwise close() then connect(...args)). */
  reconnect?(): unknown;
  /** Subscribes to the end of live sessions (`null`: a clean end); returns the unsubscriber (a Connection has it). */
  onSessionLost?(fn: (error: Error | null) => void): () => void;
  /** Subscribes to user closes; returns the unsubscriber (a Connection has it). */
  onClose?(fn: () => void): () => void;
  /** Called with the states the detector drives (a Connection has it). */
  setState?(state: ConnectionState, reason?: Error): void;
  /** Ends the live session at once with `error` (a Connection has it). */
  abortSession?(error: Error): void;
  /** The reactor; used as the clock when the detector has none. */
  readonly reactor?: ReactorTime;
}

/** Options of a {@link DeadConnectionDetector}. */
export interface DetectorOptions {
  /** Which failures mean death (default {@link defaultDeathChecker}). */
  deathChecker?: DeathChecker;
  /** A factory of reconnection delays in ms (default: `backoffIterator({ random })`, unlimited). */
  reconnectionIterator?: () => Iterable<number>;
  /** The clock of the reconnection delays and deadlines (default: the connection's reactor). */
  reactor?: ReactorTime;
  /** Uniform random source in [0, 1) for the default iterator's jitter (default Math.random). */
  random?: () => number;
  /** Probe the idle connection every `intervalMs`; no answer within `timeoutMs` is a death. Off by default. */
  heartbeat?: HeartbeatOptions;
  /** A routed call running longer than this (ms) declares the connection dead. Off by default. */
  operationDeadlineMs?: number;
  /**
   * While dead, a call (refused with `ConnectionDead`) brings the next
   * reconnection attempt forward to at most this many ms after the last
   * attempt ended (default {@link DEFAULT_DEMAND_RETRY_MS}); `Infinity`
   * keeps the backoff's delays whatever the demand.
   */
  demandRetryMs?: number;
}

/** The default `demandRetryMs`: calls while dead retry at most every 5 ms (plus the attempt's duration). */
export const DEFAULT_DEMAND_RETRY_MS = 5;

/** The delay the loop is waiting out: the reactor's call and when it was scheduled. */
interface PendingRetry {
  readonly call: DelayedCall;
  readonly since: number;
  /** What the call runs (the next attempt), to run it sooner. */
  readonly fire: () => void;
}

/** One reconnection loop: the Deferred of its RetryingCall once started. */
interface Loop {
  running: Deferred<unknown> | null;
  /** The delay before the next attempt, while one is pending. */
  pending: PendingRetry | null;
}

/** A recovery handler: called with no arguments after a reconnect; may return a Deferred or Promise. */
export type RecoveryHandler = () => unknown;

/**
 * Watches a connection for death and reconnects it (see the file comment).
 * @example
 * const detector = new DeadConnectionDetector({ heartbeat: { intervalMs: 5000, timeoutMs: 2000 } });
 * const conn = new Connection({ detector });
 * detector.addRecoveryHandler(() => console.log('reconnected'));
 * await conn.connect(dsn);
 */
export class DeadConnectionDetector implements DetectorLike {
  /** Which failures mean death. */
  deathChecker: DeathChecker;
  /** The factory of reconnection delays. */
  reconnectionIterator: () => Iterable<number>;
  /** The object reconnected (set by `Connection.connect`). */
  reconnectable: Reconnectable | null = null;
  /** True from an accepted death until recovery (and for ever after giving up, until the next user connect). */
  connectionIsDead = false;
  /** True once a finite reconnection iterator ran out. */
  gaveUp = false;
  /** Reconnect attempts made by the current or last loop. */
  attempts = 0;
  private readonly clockOption: ReactorTime | undefined;
  private connargs: unknown[] = [];
  private readonly recoveryHandlers = new Set<RecoveryHandler>();
  private readonly giveUpListeners = new Set<(error: ConnectionDead) => void>();
  /** The reconnection loop running now (its RetryingCall's Deferred, once started), or null. */
  private loop: Loop | null = null;
  private unsubscribe: Array<() => void> = [];
  private deadError: ConnectionDead | null = null;
  private heartbeat: Heartbeat | null = null;

  constructor(readonly options: DetectorOptions = {}) {
    checkOptions('DeadConnectionDetector', options, DETECTOR_OPTIONS);
    this.deathChecker = options.deathChecker ?? defaultDeathChecker;
    const random = options.random;
    this.reconnectionIterator = options.reconnectionIterator ?? (() => backoffIterator({ random }));
    this.clockOption = options.reactor;
  }

  /** The clock of delays and deadlines. */
  get reactor(): ReactorTime {
    const clock = this.clockOption ?? this.reconnectable?.reactor;
    if (clock === undefined) throw new InterfaceError('the detector has no reactor: pass { reactor } or set a reconnectable', { code: 'ERR_NO_REACTOR' });
    return clock;
  }

  /** The heartbeat of the current reconnectable, when configured. */
  get heartbeatProbe(): Heartbeat | null {
    return this.heartbeat;
  }

  /**
   * Stores what to reconnect and the arguments to reconnect with
   * (`Connection.connect` calls it on every connect). A user connect after
   * giving up re-arms the detector.
   */
  setReconnectable(reconnectable: Reconnectable, ...connargs: unknown[]): void {
    if (this.reconnectable !== reconnectable) this.watch(reconnectable);
    this.connargs = connargs;
    if (this.gaveUp) this.rearm();
    this.startHeartbeat();
  }

  /** Follows a new reconnectable: its session losses and user closes come here. */
  private watch(reconnectable: Reconnectable): void {
    this.heartbeat?.stop();
    this.heartbeat = null;
    for (const fn of this.unsubscribe) fn();
    this.reconnectable = reconnectable;
    this.unsubscribe = [
      reconnectable.onSessionLost?.((error) => this.sessionLost(error)),
      reconnectable.onClose?.(() => this.connectionClosed(reconnectable)),
    ].filter((fn): fn is () => void => fn !== undefined);
  }

  /** A live session ended: a death starts reconnecting; any other end closes the connection with its error. */
  private sessionLost(error: Error | null): void {
    if (error === null || this.connectionIsDead) return;
    if (this.accepts(error)) this.declareDeath(error);
    else this.reconnectable?.setState?.('closed', error);
  }

  /**
   * Runs `fn` unless the connection is dead (then fails at once with
   * `ConnectionDead`, without calling it); a failure of `fn` goes through
   * {@link checkForDeadConnection} and still reaches the caller.
   */
  callChecking<T>(fn: () => Deferred<T> | PromiseLike<T> | T): Deferred<T> {
    if (this.connectionIsDead) {
      this.retryOnDemand();
      return fail(this.deadError ?? new ConnectionDead());
    }
    const d = maybeDeferred<T, []>(fn as () => T | PromiseLike<T>);
    this.watchDeadline(d);
    return d.addErrback((e: unknown): never => {
      this.checkForDeadConnection(e);
      throw e;
    });
  }

  /**
   * Shows a failure to the death checker. The first accepted one marks the
   * connection dead and starts reconnecting; later ones (while dead) do
   * nothing more. Returns the error unchanged (txpostgres returns the
   * failure); use {@link checkAndRethrow} as an errback.
   */
  checkForDeadConnection(error: unknown): unknown {
    if (this.connectionIsDead || !this.accepts(error)) return error;
    this.declareDeath(error);
    return error;
  }

  /** Marks the connection dead (state 'dead' with the error) and starts the reconnection loop. */
  private declareDeath(error: unknown): void {
    this.connectionIsDead = true;
    this.deadError = new ConnectionDead(undefined, { cause: error });
    this.reconnectable?.setState?.('dead', toError(error));
    this.startReconnecting(error);
  }

  /** An errback: {@link checkForDeadConnection}, then rethrows (e.g. after a failed first connect). */
  readonly checkAndRethrow = (error: unknown): never => {
    this.checkForDeadConnection(error);
    throw error;
  };

  /** Starts the reconnection loop (override to log; call super). Idempotent while a loop runs. */
  startReconnecting(_error?: unknown): void {
    if (this.loop !== null) return;
    this.gaveUp = false;
    this.attempts = 0;
    this.heartbeat?.stop();
    this.reconnectable?.setState?.('reconnecting');
    const loop: Loop = { running: null, pending: null };
    this.loop = loop;
    loop.running = new RetryingCall(() => this.attempt()).start({ clock: this.loopClock(loop), backoff: this.reconnectionIterator() });
    loop.running.addCallbacks(
      () => this.loopSucceeded(loop),
      (e: Error) => this.loopFailed(loop, e),
    );
  }

  /**
   * One attempt: the reconnectable's own `reconnect()` when it has one (a
   * Connection); otherwise close it (swallowing every error) and connect it
   * again with the arguments of the last user connect.
   */
  reconnect(): unknown {
    const r = this.reconnectable;
    if (r === null) throw new InterfaceError('the detector has nothing to reconnect', { code: 'ERR_NO_RECONNECTABLE' });
    if (r.reconnect !== undefined) return r.reconnect();
    try {
      r.close();
    } catch {
      /* txpostgres' test_brokenReconnectable: a failing close is ignored */
    }
    return r.connect(...(this.connargs as never[]));
  }

  /**
   * The connection is back: clears the death, sets 'ready', runs every
   * recovery handler (errors reported, not fatal). Fires when all are done.
   */
  connectionRecovered(): Deferred<void> {
    this.connectionIsDead = false;
    this.deadError = null;
    this.reconnectable?.setState?.('ready');
    this.startHeartbeat();
    const runs = [...this.recoveryHandlers].map((h) => maybeDeferred(h).addErrback((e: unknown) => reportError(toError(e), this)));
    return gatherResults(runs).addCallback((): void => undefined);
  }

  /** Whether the detector drives the connection's state now (a reconnection loop runs). */
  holdsState(): boolean {
    return this.loop !== null;
  }

  /** The user closed the connection: stops the loop and clears the death. */
  connectionClosed(reconnectable: Reconnectable): void {
    if (reconnectable !== this.reconnectable) return;
    this.heartbeat?.stop();
    this.stopLoop();
    this.connectionIsDead = false;
    this.deadError = null;
  }

  /** Adds a recovery handler (a set: adding twice registers once). */
  addRecoveryHandler(handler: RecoveryHandler): void {
    this.recoveryHandlers.add(handler);
  }

  /** Removes a recovery handler; unknown ones are ignored. */
  removeRecoveryHandler(handler: RecoveryHandler): void {
    this.recoveryHandlers.delete(handler);
  }

  /** A copy of the recovery handlers. */
  getRecoveryHandlers(): RecoveryHandler[] {
    return [...this.recoveryHandlers];
  }

  /**
   * Calls `fn` when the detector gives up (a finite iterator ran out);
   * returns the unsubscriber. Without listeners, giving up is reported as an
   * unhandled error.
   */
  onGiveUp(fn: (error: ConnectionDead) => void): () => void {
    this.giveUpListeners.add(fn);
    return () => this.giveUpListeners.delete(fn);
  }

  // ------------------------------------------------------------------ internals

  /** The reactor's clock as the loop sees it: each delay it schedules is remembered, so demand can shorten it. */
  private loopClock(loop: Loop): ReactorTime {
    const clock = this.reactor;
    return {
      now: () => clock.now(),
      callSoon: (fn) => clock.callSoon(fn),
      callLater: (ms, fn) => {
        const fire = (): void => {
          loop.pending = null;
          fn();
        };
        const call = clock.callLater(ms, fire);
        loop.pending = { call, since: clock.now(), fire };
        return call;
      },
    };
  }

  /**
   * A call came while dead: the pending delay ends no later than
   * `demandRetryMs` after it began; when that is already past, the attempt
   * runs from `callSoon` (a timer of 0 would cost a timer tick, 1 ms in Node).
   */
  private retryOnDemand(): void {
    const loop = this.loop;
    const pending = loop?.pending;
    if (loop == null || pending == null || !pending.call.active()) return;
    const due = pending.since + (this.options.demandRetryMs ?? DEFAULT_DEMAND_RETRY_MS);
    if (pending.call.time <= due) return;
    const wait = due - this.reactor.now();
    if (wait > 0) return pending.call.reset(wait);
    pending.call.cancel();
    loop.pending = null;
    this.reactor.callSoon(() => this.loop === loop && pending.fire()); // not after a user close stopped the loop
  }

  private accepts(error: unknown): boolean {
    try {
      return this.deathChecker(error);
    } catch (e) {
      reportError(toError(e), this);
      return false;
    }
  }

  /** One attempt of the loop; a failure is shown on the state with its error. */
  private attempt(): Deferred<unknown> {
    this.attempts++;
    const loop = this.loop;
    const traced = traceReconnectAttempt(this.attempts, () => this.reactor.now());
    return maybeDeferred(() => this.reconnect() as PromiseLike<unknown>).addCallback((v) => (traced(), v)).addErrback((e: unknown): never => {
      traced(toError(e));
      if (this.loop === loop) this.reconnectable?.setState?.('reconnecting', toError(e));
      throw e;
    });
  }

  private loopSucceeded(loop: Loop): void {
    if (this.loop !== loop) return;
    this.loop = null;
    this.connectionRecovered();
  }

  private loopFailed(loop: Loop, error: Error): void {
    if (this.loop !== loop) return; // stopped by a user close
    this.loop = null;
    if (error instanceof CancelledError) return;
    this.gaveUp = true;
    const gaveUp = new ConnectionDead(`gave up reconnecting after ${this.attempts} attempts`, { cause: error });
    this.deadError = gaveUp;
    this.reconnectable?.setState?.('closed', gaveUp);
    if (this.giveUpListeners.size === 0) reportError(gaveUp, this);
    for (const fn of [...this.giveUpListeners]) fn(gaveUp);
  }

  private stopLoop(): void {
    const loop = this.loop;
    this.loop = null;
    loop?.running?.cancel();
  }

  private rearm(): void {
    this.gaveUp = false;
    this.connectionIsDead = false;
    this.deadError = null;
  }

  private startHeartbeat(): void {
    const hb = this.options.heartbeat;
    const target = this.reconnectable as Partial<HeartbeatTarget> | null;
    if (hb === undefined || target === null || typeof target.runQuery !== 'function' || typeof target.abortSession !== 'function') return;
    this.heartbeat ??= new Heartbeat(target as HeartbeatTarget, this.reactor, hb);
    this.heartbeat.start();
  }

  /** Arms `operationDeadlineMs` for a routed call. */
  private watchDeadline(d: Deferred<unknown>): void {
    const ms = this.options.operationDeadlineMs;
    if (ms === undefined || d.called) return;
    const timer = this.reactor.callLater(ms, () => this.declareDead(new OperationDeadlineExceeded(ms)));
    d.addFinally(() => timer.cancel());
  }

  /** Aborts the session (the loss reaches checkForDeadConnection), or checks the error directly. */
  private declareDead(error: Error): void {
    const r = this.reconnectable;
    if (r?.abortSession !== undefined) r.abortSession(error);
    else this.checkForDeadConnection(error);
  }
}

/** The option types `new DeadConnectionDetector(options)` checks. */
const DETECTOR_OPTIONS = {
  deathChecker: 'function', reconnectionIterator: 'function', reactor: 'object', random: 'function', heartbeat: 'object', operationDeadlineMs: 'nonNegative',
  demandRetryMs: 'nonNegative',
} as const;

// console.log / util.inspect / JSON.stringify show the detector's state, never its connect arguments (the connection string and password)
definePublicView(DeadConnectionDetector, (d) => ({ connectionIsDead: d.connectionIsDead, gaveUp: d.gaveUp, attempts: d.attempts }));
