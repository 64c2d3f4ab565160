/**
 * Notify dispatch: server notifications and notices, out of the read handler.
 *
 * Theory of operation. The connection always reads, so notifications arrive
 * while it is idle. Each is handed to the notify observers (txpostgres'
 * `addNotifyObserver`) in reception order, one notification at a time: an
 * observer returning a Deferred or Promise is awaited before the next
 * notification (txpostgres' cooperator), and an observer's failure is
 * reported, never fatal. Raw listeners (what the Observables are built on)
 * get every notification and notice from `reactor.callSoon`, never from
 * inside the read handler.
 *
 * Bounds. Nothing waits for a raw listener: each notification is handed to
 * it in the reactor turn after the read that brought it, so at most one
 * read's worth is pending, and a listener that is slow to return holds the
 * reactor, hence the socket (TCP then holds the server back). An
 * Observable's subscriber is such a listener; an RxJS operator that buffers
 * (`concatMap` over slow work) buffers in RxJS, outside the driver.
 * Observers are different: one that returns a Deferred is waited for, and
 * notifications queue meanwhile. Pausing reads while they queue would
 * deadlock an observer that waits for a query on this same connection, so
 * the queue is capped instead: at most {@link MAX_NOTIFY_BACKLOG}
 * notifications wait for the observers; later ones are dropped for the
 * observers only (raw listeners and Observables still get them), and when
 * delivery reaches the place of the drop, one {@link NotificationsDropped}
 * (`ERR_NOTIFICATIONS_DROPPED`) carrying the count is reported through the
 * unhandled-failure handler, as an observer's failure is. Observers that
 * finish at once get a whole read's notifications in one reactor turn, so
 * only observers slower than the flood ever fill the queue.
 */
import type { Reactor } from '../../reactor/interfaces';
import { maybeDeferred } from '../defer';
import { isThenable } from '../defer/deferred';
import { toError } from '../defer/failure';
import { reportError } from '../defer/unhandled';
import { PgError } from '../errors/base';
import type { Diagnostic } from '../errors/database';
import type { Notification } from './notification';

/** A notify observer: may return a Deferred or Promise, awaited before the next notification. */
export type NotifyObserver = (n: Notification) => unknown;

/** The most notifications that wait for slow notify observers; see the file comment. */
export const MAX_NOTIFY_BACKLOG = 10_000;

/**
 * Reported (through the unhandled-failure handler) when notifications were
 * dropped for the notify observers because {@link MAX_NOTIFY_BACKLOG} of
 * them were already waiting: the observers saw every notification before
 * the drop, then this, then the ones received after it.
 */
export class NotificationsDropped extends PgError {
  /** How many notifications the observers did not get. */
  readonly dropped: number;
  /** The backlog's capacity ({@link MAX_NOTIFY_BACKLOG}). */
  readonly limit: number;

  constructor(dropped: number, limit: number) {
    super(
      'ERR_NOTIFICATIONS_DROPPED',
      `${dropped} notification${dropped === 1 ? ' was' : 's were'} dropped for the notify observers: ${limit} were already waiting for observers that finish too slowly`,
    );
    this.dropped = dropped;
    this.limit = limit;
  }
}

/** The place of dropped notifications in the backlog. */
class Drop {
  count = 1;
}

/** The notification and notice fan-out of one connection; see the file comment. */
export class NotifyDispatch {
  private readonly observers = new Set<NotifyObserver>();
  /** The observers as an array, made on the first notification after a change (each delivery goes over a copy). */
  private observerList: NotifyObserver[] | null = null;
  private readonly notificationListeners = new Set<(n: Notification) => void>();
  private readonly noticeListeners = new Set<(d: Diagnostic) => void>();
  private backlog: Array<Notification | Drop> = [];
  private head = 0;
  private waiting = 0;
  private delivering = false;
  /** The raw listeners' notifications not yet handed out (one reactor call hands out a whole read's worth). */
  private pendingForListeners: Notification[] = [];
  private readonly deliverSoon = (): void => this.deliver();
  private readonly tellListenersSoon = (): void => this.tellListeners();

  constructor(private readonly reactor: Reactor) {}

  /** Notifications waiting for the observers (at most {@link MAX_NOTIFY_BACKLOG}). */
  get backlogSize(): number {
    return this.waiting;
  }

  /** Adds an observer (a set: adding twice registers once). */
  addObserver(fn: NotifyObserver): void {
    this.observers.add(fn);
    this.observerList = null;
  }

  /** Removes an observer; unknown ones are ignored. */
  removeObserver(fn: NotifyObserver): void {
    this.observers.delete(fn);
    this.observerList = null;
  }

  /** A copy of the observers. */
  getObservers(): NotifyObserver[] {
    return [...this.observers];
  }

  /** Calls `fn` for every notification; returns the unsubscriber. */
  onNotification(fn: (n: Notification) => void): () => void {
    return add(this.notificationListeners, fn);
  }

  /** Calls `fn` for every notice; returns the unsubscriber. */
  onNotice(fn: (d: Diagnostic) => void): () => void {
    return add(this.noticeListeners, fn);
  }

  /** A notification arrived (called from the read handler). */
  notification(n: Notification): void {
    if (this.notificationListeners.size > 0 && this.pendingForListeners.push(n) === 1) this.reactor.callSoon(this.tellListenersSoon);
    this.enqueue(n);
    if (this.delivering) return;
    this.delivering = true;
    this.reactor.callSoon(this.deliverSoon);
  }

  /**
   * Hands the pending notifications to the raw listeners, in order (each
   * notification to the listeners registered when it is handed out). A
   * listener that throws stops the rest of its notification's listeners, as
   * it always did; the notifications after it still go out, in a later call.
   */
  private tellListeners(): void {
    const pending = this.pendingForListeners;
    this.pendingForListeners = [];
    let i = 0;
    try {
      for (; i < pending.length; i++) for (const fn of [...this.notificationListeners]) fn(pending[i]);
    } finally {
      if (i < pending.length - 1) {
        this.pendingForListeners = pending.slice(i + 1).concat(this.pendingForListeners);
        this.reactor.callSoon(this.tellListenersSoon);
      }
    }
  }

  /** A notice arrived (called from the read handler). */
  notice(d: Diagnostic): void {
    if (this.noticeListeners.size === 0) return;
    this.reactor.callSoon(() => {
      for (const fn of [...this.noticeListeners]) fn(d);
    });
  }

  /** Queues `n` for the observers, or counts it dropped when the backlog is full. */
  private enqueue(n: Notification): void {
    if (this.waiting < MAX_NOTIFY_BACKLOG) {
      this.backlog.push(n);
      this.waiting++;
      return;
    }
    const last = this.backlog[this.backlog.length - 1];
    if (last instanceof Drop) last.count++;
    else this.backlog.push(new Drop());
  }

  /** The oldest entry of the backlog, removed; undefined when it is empty. */
  private take(): Notification | Drop | undefined {
    if (this.head === this.backlog.length) {
      this.backlog = [];
      this.head = 0;
      return undefined;
    }
    const entry = this.backlog[this.head++];
    if (!(entry instanceof Drop)) this.waiting--;
    if (this.head >= 1024 && this.head * 2 >= this.backlog.length) {
      this.backlog = this.backlog.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Delivers the backlog in order, until it is empty or an observer is still busy (its end resumes delivery). */
  private deliver(): void {
    for (let entry = this.take(); entry !== undefined; entry = this.take()) {
      if (entry instanceof Drop) reportError(new NotificationsDropped(entry.count, MAX_NOTIFY_BACKLOG), undefined);
      else if (this.handOut(entry)) return;
    }
    this.delivering = false;
  }

  /** Hands `n` to every observer; true when some have not finished (the last to finish schedules the next delivery). */
  private handOut(n: Notification): boolean {
    let left = 0;
    let inTurn = true;
    let finished: (() => void) | null = null; // made for the first observer that returns a thenable only
    const observers = (this.observerList ??= [...this.observers]);
    for (let i = 0; i < observers.length; i++) {
      let result: unknown;
      try {
        result = observers[i](n);
      } catch (e) {
        reportError(toError(e), undefined);
        continue;
      }
      if (!isThenable(result)) continue; // finished now: no Deferred needed
      left++;
      finished ??= (): void => {
        if (--left === 0 && !inTurn) this.reactor.callSoon(this.deliverSoon);
      };
      maybeDeferred(() => result)
        .addErrback((e: unknown) => reportError(toError(e), undefined))
        .addBoth(finished);
    }
    inTurn = false;
    return left > 0;
  }
}

function add<F>(set: Set<F>, fn: F): () => void {
  set.add(fn);
  return () => set.delete(fn);
}
