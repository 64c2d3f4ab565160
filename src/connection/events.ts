/**
 * ConnectionEvents: what a connection tells its listeners, and how.
 *
 * Theory of operation. The base of Connection: it composes the
 * {@link NotifyDispatch} (notify observers and the raw notification and
 * notice listeners, called from the reactor, never from the read handler)
 * and the {@link StateReporter} (transitions told in order), and keeps the
 * listeners of two lifecycle events: a live session lost (with its error),
 * and a user close. Subclasses report into it; users and the detector
 * subscribe to it. Nothing here sends anything.
 */
import type { Reactor } from '../../reactor/interfaces';
import type { Diagnostic } from '../errors/database';
import type { Notification } from './notification';
import { NotifyDispatch, type NotifyObserver } from './notify';
import { StateReporter, type ConnectionState } from './state';

/** The events of a connection; see the file comment. */
export class ConnectionEvents {
  /** The transitions of this connection (Connection reports into it). */
  protected readonly states = new StateReporter();
  /** Notifications and notices (the session reports into it). */
  protected readonly notify: NotifyDispatch;
  /** Created on the first subscriber (most connections never have one: no Set per connection). */
  private lostListeners: Set<(e: Error | null) => void> | null = null;
  private closeListeners: Set<() => void> | null = null;

  constructor(reactor: Reactor) {
    this.notify = new NotifyDispatch(reactor);
  }

  /** Adds a notify observer (a set: adding twice registers once). */
  addNotifyObserver(fn: NotifyObserver): void {
    this.notify.addObserver(fn);
  }

  /** Removes a notify observer; unknown observers are ignored. */
  removeNotifyObserver(fn: NotifyObserver): void {
    this.notify.removeObserver(fn);
  }

  /** A copy of the notify observers. */
  getNotifyObservers(): NotifyObserver[] {
    return this.notify.getObservers();
  }

  /** Calls `fn` (outside the read handler) for every notification; returns the unsubscriber. */
  onNotification(fn: (n: Notification) => void): () => void {
    return this.notify.onNotification(fn);
  }

  /** Calls `fn` for every server notice; returns the unsubscriber. */
  onNotice(fn: (n: Diagnostic) => void): () => void {
    return this.notify.onNotice(fn);
  }

  /** Calls `fn` on every state change, in order; returns the unsubscriber. */
  onStateChange(fn: (s: ConnectionState, reason?: Error) => void): () => void {
    return this.states.listen(fn);
  }

  /** Calls `fn` when a live session ends (with the error that ended it); returns the unsubscriber. */
  onSessionLost(fn: (e: Error | null) => void): () => void {
    return addListener((this.lostListeners ??= new Set()), fn);
  }

  /** Calls `fn` when the user calls `close()`; returns the unsubscriber. */
  onClose(fn: () => void): () => void {
    return addListener((this.closeListeners ??= new Set()), fn);
  }

  /** @internal Sets the state and tells the listeners in order (the detector uses it for 'dead', 'reconnecting', 'ready'). */
  setState(state: ConnectionState, reason?: Error): void {
    this.states.set(state, reason);
  }

  /** Tells the session-lost listeners. */
  protected tellLost(error: Error | null): void {
    if (this.lostListeners !== null) for (const fn of [...this.lostListeners]) fn(error);
  }

  /** Tells the close listeners (a user close). */
  protected tellClosed(): void {
    if (this.closeListeners !== null) for (const fn of [...this.closeListeners]) fn();
  }
}

function addListener<F>(set: Set<F>, fn: F): () => void {
  set.add(fn);
  return () => set.delete(fn);
}
