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
 */
import type { Reactor } from '../../reactor/interfaces';
import { maybeDeferred } from '../defer';
import { toError } from '../defer/failure';
import { reportError } from '../defer/unhandled';
import type { Diagnostic } from '../errors/database';
import type { Notification } from './notification';

/** A notify observer: may return a Deferred or Promise, awaited before the next notification. */
export type NotifyObserver = (n: Notification) => unknown;

/** The notification and notice fan-out of one connection; see the file comment. */
export class NotifyDispatch {
  private readonly observers = new Set<NotifyObserver>();
  private readonly notificationListeners = new Set<(n: Notification) => void>();
  private readonly noticeListeners = new Set<(d: Diagnostic) => void>();
  private backlog: Notification[] = [];
  private delivering = false;

  constructor(private readonly reactor: Reactor) {}

  /** Adds an observer (a set: adding twice registers once). */
  addObserver(fn: NotifyObserver): void {
    this.observers.add(fn);
  }

  /** Removes an observer; unknown ones are ignored. */
  removeObserver(fn: NotifyObserver): void {
    this.observers.delete(fn);
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
    this.backlog.push(n);
    this.reactor.callSoon(() => {
      for (const fn of [...this.notificationListeners]) fn(n);
    });
    if (this.delivering) return;
    this.delivering = true;
    this.reactor.callSoon(() => this.deliver());
  }

  /** A notice arrived (called from the read handler). */
  notice(d: Diagnostic): void {
    if (this.noticeListeners.size === 0) return;
    this.reactor.callSoon(() => {
      for (const fn of [...this.noticeListeners]) fn(d);
    });
  }

  /** Hands the oldest notification to every observer, and the next one once they are all done. */
  private deliver(): void {
    const n = this.backlog.shift();
    if (n === undefined) {
      this.delivering = false;
      return;
    }
    const runs = [...this.observers].map((fn) => maybeDeferred(() => fn(n)).addErrback((e: unknown) => reportError(toError(e), undefined)));
    if (runs.length === 0) return this.deliver();
    let left = runs.length;
    for (const r of runs) {
      r.addBoth(() => {
        if (--left === 0) this.reactor.callSoon(() => this.deliver());
      });
    }
  }
}

function add<F>(set: Set<F>, fn: F): () => void {
  set.add(fn);
  return () => set.delete(fn);
}
