/**
 * Connection: txpostgres' Connection, over the sans-IO core.
 *
 * Theory of operation. A Connection is a façade over a few rooms: it owns at
 * most one live session at a time (opened by the {@link openSession
 * connector}, host by host), its {@link Requests} (the queue, cancellation,
 * firing in call order), its {@link NotifyDispatch} (notify observers and
 * raw listeners) and its {@link StateReporter} (`state$`). Work reaches the
 * session through the request queue: independent runQuery/runOperation
 * calls are pipelined, runInteraction holds the connection from BEGIN to
 * COMMIT or ROLLBACK. User code never runs inside the reactor's read
 * handler: every Deferred fires from `reactor.callSoon`.
 *
 * Closing. `close()` ends the session at once: work in flight or queued
 * fails with `ConnectionClosed`. `close({ timeout })` closes gracefully:
 * from the call on, new work is refused (`ConnectionClosed`; statements of
 * an interaction, stream or COPY already holding the connection go on),
 * the work accepted before it runs to its end, and once nothing is queued
 * or running the session ends politely (Terminate). Should `timeout` ms
 * pass first, the statement running gets a CancelRequest and the session
 * is aborted: what is left fails with a `ConnectionClosed` whose `cause`
 * is a `TimeoutError`. The Deferred of the close fires once the session
 * has ended, after the Deferreds of the work it ended.
 *
 * With a DeadConnectionDetector the connection meets it at two calls
 * (`setReconnectable` on every user connect, `callChecking` around every
 * run* call) and offers it three (`reconnect`, `abortSession`, `setState`);
 * the detector learns of lost sessions and user closes from the connection's
 * events, and decides what a lost session means.
 */
import type { DelayedCall, Reactor } from '../../reactor/interfaces';
import type { LoadedConfig } from '../config';
import { loadConfigSoon } from '../config/load';
import { Deferred, fail, fromPromise, succeed } from '../defer';
import type { ConnectInput } from '../dsn/params';
import { AlreadyConnected, ConnectionClosed, InterfaceError, TimeoutError } from '../errors/base';
import type { ProtocolVersion } from '../protocol/versions';
import { TypeRegistry } from '../types/registry';
import { Sql, toStatement, type Statement } from '../sql/compose';
import { checkOptions } from '../util/options-check';
import { definePublicView } from '../util/public-view';
import { openSession, type ConnectorOptions } from './connector';
import { Cursor, type CursorFactory } from './cursor';
import { defaultReactor } from './default-reactor';
import { runInteraction, type Interaction, type InteractionOptions } from './interaction';
import type { Lease, QueryOptions } from './lease';
import { nodeAuthCrypto } from './node-crypto';
import { Requests, type LiveSession } from './requests';
import { operationResult, resolveRowFactory, resultRows, type OperationResult, type QueryResult, type ResultRows, type RowFactory } from './rows';
import type { ConnectionOptions, DetectorLike } from './options';
import type { Session } from './session';
import type { ConnectionState } from './state';
import { ConnectionEvents } from './events';

export type { ConnectionState } from './state';
export type { ConnectionOptions, DetectorLike } from './options';

/** Options of a graceful {@link Connection.close} (and `ConnectionPool.close`). */
export interface CloseOptions {
  /**
   * How long work accepted before the close may take to finish (ms, a
   * non-negative number; `Infinity`: no limit). When it runs out, what is
   * left is cancelled and fails with `ConnectionClosed` (`cause`: a `TimeoutError`).
   */
  timeout: number;
}

/** A graceful close under way. */
interface Closing {
  readonly d: Deferred<void>;
  timer: DelayedCall | null;
  /** The session ended at the deadline, once it was aborted: its end fires `d`. */
  aborted: Session | null;
  /** The timeout the error names. */
  readonly reportedMs: number;
}

/**
 * An asynchronous PostgreSQL connection with txpostgres' API.
 * @example
 * const conn = new Connection();
 * await conn.connect('postgres://user@localhost/db');
 * const rows = await conn.runQuery('SELECT $1::int AS n', [1]);
 */
export class Connection extends ConnectionEvents {
  /** The reactor this connection runs on. */
  readonly reactor: Reactor;
  /** The detector, when reconnection is wanted. */
  readonly detector: DetectorLike | undefined;
  /** This connection's own type registry (a clone: registrations do not leak). */
  readonly types: TypeRegistry;
  /** The default row factory. */
  rowFactory: RowFactory;
  /** Builds cursors (txpostgres' `cursorFactory`). */
  cursorFactory: CursorFactory;

  private live: LiveSession | null = null;
  private input: string | ConnectInput | undefined = undefined;
  private connecting: Deferred<this> | null = null;
  private closing: Closing | null = null;
  /** The user closed the connection (and has not connected it again): a detector may no longer revive it. */
  private userClosed = false;
  private readonly requests: Requests;

  constructor(readonly options: ConnectionOptions = {}) {
    checkOptions('Connection', options, CONNECTION_OPTIONS);
    const reactor = options.reactor ?? defaultReactor();
    super(reactor);
    this.reactor = reactor;
    this.detector = options.detector;
    this.types = (options.types ?? TypeRegistry.default()).clone();
    this.rowFactory = resolveRowFactory(options.rowFactory);
    this.cursorFactory = options.cursorFactory ?? ((conn, lease) => new Cursor(conn, lease));
    this.requests = new Requests(this.reactor, () => this.syncBusy());
  }

  // ---------------------------------------------------------------- lifecycle

  /** The current state. */
  get state(): ConnectionState {
    return this.states.state;
  }

  /** True when there is no live session. */
  get closed(): boolean {
    return this.requests.closed;
  }

  /** Whether work is queued or running. */
  get busy(): boolean {
    return this.requests.busy;
  }

  /** The server's process id for this session (BackendKeyData). */
  get processId(): number | undefined {
    return this.session?.machine.backendKey?.processId;
  }

  /** The frontend/backend protocol version of this session ('3.2' on PostgreSQL 18, '3.0' before); undefined without one. */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.session?.machine.protocolVersion;
  }

  /** Server parameters (server_version, TimeZone, ...). */
  get serverParameters(): ReadonlyMap<string, string> {
    return this.session?.machine.parameters ?? new Map();
  }

  /** The transaction status of the session: 'I', 'T' or 'E'. */
  get transactionStatus(): string {
    return this.session?.machine.transactionStatus ?? 'I';
  }

  /**
   * Connects; fires with this connection. `input` is a libpq connection
   * string (URI or key=value), a parameter object, or nothing (PG* variables).
   * Fails with `AlreadyConnected` when connected; see the connector for the
   * errors of a failed connect.
   */
  connect(input?: string | ConnectInput): Deferred<this> {
    this.detector?.setReconnectable(this, input);
    if (!this.closed || this.connecting !== null) return fail(new AlreadyConnected());
    this.userClosed = false;
    this.input = input;
    this.states.set('connecting');
    return this.open(true);
  }

  /**
   * @internal For the detector: drops the session, if any, and opens a new one with
   * the last `connect()` input. It reports no state of its own (the
   * detector does), and no close.
   */
  reconnect(): Deferred<this> {
    if (this.userClosed) return this.refuseRevival();
    this.dropSession(closedError, null);
    return this.open(false);
  }

  /**
   * Closes the connection at once. Idempotent; anything pending or queued
   * fails with `ConnectionClosed`. The connection may be connected again later.
   */
  close(): void;
  /**
   * Closes the connection gracefully (see the file comment): new work is
   * refused with `ConnectionClosed` at once; work accepted before the call
   * may finish for up to `timeout` ms, then what is left is cancelled and
   * fails with `ConnectionClosed` (`cause`: `TimeoutError`). Fires once the
   * session has ended. A second graceful close gets the first one's
   * Deferred; a plain `close()` meanwhile ends everything at once. A bad
   * `timeout` fails the Deferred with `InterfaceError` (`ERR_INVALID_OPTION`)
   * and closes nothing.
   */
  close(options: CloseOptions): Deferred<void>;
  close(options?: CloseOptions): void | Deferred<void> {
    if (options === undefined) return this.closeAtOnce();
    const timeout = (options as Partial<CloseOptions> | null)?.timeout;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      return fail(new InterfaceError('close({ timeout }) needs a non-negative number of milliseconds', { code: 'ERR_INVALID_OPTION' }));
    }
    return this.closeGracefully(timeout);
  }

  /**
   * @internal A graceful close waiting `timeoutMs` (the pool's deadline passes 0),
   * whose error names `reportedMs`.
   */
  closeGracefully(timeoutMs: number, reportedMs = timeoutMs): Deferred<void> {
    if (this.closing !== null) return this.closing.d;
    if (this.closed || this.connecting !== null) {
      this.closeAtOnce();
      return succeed(undefined);
    }
    this.userClosed = true;
    this.tellClosed(); // a detector stops watching now: nothing it sees from here on is a death to recover from
    const closing: Closing = { d: new Deferred<void>(() => this.expireClose(closing)), timer: null, aborted: null, reportedMs };
    this.closing = closing;
    if (!this.requests.busy) this.closeDrained(closing);
    else if (timeoutMs === 0) this.expireClose(closing);
    else if (timeoutMs !== Infinity) closing.timer = this.reactor.callLater(timeoutMs, () => this.expireClose(closing));
    return closing.d;
  }

  /**
   * @internal A detector's state ('dead', 'reconnecting', 'ready') is ignored once the
   * user closed the connection: work that failed after the close (a graceful
   * close's last statements) may still look like a death to it.
   */
  override setState(state: ConnectionState, reason?: Error): void {
    if (this.userClosed && state !== 'closed') return;
    super.setState(state, reason);
  }

  /** A detector tried to reconnect a connection the user closed: refused, and it is told of the close again (from the reactor) so it stops. */
  private refuseRevival(): Deferred<this> {
    this.reactor.callSoon(() => this.userClosed && this.tellClosed());
    return fail(new ConnectionClosed('the connection was closed by the user; it is not reconnected'));
  }

  private closeAtOnce(): void {
    this.userClosed = true;
    const closing = this.endClosing();
    this.tellClosed();
    this.connecting?.cancel();
    this.dropSession(closedError, null);
    this.states.set('closed');
    if (closing !== null) this.reactor.callSoon(() => closing.d.called || closing.d.callback(undefined));
  }

  /**
   * Ends the live session at once with `error` (no Terminate): in-flight and
   * queued work fails, and the loss is reported. Used by liveness checks
   * (heartbeat, operation deadlines). Nothing happens without a session.
   */
  abortSession(error: Error): void {
    if (this.session !== null && !this.session.closed) this.session.abort(error);
  }

  // ---------------------------------------------------------------- queries

  /** A new cursor (from the cursor factory), not holding the connection. */
  cursor(): Cursor {
    return this.cursorFactory(this, null);
  }

  /**
   * Runs one statement; fires with its rows. Independent calls are pipelined.
   * The rows array also carries, as non-enumerable properties, the
   * statement's `command` tag, `rowCount` and `results` (each statement's
   * rows, columns, tag and count, several when a string of several ran;
   * see `QueryResultInfo` in rows.ts). `R` is an unchecked assertion about the row
   * shape: nothing checks the rows against it.
   */
  runQuery<R = Record<string, unknown>>(sql: string | Sql, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<ResultRows<R>> {
    return this.doit(() => this.query(sql, params, options, null)).addCallback((r) => resultRows<R>(r));
  }

  /**
   * Runs one statement; fires with its command tag and row count
   * ({@link OperationResult}; `undefined` before), the rows dropped.
   */
  runOperation(sql: string | Sql, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<OperationResult> {
    return this.doit(() => this.query(sql, params, options, null)).addCallback(operationResult);
  }

  /**
   * BEGIN; `fn(cursor, ...args)`; COMMIT; fires with fn's value once the
   * server committed. On any failure: ROLLBACK and the original error
   * (`RollbackFailed` if the ROLLBACK fails too); see `interaction.ts`.
   */
  runInteraction<R, A extends unknown[]>(fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.runInteractionWith({}, fn, ...args);
  }

  /** runInteraction with options: isolation level, read only, deferrable, retry. */
  runInteractionWith<R, A extends unknown[]>(options: InteractionOptions, fn: Interaction<R, A>, ...args: A): Deferred<R> {
    if (typeof fn !== 'function') return fail(new InterfaceError(`runInteraction needs a function (cursor, ...args) => result, not a ${typeof fn}`, { code: 'ERR_INVALID_ARGUMENT' }));
    return this.doit(() => runInteraction(this, options, fn, args));
  }

  /** @internal For cursors: an interaction (`lease` null) or a savepoint block on the interaction holding `lease`. */
  runInteractionOn<R, A extends unknown[]>(lease: Lease | null, options: InteractionOptions, fn: Interaction<R, A>, args: A): Deferred<R> {
    if (lease === null) return this.runInteractionWith(options, fn, ...args);
    return runInteraction(this, options, fn, args, lease);
  }

  /** Cancels `d` (txpostgres' `conn.cancel(d)`): the same as `d.cancel()`. */
  cancel(d: Deferred<unknown>): void {
    d.cancel();
  }

  /** @internal The path of cursors, interactions and streams: one statement, queued or on `lease`; fires with the full result. */
  query(sql: string | Sql, params: readonly unknown[], options: QueryOptions, lease: Lease | null): Deferred<QueryResult> {
    if (lease === null && this.closing !== null) return fail(closingError());
    if (sql instanceof Sql) return this.composed(sql, params, options, lease);
    const rowFactory = options?.rowFactory ? resolveRowFactory(options.rowFactory) : this.rowFactory;
    return this.requests.query(sql, params, options, lease, rowFactory);
  }

  /** A composed statement (src/sql): rendered to text and parameters; parameters given besides it are refused. */
  private composed(fragment: Sql, params: readonly unknown[], options: QueryOptions, lease: Lease | null): Deferred<QueryResult> {
    if (Array.isArray(params) && params.length > 0) {
      return fail(new InterfaceError('a composed sql`...` statement carries its own values: pass no parameters besides it', { code: 'ERR_INVALID_PARAMS' }));
    }
    let statement: Statement;
    try {
      statement = toStatement(fragment);
    } catch (e) {
      return fail(e);
    }
    return this.query(statement.text, statement.params, options, lease);
  }

  /** @internal Takes the connection exclusively (FIFO with other work); fires with the Lease (streams, COPY, interactions). */
  acquire(): Deferred<Lease> {
    if (this.closing !== null) return fail(closingError());
    return this.requests.acquire();
  }

  // ---------------------------------------------------------------- internals

  private get session(): Session | null {
    return this.live?.session ?? null;
  }

  /**
   * Reads the configuration, then opens a session. When no file had to be
   * read the session is opened at once; the attempt may then even end before
   * this returns (a reactor that fails synchronously), which `attempt.done` notes.
   */
  private open(report: boolean): Deferred<this> {
    const attempt: OpenAttempt<this> = { d: null, done: false };
    const d: Deferred<this> = sessionFor(this.input, this.options.env, (config) => openSession(this.connectorOptions(), config, this.sessionEvents()))
      .addCallbacks(
        (live: LiveSession) => this.opened(attempt, live, report),
        (error: Error) => this.notOpened(attempt, error, report),
      );
    attempt.d = d;
    if (!attempt.done) this.connecting = d;
    return d;
  }

  private opened(attempt: OpenAttempt<this>, live: LiveSession, report: boolean): this {
    attempt.done = true;
    if (this.connecting === attempt.d) this.connecting = null;
    this.live = live;
    this.requests.attach(live);
    if (report) this.states.set('ready');
    return this;
  }

  private notOpened(attempt: OpenAttempt<this>, error: Error, report: boolean): never {
    attempt.done = true;
    if (this.connecting === attempt.d) this.connecting = null;
    if (report) this.states.set('closed', error);
    throw error;
  }

  /** What the connector needs: the options it reads, named one by one (a spread would copy every Connection option per connect). */
  private connectorOptions(): ConnectorOptions {
    const o = this.options;
    return {
      reactor: this.reactor, crypto: o.crypto ?? nodeAuthCrypto, types: this.types, connectTimeoutMs: o.connectTimeoutMs,
      allowCleartextPassword: o.allowCleartextPassword, maxScramIterations: o.maxScramIterations, prepare: o.prepare,
    };
  }

  private sessionEvents(): Parameters<typeof openSession>[2] {
    return {
      notification: (n) => this.notify.notification(n),
      notice: (d) => this.notify.notice(d),
      lost: (session, error) => this.sessionLost(session, error),
    };
  }

  /** A live session ended (server gone, protocol violation). With a detector, the detector decides what it means. */
  private sessionLost(session: Session, error: Error | null): void {
    if (this.closing !== null && this.closing.aborted === session) return this.closeEnded(this.closing);
    if (this.session !== session) return;
    if (this.closing !== null) return this.lostWhileClosing(this.closing, error);
    this.live = null;
    this.requests.detach(() => error ?? new ConnectionClosed(), error);
    if (this.detector === undefined) this.states.set('closed', error ?? undefined);
    this.tellLost(error);
  }

  /** Ends the session we hold, if any, politely (Terminate); queued work fails with the error `reason()` builds. */
  private dropSession(reason: () => Error, lostWith: Error | null): void {
    const session = this.session;
    this.live = null;
    this.requests.detach(reason, lostWith);
    if (session !== null && !session.closed) session.terminate();
  }

  /**
   * 'busy' while work is queued or running, 'ready' when the queue drains
   * (only between those two, and never 'ready' for a queue drained by the
   * session ending: the loss decides the next state).
   */
  private syncBusy(): void {
    const state = this.states.state;
    if (this.closing !== null) {
      if (!this.requests.busy) this.reactor.callSoon(() => this.closing?.aborted === null && this.closeDrained(this.closing));
      return;
    }
    if (state === 'ready' && this.requests.busy) this.states.set('busy');
    else if (state === 'busy' && !this.requests.busy && !this.closed) this.states.set('ready');
  }

  // ---------------------------------------------------------------- graceful close

  /** The work of a graceful close has drained (or there was none): the session ends politely. */
  private closeDrained(closing: Closing): void {
    if (this.closing !== closing || this.requests.busy) return;
    this.endClosing();
    this.dropSession(closedError, null);
    this.states.set('closed');
    this.reactor.callSoon(() => closing.d.called || closing.d.callback(undefined));
  }

  /**
   * The timeout of a graceful close ran out (or its Deferred was
   * cancelled): the running statement gets a CancelRequest, and the session
   * is aborted, failing what is left with the close's error; the close
   * fires when the session has ended.
   */
  private expireClose(closing: Closing): void {
    if (this.closing !== closing || closing.aborted !== null) return;
    closing.timer?.cancel();
    closing.timer = null;
    const live = this.live;
    if (live === null) return this.closeDrained(closing);
    const reason = new ConnectionClosed(`the connection was closed before this work finished: close({ timeout: ${closing.reportedMs} }) ran out`, {
      cause: new TimeoutError(closing.reportedMs),
    });
    this.requests.cancelCurrent();
    closing.aborted = live.session;
    this.live = null;
    this.requests.detach(() => reason, null);
    this.states.set('closed');
    live.session.abort(reason);
  }

  /** The session aborted at the deadline has ended: its work has failed; the close fires after it. */
  private closeEnded(closing: Closing): void {
    this.endClosing();
    this.reactor.callSoon(() => closing.d.called || closing.d.callback(undefined));
  }

  /** The server or the link ended the session during a graceful close: the close is done, with that error (no reconnection). */
  private lostWhileClosing(closing: Closing, error: Error | null): void {
    this.live = null;
    this.requests.detach(() => error ?? new ConnectionClosed(), error);
    this.states.set('closed', error ?? undefined);
    this.closeEnded(closing);
  }

  /** Forgets the graceful close under way, if any (its timer cancelled); returns it. */
  private endClosing(): Closing | null {
    const closing = this.closing;
    if (closing === null) return null;
    closing.timer?.cancel();
    this.closing = null;
    return closing;
  }

  /** Runs `fn` under the detector when there is one (txpostgres' `_doit`). */
  private doit<T>(fn: () => Deferred<T>): Deferred<T> {
    return this.detector ? this.detector.callChecking(fn) : fn();
  }
}

/** One `open()`: its Deferred (null while it is being built) and whether it has ended. */
interface OpenAttempt<C> {
  d: Deferred<C> | null;
  done: boolean;
}

/**
 * The session for the configuration of `input`: when no file had to be read,
 * `open` runs at once on the configuration (no Deferred for the
 * configuration itself, no Promise, no microtask hop per connect), else
 * once the Promise of `loadConfigSoon` (the public boundary of the config
 * layer, which reads files) resolves. A bad configuration, or an `open`
 * that throws, fails the Deferred at once.
 */
function sessionFor(input: string | ConnectInput | undefined, env: ConnectionOptions['env'], open: (config: LoadedConfig) => Deferred<LiveSession>): Deferred<LiveSession> {
  try {
    const loaded = loadConfigSoon(input, { env });
    return loaded instanceof Promise ? fromPromise(loaded).addCallback(open) : open(loaded); // public boundary: Promise (the config layer reads files)
  } catch (e) {
    return fail(e as Error);
  }
}

/** The error queued work fails with when the connection is closed (a new one each time, with the caller's stack). */
function closedError(): ConnectionClosed {
  return new ConnectionClosed();
}

/** The error of a call made while a graceful close is under way. */
function closingError(): ConnectionClosed {
  return new ConnectionClosed('the connection is closing: close({ timeout }) accepts no new work');
}

/** The option types `new Connection(options)` checks. */
const CONNECTION_OPTIONS = {
  reactor: 'object', detector: 'object', cursorFactory: 'function', types: 'object', crypto: 'object', env: 'object',
  allowCleartextPassword: 'boolean', connectTimeoutMs: 'nonNegative', prepare: 'boolean',
} as const;

// console.log / util.inspect / JSON.stringify show this, never the options, the input or the session (secrets live there)
definePublicView(Connection, (c) => ({ state: c.state, processId: c.processId, transactionStatus: c.transactionStatus, busy: c.busy }));
