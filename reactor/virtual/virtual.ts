/**
 * VirtualReactor: a deterministic reactor for tests (yours and ours).
 *
 * Theory of operation. Time is a {@link Clock} that moves only with
 * {@link VirtualReactor.advance}; connections are {@link MemoryLink}s whose
 * bytes move only when the reactor settles. "Settling" ({@link
 * VirtualReactor.flush}) repeats until nothing moves: run callSoon calls, run
 * calls already due, deliver pending link events. `advance(ms)` settles,
 * then runs each due timer in time order (same time: FIFO), settling after
 * each. So a test reads like a script:
 *
 * ```ts
 * const reactor = new VirtualReactor();
 * reactor.connect(endpoint, client, { timeoutMs: 5000 });
 * const link = reactor.connectAttempts[0].accept(fakeServer);
 * reactor.flush();                 // both handlers see connectionMade, bytes flow
 * link.stall(); reactor.advance(30_000);   // a silent network partition
 * ```
 *
 * Like Twisted's `MemoryReactor`, every `connect` is recorded in the public
 * {@link VirtualReactor.connectAttempts} list, to be accepted or refused by
 * the test; `listen(endpoint, factory)` accepts automatically (a scripted fake
 * server), `refuseConnections(endpoint)` refuses automatically (a server that
 * is down). Any other attempt stays pending until the test decides, or its
 * `timeoutMs` expires on the virtual clock.
 */
import type { ConnectOptions, Connector, DelayedCall, Endpoint, Reactor, TransportHandler } from '../interfaces';
import { ConnectCancelled, ConnectTimeout, ConnectionRefused, describeEndpoint } from '../errors';
import { TimeDelegate } from '../time-delegate';
import { Clock } from './clock';
import { MEMORY_HIGH_WATER_MARK, MemoryLink } from './memory-link';

/** Default rounds of settling after which `flush()` gives up (handlers that ping-pong forever). */
export const MAX_FLUSH_ROUNDS = 100_000;

/** Options for {@link VirtualReactor}. */
export interface VirtualReactorOptions {
  /** The initial `now()` (default 0). */
  start?: number;
  /** Rounds after which `flush()` throws (default {@link MAX_FLUSH_ROUNDS}). */
  maxFlushRounds?: number;
  /** The write high-water mark of every link, in bytes (default 64 KiB); see {@link MemoryLink.highWaterMark}. */
  writeHighWaterMark?: number;
}

/** The state of a {@link ConnectAttempt}. */
export type ConnectAttemptState = 'pending' | 'accepted' | 'refused' | 'timedOut' | 'cancelled';

/** One recorded `connect()` call; accept or refuse it from the test. */
export class ConnectAttempt {
  /** Where the client connected. */
  readonly endpoint: Endpoint;
  /** The client's handler. */
  readonly handler: TransportHandler;
  /** The options passed to connect. */
  readonly options: ConnectOptions;
  /** What became of the attempt. */
  state: ConnectAttemptState = 'pending';
  /** The link, once accepted. */
  link: MemoryLink | undefined;
  private timer: DelayedCall | undefined;

  constructor(private readonly reactor: VirtualReactor, endpoint: Endpoint, handler: TransportHandler, options: ConnectOptions) {
    this.endpoint = endpoint;
    this.handler = handler;
    this.options = options;
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      const timeoutMs = options.timeoutMs;
      this.timer = reactor.callLater(timeoutMs, () => this.fail('timedOut', new ConnectTimeout(describeEndpoint(endpoint), timeoutMs)));
    }
  }

  /**
   * Accepts the connection with `serverHandler` as the other end. Both
   * handlers get `connectionMade` at the next flush.
   * @throws Error when the attempt is no longer pending.
   */
  accept(serverHandler: TransportHandler): MemoryLink {
    this.settle('accepted');
    this.link = this.reactor.addLink(new MemoryLink(this.handler, serverHandler, this.reactor.writeHighWaterMark));
    return this.link;
  }

  /**
   * Refuses the connection: the client gets `connectionLost(error)` at the
   * next flush (default: a `ConnectionRefused`).
   * @throws Error when the attempt is no longer pending.
   */
  refuse(error?: Error): void {
    this.settle('refused');
    const reason = error ?? new ConnectionRefused(describeEndpoint(this.endpoint));
    this.reactor.callSoon(() => this.handler.connectionLost(reason));
  }

  /** Cancels a pending attempt (the Connector's cancel); a no-op otherwise. */
  cancel(): void {
    if (this.state === 'pending') this.fail('cancelled', new ConnectCancelled(describeEndpoint(this.endpoint)));
  }

  private fail(state: ConnectAttemptState, error: Error): void {
    if (this.state !== 'pending') return;
    this.settle(state);
    this.reactor.callSoon(() => this.handler.connectionLost(error));
  }

  private settle(state: ConnectAttemptState): void {
    if (this.state !== 'pending') throw new Error(`connect attempt to ${describeEndpoint(this.endpoint)} is already ${this.state}`);
    this.state = state;
    this.timer?.cancel();
  }
}

/** Key of an endpoint, for listener lookup. */
function endpointKey(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : `tcp:${endpoint.host.toLowerCase()}:${endpoint.port}`;
}

/**
 * A deterministic {@link Reactor}: virtual time and in-memory connections.
 * `now`, `callLater` and `callSoon` are the {@link Clock}'s (shared with the
 * other reactors through `TimeDelegate`).
 */
export class VirtualReactor extends TimeDelegate implements Reactor {
  /** The virtual clock (usable directly; `advance`/`flush` on the reactor also move I/O). */
  readonly clock: Clock;
  /** The clock every time call is delegated to (the same object as {@link clock}). */
  protected readonly time: Clock;
  /** The write high-water mark given to each new link. */
  readonly writeHighWaterMark: number;
  /** Every connect() call, in order. */
  readonly connectAttempts: ConnectAttempt[] = [];
  /** Every link ever accepted, in order. */
  readonly links: MemoryLink[] = [];
  private readonly live = new Set<MemoryLink>();
  private readonly listeners = new Map<string, () => TransportHandler>();
  private readonly refusals = new Map<string, (() => Error) | undefined>();

  private readonly maxFlushRounds: number;

  constructor(options: VirtualReactorOptions = {}) {
    super();
    this.maxFlushRounds = options.maxFlushRounds ?? MAX_FLUSH_ROUNDS;
    this.writeHighWaterMark = options.writeHighWaterMark ?? MEMORY_HIGH_WATER_MARK;
    this.clock = new Clock({ start: options.start, settle: () => this.flush() });
    this.time = this.clock;
  }

  /**
   * Records a {@link ConnectAttempt}; accepts it at once if `listen` covers the
   * endpoint, refuses it if `refuseConnections` does, else leaves it pending.
   * Handlers are only called from flush/advance, never synchronously.
   */
  connect(endpoint: Endpoint, handler: TransportHandler, options: ConnectOptions = {}): Connector {
    const attempt = new ConnectAttempt(this, endpoint, handler, options);
    this.connectAttempts.push(attempt);
    const key = endpointKey(endpoint);
    const factory = this.listeners.get(key);
    if (factory) attempt.accept(factory());
    else if (this.refusals.has(key)) attempt.refuse(this.refusals.get(key)?.());
    return attempt;
  }

  /**
   * Accepts every later connect to `endpoint` with a handler from `factory`
   * (a scripted fake server). Returns a function that stops listening.
   */
  listen(endpoint: Endpoint, factory: () => TransportHandler): () => void {
    const key = endpointKey(endpoint);
    this.listeners.set(key, factory);
    return () => this.listeners.delete(key);
  }

  /**
   * Refuses every later connect to `endpoint` (a server that is down), with
   * `makeError()` or a `ConnectionRefused`. Returns a function that stops refusing.
   */
  refuseConnections(endpoint: Endpoint, makeError?: () => Error): () => void {
    const key = endpointKey(endpoint);
    this.refusals.set(key, makeError);
    return () => this.refusals.delete(key);
  }

  /** The attempts still pending. */
  pendingAttempts(): ConnectAttempt[] {
    return this.connectAttempts.filter((a) => a.state === 'pending');
  }

  /**
   * Moves virtual time forward by `ms`: runs due calls in time order (same
   * time: FIFO), settling I/O and callSoon calls after each.
   */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /**
   * Settles without moving time: runs callSoon calls and due calls and
   * delivers link events until nothing moves.
   * @returns whether anything moved.
   * @throws Error after `maxFlushRounds` rounds (something loops forever).
   */
  flush(): boolean {
    let movedAtAll = false;
    for (let round = 0; round < this.maxFlushRounds; round++) {
      let moved = this.clock.flush();
      for (const link of this.live) {
        if (link.pump()) moved = true;
        if (link.done) this.live.delete(link);
      }
      if (!moved) return movedAtAll;
      movedAtAll = true;
    }
    throw new Error(`VirtualReactor.flush did not settle after ${this.maxFlushRounds} rounds`);
  }

  /** Registers a new link (used by ConnectAttempt.accept). */
  addLink(link: MemoryLink): MemoryLink {
    this.links.push(link);
    this.live.add(link);
    return link;
  }
}
