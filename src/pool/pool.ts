/**
 * ConnectionPool: txpostgres' pool, grown up.
 *
 * Theory of operation. The pool keeps between `min` and `max` connections.
 * Each operation (runQuery, runOperation, runInteraction) takes one idle
 * connection for its whole duration and gives it back, so a pooled
 * connection runs one operation at a time (txpostgres' semaphore rule). When
 * no connection is idle the pool opens a new one (up to `max`), else the
 * request waits in FIFO order for at most `acquireTimeoutMs` and then fails
 * with `PoolTimeout`, which is distinct from the error of a server that
 * cannot be reached (a failed connect fails its request with the connect
 * error itself).
 *
 * Closing: `close()` refuses new work at once (`PoolClosed`, also for the
 * requests still waiting for a connection), waits for the operations in
 * flight however long they take, then closes every member.
 * `close({ timeout })` waits at most `timeout` ms: then the members still
 * in use are closed as `Connection.close({ timeout })` closes at its
 * deadline (the running statement cancelled, what is left failing with
 * `ConnectionClosed` whose `cause` is a `TimeoutError`), and the pool's
 * close fires once they have ended.
 *
 * Health: a connection whose session ends while idle is dropped and
 * replaced (never an unhandled error); a connection that comes back closed,
 * or older than `maxLifetimeMs`, is closed and replaced; connections above
 * `min` idle for longer than `maxIdleMs` are closed. With a detector factory,
 * each member gets its own DeadConnectionDetector and a dead member leaves
 * the rotation until it has recovered.
 */
import type { Reactor } from '../../reactor/interfaces';
import { Connection, type CloseOptions, type ConnectionOptions, type DetectorLike } from '../connection/connection';
import type { QueryOptions } from '../connection/lease';
import type { OperationResult, ResultRows } from '../connection/rows';
import { defaultReactor } from '../connection/default-reactor';
import { Deferred, DeferredList, fail, FirstError, maybeDeferred } from '../defer';
import { tracePoolAcquire, tracePoolRelease } from '../connection/tracing';
import type { ConnectInput } from '../dsn/params';
import { InterfaceError, PoolClosed, PoolTimeout } from '../errors/base';
import type { Sql } from '../sql/compose';
import { checkOptions } from '../util/options-check';
import { definePublicView } from '../util/public-view';
import type { Interaction, InteractionOptions } from '../connection/interaction';

/** Options of a {@link ConnectionPool}. */
export interface PoolOptions {
  /** Connections opened by `start()` and kept open (default 3, txpostgres' default, but never more than `max`). */
  min?: number;
  /** Most connections at once (default `min`). */
  max?: number;
  /** The connection string or parameters every member connects with. */
  connect?: string | ConnectInput;
  /** How long a request waits for a connection before `PoolTimeout` (ms, default 30,000). */
  acquireTimeoutMs?: number;
  /** Close and replace connections older than this (ms; default: never). */
  maxLifetimeMs?: number;
  /** Close connections above `min` idle for longer than this (ms; default: never). */
  maxIdleMs?: number;
  /** Options for each member Connection. */
  connectionOptions?: ConnectionOptions;
  /** False: members use unnamed statements only, nothing cached (a pooler in transaction mode); see `ConnectionOptions.prepare`. */
  prepare?: boolean;
  /** Builds each member; override to use a Connection subclass. */
  connectionFactory?: (pool: ConnectionPool) => Connection;
  /** Builds a detector per member, for automatic reconnection. */
  detector?: () => DetectorLike;
  /** The reactor (the package entry supplies a NodeReactor by default). */
  reactor?: Reactor;
}

/** Counters and gauges of a pool. */
export interface PoolStats {
  size: number;
  idle: number;
  inUse: number;
  waiting: number;
  requests: number;
  timeouts: number;
  connectionsOpened: number;
  connectionsLost: number;
}

interface Member {
  conn: Connection;
  createdAt: number;
  idleSince: number;
}

interface Waiter {
  d: Deferred<Member>;
  timer: { cancel(): void } | null;
}

/** A pool of connections; see the file comment. */
export class ConnectionPool {
  readonly min: number;
  readonly max: number;
  readonly reactor: Reactor;
  private readonly members = new Set<Member>();
  private idle: Member[] = [];
  private readonly waiters: Waiter[] = [];
  private opening = 0;
  /** Connections open and opening, as the tracing events report it. */
  private readonly traceSize = (): number => this.members.size + this.opening;
  private inFlight = 0;
  private closing: Deferred<void> | null = null;
  private closed = false;
  private drained: Array<() => void> = [];
  private readonly counters = { requests: 0, timeouts: 0, connectionsOpened: 0, connectionsLost: 0 };
  private idleTimer: { cancel(): void } | null = null;

  constructor(readonly options: PoolOptions = {}) {
    checkOptions('ConnectionPool', options, POOL_OPTIONS);
    this.min = options.min ?? Math.min(3, options.max ?? 3);
    this.max = Math.max(options.max ?? this.min, this.min);
    this.reactor = options.reactor ?? options.connectionOptions?.reactor ?? defaultReactor();
  }

  /** Opens `min` connections; fires with the pool, or fails with the first connect error itself (the others are closed). */
  start(): Deferred<this> {
    const opens = Array.from({ length: this.min }, () => this.open());
    return new DeferredList(opens, { fireOnOneErrback: true, consumeErrors: true }).addCallbacks(
      (results) => {
        for (const [, m] of results as Array<[boolean, Member]>) this.putIdle(m);
        this.scheduleIdleCheck();
        return this;
      },
      (e: Error) => {
        this.closed = true; // members still connecting are closed as they arrive
        for (const m of [...this.members]) this.discard(m);
        throw e instanceof FirstError ? e.subFailure : e;
      },
    );
  }

  /** Runs one statement on a pooled connection; fires with its rows, carrying `command`, `rowCount` and `results` as on a Connection. */
  runQuery<R = Record<string, unknown>>(sql: string | Sql, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<ResultRows<R>> {
    return this.withConnection((c) => c.runQuery<R>(sql, params, options));
  }

  /** Runs one statement on a pooled connection; fires with its command tag and row count ({@link OperationResult}). */
  runOperation(sql: string | Sql, params: readonly unknown[] = [], options: QueryOptions = {}): Deferred<OperationResult> {
    return this.withConnection((c) => c.runOperation(sql, params, options));
  }

  /** Runs an interaction (a transaction) on a pooled connection. */
  runInteraction<R, A extends unknown[]>(fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.withConnection((c) => c.runInteraction(fn, ...args));
  }

  /** runInteraction with options. */
  runInteractionWith<R, A extends unknown[]>(options: InteractionOptions, fn: Interaction<R, A>, ...args: A): Deferred<R> {
    return this.withConnection((c) => c.runInteractionWith(options, fn, ...args));
  }

  /**
   * Takes a connection for `fn` and gives it back when fn's Deferred fires.
   * Cancelling the result cancels the wait or the work.
   */
  withConnection<T>(fn: (conn: Connection) => Deferred<T> | PromiseLike<T> | T): Deferred<T> {
    if (this.closed) return fail(new PoolClosed());
    this.counters.requests++;
    const askedAt = this.reactor.now();
    const idle = this.takeIdle();
    // an idle member runs fn at once (no Deferred of the hand-over); else fn runs when the new or freed member arrives
    if (idle !== null) return this.runOn(idle, fn, askedAt);
    return this.memberSoon().addCallback((m: Member) => this.runOn(m, fn, askedAt));
  }

  /** Runs `fn` on the member `m`, which goes back to the pool when fn's Deferred fires. */
  private runOn<T>(m: Member, fn: (conn: Connection) => Deferred<T> | PromiseLike<T> | T, askedAt: number): Deferred<T> {
    this.inFlight++;
    const acquiredAt = tracePoolAcquire(askedAt, this.reactor, this.traceSize);
    return maybeDeferred(fn as (conn: Connection) => T | PromiseLike<T>, m.conn).addFinally(() => (this.release(m), tracePoolRelease(acquiredAt, this.reactor, this.traceSize)));
  }

  /**
   * Refuses new work (`PoolClosed`), waits for work in flight, then closes
   * every connection; fires when done. Idempotent: a later call gets the
   * first call's Deferred. With `timeout` (ms), work still in flight after
   * it is cancelled and fails with `ConnectionClosed` (`cause`:
   * `TimeoutError`); see the file comment. A bad `timeout` fails with
   * `InterfaceError` (`ERR_INVALID_OPTION`) and closes nothing.
   */
  close(options?: CloseOptions): Deferred<void> {
    if (this.closing !== null) return this.closing;
    const timeout = options === undefined ? Infinity : (options as Partial<CloseOptions> | null)?.timeout;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      return fail(new InterfaceError('close({ timeout }) needs a non-negative number of milliseconds', { code: 'ERR_INVALID_OPTION' }));
    }
    this.closed = true;
    this.idleTimer?.cancel();
    for (const w of this.waiters.splice(0)) this.failWaiter(w, new PoolClosed());
    const d = new Deferred<void>();
    this.closing = d;
    const finish = (): void => {
      for (const m of [...this.members]) this.discard(m);
      d.callback(undefined);
    };
    if (this.inFlight === 0) finish();
    else {
      this.drained.push(() => this.reactor.callSoon(finish)); // after the last operation's Deferred has fired
      if (timeout !== Infinity) {
        const timer = this.reactor.callLater(timeout, () => this.closeInUse(timeout, finish));
        this.drained.push(() => timer.cancel());
      }
    }
    return d;
  }

  /**
   * The close timeout ran out: members still in use are closed at once
   * (their work fails); then `finish`, once they have closed and the
   * Deferreds of the operations they ran have fired (an interaction's
   * function may take a few hops to see its statement fail).
   */
  private closeInUse(timeout: number, finish: () => void): void {
    if (this.drained.length === 0) return; // drained meanwhile
    this.drained = [];
    const inUse = [...this.members].filter((m) => !this.idle.includes(m));
    const closes = inUse.map((m) => m.conn.closeGracefully(0, timeout).addErrback(() => undefined));
    new DeferredList(closes).addCallback(() => {
      if (this.inFlight === 0) this.reactor.callSoon(finish);
      else this.drained.push(() => this.reactor.callSoon(finish));
    });
  }

  /** txpostgres' hot swap: adds a connected connection to the pool. */
  add(conn: Connection): void {
    const m: Member = { conn, createdAt: this.reactor.now(), idleSince: this.reactor.now() };
    this.members.add(m);
    this.watch(m);
    this.putIdle(m);
  }

  /** txpostgres' hot swap: removes an idle connection (ValueError-like InterfaceError when all are busy). */
  remove(conn: Connection): void {
    const i = this.idle.findIndex((m) => m.conn === conn);
    if (this.idle.length === 0 || i < 0) throw new InterfaceError('connection still in use', { code: 'ERR_CONNECTION_IN_USE' });
    const [m] = this.idle.splice(i, 1);
    this.members.delete(m);
  }

  /** The member connections (idle and in use). */
  get connections(): Connection[] {
    return [...this.members].map((m) => m.conn);
  }

  /** Current counters and gauges. */
  stats(): PoolStats {
    return {
      size: this.members.size,
      idle: this.idle.length,
      inUse: this.members.size - this.idle.length,
      waiting: this.waiters.length,
      ...this.counters,
    };
  }

  // ------------------------------------------------------------------ internals

  /** A member when none is idle: a new one while below `max`, else the next one freed. */
  private memberSoon(): Deferred<Member> {
    if (this.members.size + this.opening < this.max) return this.open();
    return this.wait();
  }

  /** The first usable idle member; members whose detector is reconnecting them stay idle, others are replaced. */
  private takeIdle(): Member | null {
    for (let i = 0; i < this.idle.length; ) {
      const m = this.idle[i];
      if (this.recovering(m)) {
        i++;
        continue;
      }
      this.idle.splice(i, 1);
      if (this.usable(m)) return m;
      this.replace(m);
    }
    return null;
  }

  /** A member out of rotation while its detector reconnects it. */
  private recovering(m: Member): boolean {
    return m.conn.detector !== undefined && (m.conn.state === 'dead' || m.conn.state === 'reconnecting');
  }

  /** A member came back to 'ready': an idle one is handed to the first waiter. */
  private recovered(m: Member): void {
    const i = this.idle.indexOf(m);
    if (i < 0 || this.waiters.length === 0) return;
    this.idle.splice(i, 1);
    this.putIdle(m);
  }

  private wait(): Deferred<Member> {
    const waiter: Waiter = { d: null as never, timer: null };
    waiter.d = new Deferred<Member>(() => this.dropWaiter(waiter));
    const timeout = this.options.acquireTimeoutMs ?? 30_000;
    waiter.timer = this.reactor.callLater(timeout, () => {
      this.counters.timeouts++;
      this.dropWaiter(waiter);
      waiter.d.errback(new PoolTimeout(timeout));
    });
    this.waiters.push(waiter);
    return waiter.d;
  }

  private dropWaiter(w: Waiter): void {
    w.timer?.cancel();
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  private failWaiter(w: Waiter, e: Error): void {
    w.timer?.cancel();
    if (!w.d.called) w.d.errback(e);
  }

  /** Opens one member; fires with it (not yet idle). */
  private open(): Deferred<Member> {
    const conn = this.options.connectionFactory?.(this) ?? this.newConnection(this.memberOptions());
    this.opening++;
    return conn.connect(this.options.connect).addBoth((r: unknown) => {
      this.opening--;
      if (r instanceof Error) throw r;
      if (this.closed) {
        conn.close();
        throw new PoolClosed();
      }
      this.counters.connectionsOpened++;
      const m: Member = { conn, createdAt: this.reactor.now(), idleSince: this.reactor.now() };
      this.members.add(m);
      this.watch(m);
      return m;
    });
  }

  private memberOptions(): ConnectionOptions {
    const prepare = this.options.prepare ?? this.options.connectionOptions?.prepare;
    return { reactor: this.reactor, ...this.options.connectionOptions, prepare, detector: this.options.detector?.() };
  }

  /**
   * Builds a member when no `connectionFactory` is given. A subclass builds
   * its own Connection subclass: the package's ConnectionPool (src/rx/pool.ts)
   * builds the package's Connection, the one with Observables.
   */
  protected newConnection(options: ConnectionOptions): Connection {
    return new Connection(options);
  }

  /** A member that loses its session while idle is replaced; never an unhandled error. */
  private watch(m: Member): void {
    m.conn.onStateChange((state) => {
      if (state === 'ready' && this.members.has(m)) this.recovered(m);
    });
    m.conn.onSessionLost((error) => {
      if (error === null || !this.members.has(m)) return;
      this.counters.connectionsLost++;
      if (m.conn.detector) return; // its detector reconnects it; it is skipped while closed or dead
      const i = this.idle.indexOf(m);
      if (i >= 0) {
        this.idle.splice(i, 1);
        this.replace(m);
      }
    });
  }

  private release(m: Member): void {
    this.inFlight--;
    if (!this.members.has(m)) return this.checkDrained();
    if (!this.usable(m) && !m.conn.detector) this.replace(m);
    else if (this.expired(m)) this.replace(m);
    else this.putIdle(m);
    this.checkDrained();
  }

  private putIdle(m: Member): void {
    if (this.closed) return this.discard(m);
    m.idleSince = this.reactor.now();
    const w = this.waiters.shift();
    if (w === undefined) {
      this.idle.push(m);
      return;
    }
    w.timer?.cancel();
    if (this.usable(m)) w.d.callback(m);
    else {
      this.waiters.unshift(w);
      this.idle.push(m);
    }
  }

  private usable(m: Member): boolean {
    return !m.conn.closed && m.conn.state !== 'dead' && m.conn.state !== 'reconnecting';
  }

  private expired(m: Member): boolean {
    const life = this.options.maxLifetimeMs;
    return life !== undefined && this.reactor.now() - m.createdAt >= life;
  }

  /** Closes a member and refills the pool. */
  private replace(m: Member): void {
    this.discard(m);
    this.refill();
  }

  /** Opens a member when the pool is under `min`, or has waiters and room below `max`. */
  private refill(): void {
    const size = this.members.size + this.opening;
    if (this.closed || (size >= this.min && (this.waiters.length === 0 || size >= this.max))) return;
    this.open().addCallbacks(
      (fresh) => this.putIdle(fresh),
      () => undefined, // the next acquire retries; waiters time out with PoolTimeout
    );
  }

  private discard(m: Member): void {
    this.members.delete(m);
    const i = this.idle.indexOf(m);
    if (i >= 0) this.idle.splice(i, 1);
    m.conn.close();
  }

  private checkDrained(): void {
    if (this.inFlight > 0 || this.drained.length === 0) return; // the common case: no close waits (splice would allocate an array per release)
    for (const fn of this.drained.splice(0)) fn();
  }

  private scheduleIdleCheck(): void {
    const maxIdle = this.options.maxIdleMs;
    if (maxIdle === undefined || this.closed) return;
    this.idleTimer = this.reactor.callLater(Math.max(maxIdle / 2, 10), () => {
      const now = this.reactor.now();
      for (const m of [...this.idle]) {
        if (this.members.size > this.min && now - m.idleSince >= maxIdle) this.discard(m);
      }
      this.scheduleIdleCheck();
    });
  }
}

/** The option types `new ConnectionPool(options)` checks. */
const POOL_OPTIONS = {
  min: 'nonNegativeInt', max: 'positiveInt', connect: 'stringOrObject', acquireTimeoutMs: 'nonNegative', maxLifetimeMs: 'nonNegative',
  maxIdleMs: 'nonNegative', connectionOptions: 'object', prepare: 'boolean', connectionFactory: 'function', detector: 'function', reactor: 'object',
} as const;

// console.log / util.inspect / JSON.stringify show the pool's counts, never its options (the connection string and password live there)
definePublicView(ConnectionPool, (p) => ({ min: p.min, max: p.max, ...p.stats() }));
