/**
 * listen(channel): an Observable of one channel's notifications that owns the
 * LISTEN/UNLISTEN of that channel on its connection.
 *
 * Theory of operation. Each connection has one registry (a WeakMap entry)
 * counting subscribers per channel. The first subscriber of a channel sends
 * `LISTEN "channel"` (quoted with `quoteIdent`, so any name is safe); the last
 * one to leave sends `UNLISTEN "channel"`. Both go through the connection's
 * queue, so LISTEN, UNLISTEN and a later query run in the order issued.
 * Notifications come from the connection's raw `onNotification` listener and
 * are routed to the subscribers of their channel only.
 *
 * Outages. The registry watches `onStateChange`. An outage starts when the
 * state leaves 'ready'/'busy' for 'dead' or 'reconnecting', or for 'closed'
 * with an error (the session was lost, not closed by the user); `from` is the
 * reactor time then. When the state becomes 'ready' again (the detector
 * reconnected, or the user called `connect` again), every live channel is
 * LISTENed again and, once the server confirms, each subscriber that wants
 * gaps receives one `NotificationGap(channel, from, to)` (`to` = the time of
 * the confirmation) before any notification received after recovery, and its
 * `onListen(channel)` hook runs. A user's `close()` is not an outage: it
 * completes every listen() subscriber of the connection.
 *
 * Waiting. A channel subscribed while the connection is not live (before
 * `connect()`, while it connects, or while the detector reconnects it) is
 * LISTENed once the connection is 'ready'; a LISTEN that fails because the
 * link went down meanwhile is sent again then. Only the server refusing
 * LISTEN itself errors the subscribers. A channel name that PostgreSQL would
 * truncate (over 63 bytes) or that is empty is refused at subscription.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { Connection, ConnectionState } from '../connection/connection';
import { ConnectionClosed, ConnectionError, InterfaceError } from '../errors/base';
import { defaultDeathChecker } from '../reconnect/death';
import { utf8Encode } from '../util/bytes';
import { quoteIdent } from '../sql/compose';
import { Notification, NotificationGap } from '../connection/notification';

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Emit a `NotificationGap` after an outage (default true). */
  gaps?: boolean;
  /** Called each time the server has confirmed LISTEN (first time and after recovery). */
  onListen?: (channel: string) => void;
}

interface Listener {
  sub: Subscriber<Notification | NotificationGap>;
  options: ListenOptions;
}

interface Channel {
  readonly listeners: Set<Listener>;
  /** Whether the server has confirmed LISTEN in the current session. */
  confirmed: boolean;
  /** Whether a LISTEN for the current session is on its way. */
  sent: boolean;
  /** Start of the outage whose gap is still to be emitted, or null. */
  gapFrom: number | null;
}

const LIVE: ReadonlySet<ConnectionState> = new Set(['ready', 'busy']);

/** PostgreSQL's longest identifier in bytes (NAMEDATALEN - 1); longer names are truncated by the server. */
const MAX_CHANNEL_BYTES = 63;

/** The LISTEN bookkeeping of one connection; see the file comment. */
class ListenRegistry {
  private readonly channels = new Map<string, Channel>();
  private outageFrom: number | null = null;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly conn: Connection) {}

  /** Adds a subscriber; LISTENs when it is the channel's first. */
  add(name: string, listener: Listener): () => void {
    if (this.channels.size === 0) this.attach();
    let ch = this.channels.get(name);
    if (ch === undefined) {
      ch = { listeners: new Set(), confirmed: false, sent: false, gapFrom: null };
      this.channels.set(name, ch);
      ch.listeners.add(listener);
      if (LIVE.has(this.conn.state)) this.sendListen(name, ch);
    } else {
      ch.listeners.add(listener);
      if (ch.confirmed) this.conn.reactor.callSoon(() => listener.options.onListen?.(name));
    }
    return () => this.remove(name, listener);
  }

  private remove(name: string, listener: Listener): void {
    const ch = this.channels.get(name);
    if (ch === undefined || !ch.listeners.delete(listener) || ch.listeners.size > 0) return;
    this.channels.delete(name);
    if (!this.conn.closed) this.conn.runOperation(`UNLISTEN ${quoteIdent(name)}`).addErrback(() => undefined);
    if (this.channels.size === 0) this.detach();
  }

  private sendListen(name: string, ch: Channel): void {
    ch.sent = true;
    this.conn.runOperation(`LISTEN ${quoteIdent(name)}`).addCallbacks(
      () => this.confirmed(name, ch),
      (e: unknown) => this.listenFailed(name, ch, e as Error),
    );
  }

  private confirmed(name: string, ch: Channel): void {
    if (this.channels.get(name) !== ch) return;
    ch.sent = false;
    ch.confirmed = true;
    this.flushGap(name, ch);
    for (const l of [...ch.listeners]) l.options.onListen?.(name);
  }

  private listenFailed(name: string, ch: Channel, error: Error): void {
    if (this.channels.get(name) !== ch) return;
    ch.sent = false;
    if (error instanceof ConnectionError || defaultDeathChecker(error)) {
      if (LIVE.has(this.conn.state)) this.sendListen(name, ch); // the link failed, not LISTEN: again now, or once ready
      return;
    }
    this.channels.delete(name);
    for (const l of [...ch.listeners]) l.sub.error(error);
    if (this.channels.size === 0) this.detach();
  }

  private flushGap(name: string, ch: Channel): void {
    if (ch.gapFrom === null) return;
    const gap = new NotificationGap(name, ch.gapFrom, this.conn.reactor.now());
    ch.gapFrom = null;
    for (const l of [...ch.listeners]) if (l.options.gaps !== false) l.sub.next(gap);
  }

  private notification(n: Notification): void {
    const ch = this.channels.get(n.channel);
    if (ch === undefined) return;
    this.flushGap(n.channel, ch);
    for (const l of [...ch.listeners]) l.sub.next(n);
  }

  private stateChanged(state: ConnectionState, reason?: Error): void {
    if (state === 'ready' && this.outageFrom !== null) return this.recovered(this.outageFrom);
    if (state === 'ready') return this.sendWaiting();
    if (LIVE.has(state) || state === 'connecting') return;
    if (state === 'closed' && (reason === undefined || reason instanceof ConnectionClosed)) {
      if (this.outageFrom === null) return this.closedByUser();
      return;
    }
    if (this.outageFrom === null) this.outageFrom = this.conn.reactor.now();
  }

  private recovered(from: number): void {
    this.outageFrom = null;
    for (const ch of this.channels.values()) {
      if (ch.confirmed) ch.gapFrom = from; // a channel never confirmed was promised nothing yet
      ch.confirmed = false;
    }
    this.conn.reactor.callSoon(() => {
      for (const [name, ch] of this.channels) if (!ch.sent) this.sendListen(name, ch);
    });
  }

  /** LISTENs the channels subscribed while the connection was not live (once it is 'ready'). */
  private sendWaiting(): void {
    for (const [name, ch] of this.channels) if (!ch.confirmed && !ch.sent) this.sendListen(name, ch);
  }

  private closedByUser(): void {
    const all = [...this.channels.values()];
    this.channels.clear();
    this.detach();
    for (const ch of all) for (const l of [...ch.listeners]) l.sub.complete();
  }

  private attach(): void {
    this.unsubscribe = [
      this.conn.onNotification((n) => this.notification(n)),
      this.conn.onStateChange((s, r) => this.stateChanged(s, r)),
    ];
  }

  private detach(): void {
    for (const fn of this.unsubscribe) fn();
    this.unsubscribe = [];
    this.outageFrom = null;
  }

  /** Channels with live subscribers (for tests and diagnostics). */
  get channelNames(): string[] {
    return [...this.channels.keys()];
  }
}

const registries = new WeakMap<Connection, ListenRegistry>();

function registryOf(conn: Connection): ListenRegistry {
  let r = registries.get(conn);
  if (r === undefined) registries.set(conn, (r = new ListenRegistry(conn)));
  return r;
}

/**
 * Notifications of `channel` on `conn`: LISTEN on the first subscription,
 * UNLISTEN when the last subscriber leaves; after an outage one
 * `NotificationGap` first (unless `{ gaps: false }`). Errors when LISTEN
 * fails; completes when the user closes the connection.
 * @example
 * listen(conn, 'jobs').subscribe((n) => console.log(n.payload));
 */
export function listen(conn: Connection, channel: string, options: ListenOptions & { gaps: false }): Observable<Notification>;
export function listen(conn: Connection, channel: string, options?: ListenOptions): Observable<Notification | NotificationGap>;
export function listen(conn: Connection, channel: string, options: ListenOptions = {}): Observable<Notification | NotificationGap> {
  return new Observable<Notification | NotificationGap>((sub) => {
    const refused = invalidChannel(channel);
    if (refused !== null) return sub.error(refused);
    return registryOf(conn).add(channel, { sub, options });
  });
}

/** Why `channel` cannot be LISTENed as given, or null: PostgreSQL would truncate a name over 63 bytes, and refuses an empty one. */
function invalidChannel(channel: unknown): InterfaceError | null {
  if (typeof channel !== 'string' || channel.length === 0) {
    return new InterfaceError('the channel name must be a non-empty string', { code: 'ERR_INVALID_CHANNEL' });
  }
  const bytes = utf8Encode(channel).length;
  if (bytes <= MAX_CHANNEL_BYTES) return null;
  return new InterfaceError(
    `the channel name is ${bytes} bytes long; PostgreSQL truncates names to ${MAX_CHANNEL_BYTES} bytes, so its notifications would never arrive`,
    { code: 'ERR_INVALID_CHANNEL' },
  );
}

/** The channels `listen()` currently holds on `conn` (LISTENed or about to be). */
export function listenedChannels(conn: Connection): string[] {
  return registries.get(conn)?.channelNames ?? [];
}
