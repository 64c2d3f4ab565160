/**
 * Requests: the life of one call on a connection, from called to fired.
 *
 * Theory of operation. A call is validated first (`query-validation.ts`): an
 * invalid one fails in its turn having sent and cached nothing. A valid one
 * becomes a shared job of the {@link WorkQueue} (pipelined with its
 * neighbours), or runs at once on a {@link Lease} (inside an interaction, a
 * stream or a COPY). Its statement goes through {@link Statements}, and its
 * end (result, server error, lost session) comes back through
 * `statementEnded`; `settle` hands the outcome to the call order, which fires
 * it with `fireSoon`.
 *
 * Cancellation: a queued request is removed and its Deferred fails at once;
 * a running one gets a CancelRequest over a separate connection through the
 * reactor (never blocking; a spare connection opened ahead of time when
 * there is one, see {@link CancelChannel}); one already in the pipeline gets
 * its CancelRequest when it starts running, so a neighbour is never
 * cancelled. A cancelled request fails as soon as the server's 57014 error
 * arrives, not at the ReadyForQuery that follows it (the server rolls back
 * in between); its job ends at that ReadyForQuery. A CancelRequest of ours
 * that missed its target may still hit the next statement: that one is run
 * again (the collateral rerun, at most 3 times).
 *
 * Completion: Deferreds fire in call order ({@link CompletionOrder}, one per
 * connection and one per lease), and always from `reactor.callSoon`, in
 * batches, never from inside the read handler (txpostgres fires them with
 * `callLater(0)` for the same reason).
 */
import type { Endpoint, Reactor } from '../../reactor/interfaces';
import { addTimeout, CANCEL_PENDING, Deferred, fail, withAbortSignal } from '../defer';
import { CancelledError, ConnectionClosed, ConnectionLost, InterfaceError } from '../errors/base';
import { toError } from '../defer/failure';
import { DatabaseError } from '../errors/database';
import { databaseErrorFrom, QueryCanceled } from '../errors/sqlstate.generated';
import { withoutStack } from '../errors/without-stack';
import type { RawFields } from '../protocol/messages';
import { removeInOrder } from '../util/in-order';
import { CancelChannel } from './cancel-channel';
import { CompletionOrder } from './completion-order';
import type { Lease, LeaseState, QueryOptions } from './lease';
import { invalidQuery } from './query-validation';
import { traceQueryEnd, traceQueryStart, type QueryTrace } from './tracing';
import type { QueryResult, RowFactory } from './rows';
import type { Session } from './session';
import type { ExecRequest, Statements } from './statements';
import { WorkQueue, type Job } from './work-queue';

/** The session requests are sent on, while there is one. */
export interface LiveSession {
  readonly session: Session;
  readonly statements: Statements;
  readonly endpoint: Endpoint;
  /** The database name, for tracing. */
  readonly database?: string;
}

interface Request {
  d: Deferred<QueryResult>;
  /** Its place in the call order of the connection or of its lease. */
  order: CompletionOrder;
  ticket: number;
  lease: Lease | null;
  running: boolean;
  cancelWanted: boolean;
  cancelSent: boolean;
  done: boolean;
  /** Settled at the server's 57014 error, before its ReadyForQuery (which still ends the job). */
  settledEarly: boolean;
  retries: number;
  trace: QueryTrace | null;
}

/** SQLSTATE 57014, query_canceled. */
const QUERY_CANCELED = '57014';

/** A CancelRequest of ours sent less than this long ago may have hit a neighbour. */
const COLLATERAL_WINDOW_MS = 1000;
const MAX_COLLATERAL_RERUNS = 3;

/** The requests of one connection; see the file comment. */
export class Requests {
  private readonly queue = new WorkQueue();
  private readonly order = new CompletionOrder();
  private live: LiveSession | null = null;
  /** Why the last session ended, when the server or the link ended it (not `close()`). */
  private lostWith: Error | null = null;
  /** Deferreds to fire in the next batch, flat: Deferred, error, value, Deferred, ... */
  private completions: unknown[] = [];
  private spareCompletions: unknown[] = [];
  private completionScheduled = false;
  /** Reactor time of our last CancelRequest (-Infinity: none yet). */
  private lastCancelAt = -Infinity;
  /** The CancelRequest path of the live session, made at its first use. */
  private cancels: CancelChannel | null = null;

  /**
   * @param reactor schedules the firing of Deferreds and the CancelRequests
   * @param busyChanged told after anything that may have changed `busy`
   */
  constructor(
    private readonly reactor: Reactor,
    private readonly busyChanged: () => void,
  ) {}

  /** Whether work is queued or running. */
  get busy(): boolean {
    return this.queue.busy;
  }

  /** Whether there is no live session to send on. */
  get closed(): boolean {
    return this.live === null || this.live.session.closed;
  }

  /** A session is up: work may be sent on it. */
  attach(live: LiveSession): void {
    this.live = live;
    this.lostWith = null;
    this.cancels?.close();
    this.cancels = null;
  }

  /**
   * The session is gone: queued work fails with the error `reason()` builds
   * (only when work is queued). `lostWith` is the
   * error that ended it when the server or the link did (null for `close()`),
   * the cause of the `ConnectionLost` later calls get.
   */
  detach(reason: () => Error, lostWith: Error | null): void {
    this.live = null;
    this.lostWith = lostWith;
    this.cancels?.close(lostWith !== null);
    this.cancels = null;
    this.queue.reset();
    this.queue.failAll(reason);
  }

  /** Runs a request through the queue (shared) or on a lease; fires with the full result, in call order. */
  query(sql: string, params: readonly unknown[], options: QueryOptions, lease: Lease | null, rowFactory: RowFactory): Deferred<QueryResult> {
    const order = lease?.order ?? this.order;
    const req: Request = { d: null as never, order, ticket: order.take(), lease, running: false, cancelWanted: false, cancelSent: false, done: false, settledEarly: false, retries: 0,
      trace: traceQueryStart(sql, params, this.reactor, this.live?.endpoint, this.live?.database) };
    const refused = invalidQuery(sql, params, options) ?? (this.closed ? this.closedError() : null);
    if (refused !== null) {
      req.d = new Deferred<QueryResult>();
      this.settle(req, refused, null);
      return req.d;
    }
    // on a lease the request runs at once: no job in the queue
    const job: Job | null = lease === null ? { exclusive: false, run: () => this.execute(exec, req, job), fail: (e) => this.settle(req, e, null) } : null;
    const exec: ExecRequest = {
      sql,
      params,
      simple: options.simple,
      rowFactory,
      registry: options.types,
      started: () => this.started(req),
      serverError: (fields) => this.serverError(req, fields, sql),
      done: (error, result) => this.statementEnded(req, error, result, job, exec),
    };
    req.d = new Deferred<QueryResult>(() => this.cancelRequest(req, job));
    if (job === null) {
      (lease as LeaseState).pending.push(req.d as Deferred<unknown>);
      this.execute(exec, req, null);
    } else {
      this.queue.push(job);
      this.busyChanged();
    }
    if (options.timeout !== undefined || options.signal !== undefined) this.cancelChannel()?.warm();
    return decorate(req.d, options, this.reactor);
  }

  /** Queues an exclusive job; fires with a Lease once the connection is held. */
  acquire(): Deferred<Lease> {
    if (this.closed) return fail(this.closedError());
    const ticket = this.order.take(); // in call order with the queued statements
    const hand = (error: Error | null): void => this.order.deliver(ticket, () => this.fireSoon(d, error, error === null ? lease : null));
    const job: Job = { exclusive: true, run: () => hand(null), fail: (e) => hand(e) };
    const lease = this.lease(job);
    const d = new Deferred<Lease>(() => {
      if (this.queue.remove(job)) this.order.skip(ticket);
      else this.queue.release(job); // held already, but nobody will get the lease: give the connection back
      this.busyChanged();
    });
    this.queue.push(job);
    this.busyChanged();
    return d;
  }

  /** Sends a CancelRequest for the statement running now (for a running request; see the file comment). */
  private sendCancel(req: Request): void {
    const live = this.live;
    if (live === null || live.session.machine.backendKey === undefined) return;
    req.cancelSent = true;
    this.cancelSession(live);
  }

  /**
   * Sends a CancelRequest for whatever statement the live session runs now
   * (a graceful close's deadline), over the same channel as a cancelled
   * call's; nothing when no statement is in flight.
   */
  cancelCurrent(): void {
    const live = this.live;
    if (live === null || live.session.closed || live.session.pending === 0 || live.session.machine.backendKey === undefined) return;
    this.cancelSession(live);
  }

  /** A CancelRequest for what `live` runs now, over the channel; remembered for the collateral-rerun window. */
  private cancelSession(live: LiveSession): void {
    this.lastCancelAt = this.reactor.now();
    this.cancelChannel()?.send(live.session.machine.cancelRequest());
  }

  /** The live session's CancelRequest path (null without a session). */
  private cancelChannel(): CancelChannel | null {
    if (this.live === null) return null;
    return (this.cancels ??= new CancelChannel(this.reactor, this.live.endpoint));
  }

  /** The exclusive hold of `job` on the session. */
  private lease(job: Job): LeaseState {
    const lease: LeaseState = {
      execute: (exec) => this.leaseExecute(lease, exec, null),
      send: (command, ...handlers) => {
        if (lease.prelude !== null && (lease.prelude.state === 'pending' || lease.prelude.state === 'sent')) {
          throw new InterfaceError('a raw protocol command cannot go out before the interaction\'s BEGIN: execute a statement first', { code: 'ERR_ILLEGAL_COMMAND' });
        }
        this.liveSession().session.send(command, ...handlers);
      },
      release: () => {
        this.queue.release(job);
        this.busyChanged();
      },
      errors: [],
      order: new CompletionOrder(),
      pending: [],
      cancelRunning: () => {
        for (const pending of [...lease.pending]) pending.cancel();
      },
      prelude: null,
    };
    return lease;
  }

  /**
   * Runs a statement on a lease (see `prelude.ts`): with the lease's BEGIN
   * in front while it is pending; once it is in flight, when it has
   * completed (in order), unless the call was cancelled meanwhile (then it
   * is never sent); once it has failed, not at all.
   */
  private leaseExecute(lease: LeaseState, exec: ExecRequest, req: Request | null): void {
    const p = lease.prelude;
    if (p === null || p.state === 'done') return this.liveSession().statements.execute(exec);
    if (p.state === 'failed') return exec.done(p.refusal(), null);
    if (p.state === 'sent') {
      return p.whenSettled(() => {
        if (req?.cancelWanted === true) return this.settle(req, new CancelledError('the query was cancelled', { serverCancelled: false }), null);
        try {
          this.leaseExecute(lease, exec, req);
        } catch (e) {
          exec.done(toError(e), null);
        }
      });
    }
    exec.prelude = p;
    this.liveSession().statements.execute(exec);
  }

  private liveSession(): LiveSession {
    if (this.live === null) throw new ConnectionClosed();
    return this.live;
  }

  /** The error of a call made without a session: `ConnectionLost` (with its cause) when the server ended it, else `ConnectionClosed`. */
  private closedError(): Error {
    if (this.lostWith === null) return new ConnectionClosed();
    return new ConnectionLost('the connection to the server was lost earlier; connect again', { cause: this.lostWith });
  }

  /** Hands the statement to the session's statement cache (or the lease's); a throw is the request's failure. */
  private execute(exec: ExecRequest, req: Request, job: Job | null): void {
    try {
      if (req.lease !== null) this.leaseExecute(req.lease as LeaseState, exec, req);
      else this.liveSession().statements.execute(exec);
    } catch (e) {
      this.statementEnded(req, e as Error, null, job, exec);
    }
  }

  private started(req: Request): void {
    req.running = true;
    if (req.cancelWanted && !req.cancelSent) this.sendCancel(req);
  }

  /**
   * The canceller of a query's Deferred. Queued: removed, and the Deferred
   * fails at once. Sent: a CancelRequest now (running) or when it starts
   * (pipelined behind others); the Deferred fails with CancelledError when
   * the statement ends (`serverCancelled` tells whether the server stopped it).
   */
  private cancelRequest(req: Request, job: Job | null): void | typeof CANCEL_PENDING {
    if (req.done) return;
    if (job !== null && this.queue.remove(job)) {
      req.done = true;
      req.order.skip(req.ticket);
      traceQueryEnd(req.trace, this.reactor, new CancelledError('the query was cancelled'), null);
      return this.busyChanged();
    }
    req.cancelWanted = true;
    if (req.running) this.sendCancel(req);
    return CANCEL_PENDING;
  }

  /**
   * A server error of the request's statement arrived (from the read
   * handler; its ReadyForQuery follows). A 57014 for a request we cancelled
   * fails it now: the server has stopped the statement.
   */
  private serverError(req: Request, fields: RawFields, sql: string): void {
    if (req.done || !req.cancelWanted || fields.C !== QUERY_CANCELED) return;
    // both made in the read handler: their stacks would list only our frames (see withoutStack)
    const cause = withoutStack(() => databaseErrorFrom(fields, { query: sql }));
    if (req.lease !== null) (req.lease.errors as Error[]).push(cause);
    req.settledEarly = true;
    this.settle(req, withoutStack(() => new CancelledError('the query was cancelled', { serverCancelled: true, cause })), null);
  }

  /** The statement ended (from the read handler): rerun a collateral cancel, or complete. */
  private statementEnded(req: Request, error: Error | null, result: QueryResult | null, job: Job | null, exec: ExecRequest): void {
    if (req.settledEarly) return this.jobEnded(job);
    if (req.done) return;
    const canceled = error instanceof QueryCanceled;
    if (canceled && !req.cancelWanted && job !== null && this.collateral(req)) { // shared work only: inside a transaction the 57014 aborted it
      req.retries++; // a CancelRequest meant for a neighbour hit this one: run it again
      return this.execute(exec, req, job);
    }
    if (error instanceof DatabaseError && req.lease !== null) (req.lease.errors as Error[]).push(error);
    this.jobEnded(job);
    if (req.cancelWanted) {
      const cause = error ?? undefined;
      error = withoutStack(() => new CancelledError('the query was cancelled', { serverCancelled: canceled, cause }));
    }
    this.settle(req, error, result);
  }

  /** A shared job's statement is over: the queue may send what waits behind it. */
  private jobEnded(job: Job | null): void {
    if (job === null) return;
    this.queue.finished(job);
    this.busyChanged();
  }

  /**
   * A CancelRequest lands on whatever the backend runs when it arrives; one
   * of ours sent in the last second that missed its target may hit the next
   * statement of the pipeline. Such a statement (not asked to cancel) is run
   * again, at most 3 times.
   */
  private collateral(req: Request): boolean {
    return this.reactor.now() - this.lastCancelAt < COLLATERAL_WINDOW_MS && req.retries < MAX_COLLATERAL_RERUNS;
  }

  /** Ends a request: its Deferred fires from the reactor, after every request called before it. */
  private settle(req: Request, error: Error | null, value: QueryResult | null): void {
    if (req.done) return;
    req.done = true;
    traceQueryEnd(req.trace, this.reactor, error, value);
    if (req.lease !== null) removeInOrder((req.lease as LeaseState).pending, req.d as Deferred<unknown>);
    req.order.deliver(req.ticket, () => this.fireSoon(req.d, error, value));
  }

  /** Fires `d` from the reactor (in a batch with the others of this turn), never from inside the read handler. */
  private fireSoon<T>(d: Deferred<T>, error: Error | null, value: T | null): void {
    this.completions.push(d, error, value);
    if (this.completionScheduled) return;
    this.completionScheduled = true;
    this.reactor.callSoon(this.runCompletions);
  }

  private readonly runCompletions = (): void => {
    this.completionScheduled = false;
    // two arrays in turn: completions made while this batch runs go to the other one
    const batch = this.completions;
    this.completions = this.spareCompletions;
    this.spareCompletions = batch;
    for (let i = 0; i < batch.length; i += 3) {
      const d = batch[i] as Deferred<unknown>;
      if (d.called) continue;
      if (batch[i + 1] !== null) d.errback(batch[i + 1]);
      else d.callback(batch[i + 2]);
    }
    while (batch.length > 0) batch.pop(); // keeps the array's storage (length = 0 would drop it)
  };
}

/** Arms the call's client-side deadline and abort signal. */
function decorate<T>(d: Deferred<T>, options: QueryOptions, reactor: Reactor): Deferred<T> {
  if (options.timeout !== undefined) addTimeout(d, options.timeout, reactor);
  if (options.signal !== undefined) withAbortSignal(d, options.signal);
  return d;
}
