/**
 * Connection state: what `state$` reports, told in order.
 *
 * Theory of operation. The Connection owns its state; during an outage its
 * DeadConnectionDetector asks it for 'dead' and 'reconnecting' (and 'ready'
 * on recovery). Every listener sees every transition, in the order they
 * happened: a transition made by a listener while the others are being told
 * (a pool handing a recovered connection to a waiting request) waits until
 * they all have been told of the one in progress. Setting the current state
 * again is not a transition, except 'reconnecting' with a reason (each
 * failed reconnect attempt is reported).
 */
import { traceId, TRACING_CHANNELS, watchedChannel } from './tracing';

/** The state channel; its payload is built only when it has subscribers. */
const stateChannel = watchedChannel(TRACING_CHANNELS.connectionState);

/** The states of a connection, as `state$` reports them. */
export type ConnectionState = 'connecting' | 'ready' | 'busy' | 'dead' | 'reconnecting' | 'closed';

/** Told of each transition, with the error that caused it when there is one. */
export type StateListener = (state: ConnectionState, reason?: Error) => void;

/** The state of one connection and its listeners; see the file comment. */
export class StateReporter {
  private current: ConnectionState = 'closed';
  /** Created on the first listener: most connections never have one. */
  private listeners: Set<StateListener> | null = null;
  /** Transitions made while the listeners are being told; created on the first one. */
  private backlog: Array<[ConnectionState, Error | undefined]> | null = null;
  private telling = false;
  private readonly traceId = traceId();

  /** The current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** Adds a listener; returns the unsubscriber. */
  listen(fn: StateListener): () => void {
    const listeners = (this.listeners ??= new Set());
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  /**
   * Makes a transition and tells every listener, in order (see the file
   * comment). This runs twice per query ('busy', then 'ready'): with no
   * listener and no tracing subscriber it only stores the state.
   */
  set(state: ConnectionState, reason?: Error): void {
    if (this.current === state && (state !== 'reconnecting' || reason === undefined)) return;
    const previous = this.current;
    this.current = state;
    if (stateChannel.hasSubscribers) stateChannel.publish({ connectionId: this.traceId, state, previous, ...(reason === undefined ? {} : { reason }) });
    if (this.telling) {
      (this.backlog ??= []).push([state, reason]);
      return;
    }
    if (this.listeners === null || this.listeners.size === 0) return;
    this.telling = true;
    try {
      this.tell(this.listeners, state, reason);
      for (let next = this.backlog?.shift(); next !== undefined; next = this.backlog?.shift()) this.tell(this.listeners, next[0], next[1]);
    } finally {
      this.telling = false;
      if (this.backlog !== null) this.backlog.length = 0;
    }
  }

  /** Tells the listeners of now (not those added while telling) of one transition. */
  private tell(listeners: Set<StateListener>, state: ConnectionState, reason: Error | undefined): void {
    for (const fn of [...listeners]) fn(state, reason);
  }
}
