/**
 * Connection: txpostgres' Connection, over the sans-IO core.
 *
 * Theory of operation. A Connection owns at most one {@link Session} (one
 * protocol session over one transport) at a time. Work reaches the session
 * through a {@link WorkQueue}: independent runQuery/runOperation calls are
 * pipelined, runInteraction holds the connection from BEGIN to COMMIT or
 * ROLLBACK. The session reports results from inside the reactor's read
 * handler; the Connection never runs user code there: every Deferred is
 * fired from `reactor.callSoon` (txpostgres fires them with `callLater(0)`
 * for the same reason: no re-entrancy from user callbacks into the reader).
 *
 * The connection always reads, so notifications arrive while it is idle;
 * they are handed to the notify observers in reception order, one
 * notification at a time (an observer's Deferred or Promise is awaited
 * before the next), and to the raw listeners the Observables are built on.
 *
 * Cancelling the Deferred of queued work removes it; cancelling running work
 * sends a CancelRequest over a separate connection through the reactor
 * (never blocking); work already in the pipeline gets its CancelRequest when
 * it starts running, so a neighbour is never cancelled.
 */
import type { Endpoint, Reactor } from '../../reactor/interfaces';
import { nodeAuthCrypto } from './node-crypto';
import { loadConfig } from '../config';
import { ProtocolMachine } from '../core/machine';
import { defaultReactor } from './default-reactor';
import { addTimeout, CANCEL_PENDING, Deferred, fail, maybeDeferred, withAbortSignal } from '../defer';
import { toError } from '../defer/failure';
import { reportError } from '../defer/unhandled';
import type { ConnectInput, ConnectParams, HostSpec } from '../dsn/params';
import { AlreadyConnected, CancelledError, ConnectionClosed, ConnectionFailed, ConnectionLost, ConnectTimeout } from '../errors/base';
import { DatabaseError } from '../errors/database';
import { CompletionOrder } from './completion-order';
import { invalidQuery } from './query-validation';
import { Diagnostic } from '../errors/database';
import { Statements, type ExecRequest } from './statements';
import type { AuthCrypto } from '../protocol/auth/crypto';
import { objectRowFactory, tupleRowFactory, type QueryResult, type RowFactory } from './rows';
import { Session, type OpHandler, type SessionListener } from './session';
import type { Command } from '../core/commands';
import { endpointOf, machineOptions, sessionTls, type TlsFiles } from './session-setup';
import { TypeRegistry } from '../types/registry';
import { WorkQueue, type Job } from './work-queue';
import { Cursor, type CursorFactory } from './cursor';
import type { Lease, LeaseState, QueryOptions } from './lease';
import { runInteraction, type InteractionOptions, type Interaction } from './interaction';
import { Notification } from './notification';

/** The states of a connection, as `state$` reports them. */
export type ConnectionState = 'connecting' | 'ready' | 'busy' | 'dead' | 'reconnecting' | 'closed';



/** Something that can be asked about connection death (the DeadConnectionDetector). */
export interface DetectorLike {
  setReconnectable(reconnectable: Connection, ...args: unknown[]): void;
  callChecking<T>(fn: () => Deferred<T>): Deferred<T>;
  checkForDeadConnection(error: unknown): unknown;
  /** While true the detector drives the state; the connection's own transitions are held back. */
  holdsState?(): boolean;
  /** Told at the start of every `close()` (a user close stops reconnection). */
  connectionClosed?(connection: Connection): void;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  /** The reactor; the package entry supplies a NodeReactor by default. */
  reactor?: Reactor;
  /** A DeadConnectionDetector that reconnects this connection. */
  detector?: DetectorLike;
  /** Row shape: 'object' (default, keyed by column name), 'tuple', or a custom factory. */
  rowFactory?: RowFactory | 'object' | 'tuple';
  /** Builds the cursors of `cursor()` and of interactions. */
  cursorFactory?: CursorFactory;
  /**
   * The type registry to clone for this connection (defaults to
   * `TypeRegistry.default()`, so global registrations made before the
   * connection was created apply to it).
   */
  types?: TypeRegistry;
  /** Crypto for SCRAM and MD5 (defaults to node:crypto). */
  crypto?: AuthCrypto;
  /** Environment for PG* variables (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Allow a cleartext password over a link without TLS (default false). */
  allowCleartextPassword?: boolean;
  /** Connect timeout per host in ms, when the connection string gives none. */
  connectTimeoutMs?: number;
}


interface Request<T> {
  d: Deferred<T>;
  /** Its place in the call order of the connection or of its lease. */
  order: CompletionOrder;
  ticket: number;
  lease: Lease | null;
  running: boolean;
  cancelWanted: boolean;
  cancelSent: boolean;
  done: boolean;
  retries?: number;
}

/**
 * An asynchronous PostgreSQL connection with txpostgres' API.
 * @example
 * const conn = new Connection();
 * await conn.connect('postgres://user@localhost/db');
 * const rows = await conn.runQuery('SELECT $1::int AS n', [1]);
 */
export class Connection {
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

  private session: Session | null = null;
  private statements: Statements | null = null;
  private endpoint: Endpoint | null = null;
  private params: ConnectParams | null = null;
  private readonly queue = new WorkQueue();
  private readonly crypto: AuthCrypto;
  private _state: ConnectionState = 'closed';
  private connecting: Deferred<this> | null = null;
  private readonly observers = new Set<(n: Notification) => unknown>();
  private notifyBacklog: Notification[] = [];
  private notifyRunning = false;
  private readonly notificationListeners = new Set<(n: Notification) => void>();
  private readonly noticeListeners = new Set<(n: Diagnostic) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState, reason?: Error) => void>();
  /** State transitions not yet told to every listener, oldest first. */
  private readonly stateBacklog: Array<[ConnectionState, Error | undefined]> = [];
  private tellingState = false;
  /** Call order of the connection's queued requests. */
  private readonly order = new CompletionOrder();
  /** Why the last session ended, when the server or the link ended it (not `close()`). */
  private lostWith: Error | null = null;
  private readonly lostListeners = new Set<(e: Error | null) => void>();
  private completions: Array<() => void> = [];
  private completionScheduled = false;
  /** Reactor time of our last CancelRequest (-Infinity: none yet). */
  private lastCancelAt = -Infinity;

  constructor(readonly options: ConnectionOptions = {}) {
    this.reactor = options.reactor ?? defaultReactor();
    this.detector = options.detector;
    this.types = (options.types ?? TypeRegistry.default()).clone();
    this.rowFactory = resolveRowFactory(options.rowFactory);
    this.cursorFactory = options.cursorFactory ?? ((conn, lease) => new Cursor(conn, lease));
    this.crypto = options.crypto ?? nodeAuthCrypto;
  }

  // ---------------------------------------------------------------- lifecycle

  /** The current state. */
  get state(): ConnectionState {
    return this._state;
  }

  /** True when there is no live session. */
  get closed(): boolean {
    return this.session === null || this.session.closed;
  }

  /** The server's process id for this session (BackendKeyData). */
  get processId(): number | undefined {
    return this.session?.machine.backendKey?.processId;
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
   * Fails with `AlreadyConnected` when connected; tries every host in turn
   * and, when all fail, with `ConnectionFailed` listing each host's error.
   */
  connect(input?: string | ConnectInput): Deferred<this> {
    this.detector?.setReconnectable(this, input);
    if (!this.closed || this.connecting !== null) return fail(new AlreadyConnected());
    const d = new Deferred<this>((dd) => this.abortConnect(dd));
    this.connecting = d;
    this.transition('connecting');
    loadConfig(input, { env: this.options.env }).then(
      (cfg) => this.connectHosts(d, cfg, cfg.tls ?? {}, 0, []),
      (err: unknown) => this.connectFailed(d, err as Error),
    );
    return d;
  }

  /**
   * Closes the connection. Idempotent; anything pending or queued fails with
   * `ConnectionClosed`. The connection may be connected again later.
   */
  close(): void {
    this.detector?.connectionClosed?.(this);
    this.lostWith = null;
    const error = new ConnectionClosed();
    this.queue.failAll(error);
    const session = this.session;
    this.session = null;
    this.statements = null;
    if (this.connecting !== null) this.connecting.cancel();
    if (session !== null && !session.closed) session.terminate();
    this.queue.reset();
    this.transition('closed');
  }

  // ---------------------------------------------------------------- queries

  /** A new cursor (from the cursor factory), not holding the connection. */
  cursor(): Cursor {
    return this.cursorFactory(this, null);
  }

  /** Runs one statement; fires with its rows. Independent calls are pipelined. */
  runQuery<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<R[]> {
    return this.doit(() => this.query(sql, params, options, null)).addCallback((r) => r.rows as R[]);
  }

  /** Runs one statement; fires with undefined. */
  runOperation(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<void> {
    return this.doit(() => this.query(sql, params, options, null)).addCallback((): void => undefined);
  }

  /**
   * BEGIN; `fn(cursor, ...args)`; COMMIT; fires with fn's value. On any
   * failure: ROLLBACK and the original error (`RollbackFailed` if the
   * ROLLBACK fails too). Inside an interaction, a nested runInteraction on the
   * same cursor's connection becomes a savepoint (see `cursor.runInteraction`).
   */
  runInteraction<R, A extends unknown[]>(fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.runInteractionWith({}, fn, ...args);
  }

  /** runInteraction with options: isolation level, read only, deferrable, retry. */
  runInteractionWith<R, A extends unknown[]>(options: InteractionOptions, fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.doit(() => runInteraction(this, options, fn, args));
  }

  /** For cursors: an interaction (`lease` null) or a savepoint block on the interaction holding `lease`. */
  runInteractionOn<R, A extends unknown[]>(lease: Lease | null, options: InteractionOptions, fn: Interaction<R, A>, args: A): Deferred<R> {
    if (lease === null) return this.runInteractionWith(options, fn, ...args);
    return runInteraction(this, options, fn, args, lease);
  }

  /** Cancels `d` (txpostgres' `conn.cancel(d)`): the same as `d.cancel()`. */
  cancel(d: Deferred<unknown>): void {
    d.cancel();
  }

  // ---------------------------------------------------------------- notifications

  /** Adds a notify observer (a set: adding twice registers once). */
  addNotifyObserver(fn: (n: Notification) => unknown): void {
    this.observers.add(fn);
  }

  /** Removes a notify observer; unknown observers are ignored. */
  removeNotifyObserver(fn: (n: Notification) => unknown): void {
    this.observers.delete(fn);
  }

  /** A copy of the notify observers. */
  getNotifyObservers(): Array<(n: Notification) => unknown> {
    return [...this.observers];
  }

  /** Calls `fn` (outside the read handler) for every notification; returns the unsubscriber. */
  onNotification(fn: (n: Notification) => void): () => void {
    return addListener(this.notificationListeners, fn);
  }

  /** Calls `fn` for every server notice; returns the unsubscriber. */
  onNotice(fn: (n: Diagnostic) => void): () => void {
    return addListener(this.noticeListeners, fn);
  }

  /** Calls `fn` on every state change; returns the unsubscriber. */
  onStateChange(fn: (s: ConnectionState, reason?: Error) => void): () => void {
    return addListener(this.stateListeners, fn);
  }

  /** Calls `fn` when a session ends (null after close); returns the unsubscriber. */
  onSessionLost(fn: (e: Error | null) => void): () => void {
    return addListener(this.lostListeners, fn);
  }

  /**
   * Sets the state and tells the listeners (the detector uses
   * 'dead'/'reconnecting'). Every listener sees every transition, in the
   * order they happened: a transition made by a listener while the others
   * are being told waits until they all have been.
   */
  setState(state: ConnectionState, reason?: Error): void {
    if (this._state === state && (state !== 'reconnecting' || reason === undefined)) return;
    this._state = state;
    this.stateBacklog.push([state, reason]);
    if (this.tellingState) return;
    this.tellingState = true;
    try {
      for (let next = this.stateBacklog.shift(); next !== undefined; next = this.stateBacklog.shift()) {
        for (const fn of [...this.stateListeners]) fn(next[0], next[1]);
      }
    } finally {
      this.tellingState = false;
      this.stateBacklog.length = 0;
    }
  }

  // ---------------------------------------------------------------- internals used by Cursor/interaction

  /** Runs a request through the queue (shared) or on a lease; fires with the full result. */
  /**
   * Runs a request through the queue (shared) or on a lease; fires with the
   * full result, in call order. The call is validated first (see
   * `query-validation.ts`): an invalid one fails, in its turn, having sent
   * and cached nothing.
   */
  query(sql: string, params: readonly unknown[], options: QueryOptions, lease: Lease | null): Deferred<QueryResult> {
    const order = lease?.order ?? this.order;
    const req: Request<QueryResult> = { d: null as never, order, ticket: order.take(), lease, running: false, cancelWanted: false, cancelSent: false, done: false };
    const refused = invalidQuery(sql, params, options) ?? (this.closed ? this.closedError() : null);
    if (refused !== null) {
      req.d = new Deferred<QueryResult>();
      this.complete(req, refused, null);
      return req.d;
    }
    const exec: ExecRequest = {
      sql,
      params,
      simple: options.simple,
      rowFactory: options.rowFactory ? resolveRowFactory(options.rowFactory) : this.rowFactory,
      registry: options.types,
      started: () => this.started(req),
      done: (error, result) => this.finish(req, error, result, job, exec),
    };
    const job: Job = {
      exclusive: false,
      run: () => this.send(exec, req, job),
      fail: (e) => this.complete(req, e, null),
    };
    req.d = new Deferred<QueryResult>(() => this.cancelRequest(req, job));
    if (lease !== null) {
      (lease as LeaseState).pending?.add(req.d);
      this.send(exec, req, null, lease);
    }
    else {
      this.queue.push(job);
      this.syncBusy();
    }
    return this.decorate(req.d, options);
  }

  /** The error of a call made without a session: `ConnectionLost` (with its cause) when the server ended it, else `ConnectionClosed`. */
  private closedError(): Error {
    if (this.lostWith === null) return new ConnectionClosed();
    return new ConnectionLost('the connection to the server was lost earlier; connect again', { cause: this.lostWith });
  }

  /** Queues an exclusive job; fires with a Lease once the connection is held. */
  acquire(): Deferred<Lease> {
    if (this.closed) return fail(this.closedError());
    const job: Job = {
      exclusive: true,
      run: () => this.fire(d, null, lease),
      fail: (e) => this.fire(d, e, null),
    };
    const lease: LeaseState = {
      execute: (req) => {
        if (this.statements === null) throw new ConnectionClosed();
        this.statements.execute(req);
      },
      send: (command, ...handlers) => {
        if (this.session === null) throw new ConnectionClosed();
        this.session.send(command, ...handlers);
      },
      release: () => {
        this.queue.release(job);
        this.syncBusy();
      },
      errors: [],
      order: new CompletionOrder(),
      pending: new Set(),
      cancelRunning: () => {
        for (const pending of [...lease.pending]) pending.cancel();
      },
    };
    const d = new Deferred<Lease>(() => {
      this.queue.remove(job);
      this.syncBusy();
    });
    this.queue.push(job);
    this.syncBusy();
    return d;
  }

  /** 'busy' while work is queued or running, 'ready' when the queue drains (only between those two). */
  private syncBusy(): void {
    if (this._state === 'ready' && this.queue.busy) this.setState('busy');
    else if (this._state === 'busy' && !this.queue.busy) this.setState('ready');
  }

  /** Runs `fn` under the detector when there is one (txpostgres' `_doit`). */
  private doit<T>(fn: () => Deferred<T>): Deferred<T> {
    return this.detector ? this.detector.callChecking(fn) : fn();
  }

  private send(exec: ExecRequest, req: Request<QueryResult>, job: Job | null, lease?: Lease): void {
    if (this.statements === null) return this.finish(req, new ConnectionClosed(), null, job);
    try {
      if (lease) lease.execute(exec);
      else this.statements.execute(exec);
    } catch (e) {
      this.finish(req, e as Error, null, job);
    }
  }

  private decorate<T>(d: Deferred<T>, options: QueryOptions): Deferred<T> {
    if (options.timeout !== undefined) addTimeout(d, options.timeout, this.reactor);
    if (options.signal !== undefined) withAbortSignal(d, options.signal);
    return d;
  }

  private started(req: Request<QueryResult>): void {
    req.running = true;
    if (req.cancelWanted && !req.cancelSent) this.sendCancel(req);
  }

  /**
   * The canceller of a query's Deferred. Queued: removed, and the Deferred
   * fails at once. Sent: a CancelRequest now (running) or when it starts
   * (pipelined behind others); the Deferred fails with CancelledError when
   * the statement ends (`serverCancelled` tells whether the server stopped it).
   */
  private cancelRequest(req: Request<QueryResult>, job: Job): void | typeof CANCEL_PENDING {
    if (req.done) return;
    if (this.queue.remove(job)) {
      req.done = true;
      req.order.skip(req.ticket);
      return this.syncBusy();
    }
    req.cancelWanted = true;
    if (req.running) this.sendCancel(req);
    return CANCEL_PENDING;
  }

  private finish(req: Request<QueryResult>, error: Error | null, result: QueryResult | null, job: Job | null, exec?: ExecRequest): void {
    if (req.done) return;
    const canceled = error !== null && (error as { code?: string }).code === '57014';
    if (canceled && !req.cancelWanted && this.collateral(req) && exec !== undefined && job !== null) {
      req.retries = (req.retries ?? 0) + 1; // a CancelRequest meant for a neighbour hit this one: run it again
      return this.send(exec, req, job);
    }
    if (error instanceof DatabaseError && req.lease !== null) (req.lease.errors as Error[]).push(error);
    if (job !== null) {
      this.queue.finished(job);
      this.syncBusy();
    }
    if (req.cancelWanted) {
      error = new CancelledError('the query was cancelled', { serverCancelled: canceled, cause: error ?? undefined });
    }
    this.complete(req, error, result);
  }

  /** Ends a request: its Deferred fires from the reactor, after every request called before it. */
  private complete<T>(req: Request<T>, error: Error | null, value: T | null): void {
    if (req.done) return;
    req.done = true;
    (req.lease as LeaseState | null)?.pending?.delete(req.d as Deferred<unknown>);
    req.order.deliver(req.ticket, () => this.fire(req.d, error, value));
  }

  /** Fires `d` from the reactor, never from inside the read handler. */
  fire<T>(d: Deferred<T>, error: Error | null, value: T | null): void {
    this.completions.push(() => {
      if (d.called) return;
      if (error !== null) d.errback(error);
      else d.callback(value as T);
    });
    if (this.completionScheduled) return;
    this.completionScheduled = true;
    this.reactor.callSoon(() => this.runCompletions());
  }

  private runCompletions(): void {
    this.completionScheduled = false;
    const batch = this.completions;
    this.completions = [];
    for (const fn of batch) fn();
  }

  /**
   * A CancelRequest lands on whatever the backend runs when it arrives; one
   * of ours sent in the last second that missed its target may hit the next
   * statement of the pipeline. Such a statement (autocommit, not asked to
   * cancel) is run again, at most 3 times.
   */
  private collateral(req: Request<QueryResult>): boolean {
    return this.reactor.now() - this.lastCancelAt < 1000 && (req.retries ?? 0) < 3;
  }

  /** Sends a CancelRequest for the running statement over a new connection. */
  private sendCancel(req: Request<QueryResult>): void {
    const session = this.session;
    if (session === null || this.endpoint === null || session.machine.backendKey === undefined) return;
    req.cancelSent = true;
    this.lastCancelAt = this.reactor.now();
    const bytes = session.machine.cancelRequest();
    this.reactor.connect(this.endpoint, {
      connectionMade: (t) => t.write(bytes),
      dataReceived: () => undefined,
      connectionLost: () => undefined,
    });
  }

  // ---------------------------------------------------------------- connecting

  private connectHosts(d: Deferred<this>, p: ConnectParams, tls: TlsFiles, i: number, errors: Error[]): void {
    if (d.called) return;
    if (i >= p.hosts.length) return this.connectFailed(d, connectError(errors));
    const host = p.hosts[i];
    this.openSession(p, host, tls).then(
      () => this.connected(d, p),
      (err: Error) => this.connectHosts(d, p, tls, i + 1, [...errors, err]),
    );
  }

  private openSession(p: ConnectParams, host: HostSpec, tls: TlsFiles): Promise<void> {
    return new Promise((resolve, reject) => {
      const machine = new ProtocolMachine(machineOptions(p, host, this.crypto, this.options));
      let up = false;
      const listener: SessionListener = {
        ready: () => {
          up = true;
          timer?.cancel();
          resolve();
        },
        notification: (pid, channel, payload) => this.notification(new Notification(channel, payload, pid)),
        notice: (fields) => this.notice(Diagnostic.fromRaw(fields)),
        lost: (error) => {
          timer?.cancel();
          if (!up) reject(hostError(host, error));
          else this.sessionLost(session, error);
        },
      };
      const session = new Session(machine, this.reactor, listener, sessionTls(p, host, tls, this.crypto));
      const timeoutMs = p.connectTimeoutMs ?? this.options.connectTimeoutMs;
      const timer = timeoutMs === undefined ? null : this.reactor.callLater(timeoutMs, () => session.abort(new ConnectTimeout(`timed out after ${timeoutMs} ms connecting to ${describeHost(host)}`)));
      this.session = session;
      this.endpoint = endpointOf(host);
      this.reactor.connect(this.endpoint, session, {
        timeoutMs,
        keepAliveInitialDelayMs: p.keepalives ? p.keepalivesIdleMs ?? 60_000 : undefined,
      });
    });
  }

  private connected(d: Deferred<this>, p: ConnectParams): void {
    this.params = p;
    this.lostWith = null;
    this.statements = new Statements(this.session!, this.types);
    this.connecting = null;
    this.transition('ready');
    this.fire(d, null, this);
  }

  private connectFailed(d: Deferred<this>, error: Error): void {
    this.session = null;
    this.statements = null;
    this.connecting = null;
    this.transition('closed', error);
    this.fire(d, error, null);
  }

  private abortConnect(_d: Deferred<this>): void {
    const session = this.session;
    this.connecting = null;
    this.session = null;
    session?.abort(new CancelledError('the connection attempt was cancelled'));
  }

  /** A live session ended (server gone, protocol violation, terminate). */
  private sessionLost(session: Session, error: Error | null): void {
    if (this.session !== session) return;
    this.session = null;
    this.statements = null;
    this.queue.reset();
    const reason = error ?? new ConnectionClosed();
    this.lostWith = error;
    this.queue.failAll(reason);
    if (error !== null && this.detector) this.detector.checkForDeadConnection(error);
    this.transition('closed', reason);
    for (const fn of [...this.lostListeners]) fn(error);
  }

  /** A state change of the connection's own, unless the detector drives the state now. */
  private transition(state: ConnectionState, reason?: Error): void {
    if (this.detector?.holdsState?.() === true) return;
    this.setState(state, reason);
  }

  /**
   * Ends the live session at once with `error` (no Terminate): in-flight and
   * queued work fails, and the loss reaches the detector. Used by liveness
   * checks (heartbeat, operation deadlines). Nothing happens without a session.
   */
  abortSession(error: Error): void {
    if (this.session !== null && !this.session.closed) this.session.abort(error);
  }

  // ---------------------------------------------------------------- async messages

  private notification(n: Notification): void {
    this.notifyBacklog.push(n);
    this.reactor.callSoon(() => {
      for (const fn of [...this.notificationListeners]) fn(n);
    });
    if (!this.notifyRunning) {
      this.notifyRunning = true;
      this.reactor.callSoon(() => this.deliverNotifications());
    }
  }

  /** Hands each notification to every observer in turn, awaiting Deferreds/Promises (txpostgres' cooperator). */
  private deliverNotifications(): void {
    const n = this.notifyBacklog.shift();
    if (n === undefined) {
      this.notifyRunning = false;
      return;
    }
    const runs = [...this.observers].map((fn) => maybeDeferred(() => fn(n)).addErrback((e: unknown) => reportError(toError(e), undefined)));
    if (runs.length === 0) return this.deliverNotifications();
    let left = runs.length;
    for (const r of runs) {
      r.addBoth(() => {
        if (--left === 0) this.reactor.callSoon(() => this.deliverNotifications());
      });
    }
  }

  private notice(n: Diagnostic): void {
    if (this.noticeListeners.size === 0) return;
    this.reactor.callSoon(() => {
      for (const fn of [...this.noticeListeners]) fn(n);
    });
  }

  /** The parameters of the last successful connect (used by reconnection). */
  get connectParams(): ConnectParams | null {
    return this.params;
  }

  /** Whether work is queued or running. */
  get busy(): boolean {
    return this.queue.busy;
  }

}

function resolveRowFactory(f: ConnectionOptions['rowFactory']): RowFactory {
  if (f === undefined || f === 'object') return objectRowFactory;
  if (f === 'tuple') return tupleRowFactory;
  return f;
}

function addListener<F>(set: Set<F>, fn: F): () => void {
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * What connecting failed with: the server's own verdict (a DatabaseError such
 * as 28P01) or a ConnectTimeout when there was one host; otherwise a
 * `ConnectionFailed` listing each host's error (one host included).
 */
function connectError(errors: Error[]): Error {
  if (errors.length === 1 && (errors[0] instanceof DatabaseError || errors[0] instanceof ConnectTimeout)) return errors[0];
  return new ConnectionFailed(errors);
}

/** One host's connect failure: the transport's own error (refused, reset, TLS) rather than a "lost" wrapper. */
function hostError(host: HostSpec, error: Error | null): Error {
  if (error === null) return new ConnectionLost(`${describeHost(host)} closed the connection during startup`);
  if (error instanceof ConnectionLost && error.cause instanceof Error) return error.cause;
  return error;
}

function describeHost(h: HostSpec): string {
  return h.kind === 'unix' ? h.socketPath ?? h.host : `${h.host}:${h.port}`;
}
