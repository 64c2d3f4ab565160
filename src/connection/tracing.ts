/**
 * Tracing: the driver's events on `node:diagnostics_channel`.
 *
 * Theory of operation. Each kind of event has a named channel
 * ({@link TRACING_CHANNELS}), as undici does. A hook in the driver calls
 * {@link publish} with a payload builder; the builder runs only when the
 * channel has subscribers, so tracing costs one property read when nobody
 * listens. Payloads carry the SQL text and the server (host, port or socket
 * path, database) but never a parameter value (unless
 * {@link setTracingOptions} asks for them) and never a password or the
 * connection input. Durations are measured on the reactor's clock.
 *
 * This is the only module of `src/` that imports `node:diagnostics_channel`;
 * it lives in the connection layer, as `node-crypto.ts` does for
 * `node:crypto` (src/core and src/protocol stay pure).
 */
import * as dc from 'node:diagnostics_channel';
import type { Endpoint } from '../../reactor/interfaces';

/** The channel names, one per kind of event. */
export const TRACING_CHANNELS = {
  /** A query was called: {@link QueryStartEvent}. */
  queryStart: 'tspostgres:query:start',
  /** A query succeeded: {@link QueryEndEvent}. */
  queryEnd: 'tspostgres:query:end',
  /** A query failed (server error, cancel, lost session, refused): {@link QueryErrorEvent}. */
  queryError: 'tspostgres:query:error',
  /** A connection changed state: {@link ConnectionStateEvent}. */
  connectionState: 'tspostgres:connection:state',
  /** A detector starts a reconnect attempt: {@link ReconnectAttemptEvent}. */
  reconnectAttempt: 'tspostgres:reconnect:attempt',
  /** A reconnect attempt ended: {@link ReconnectEndEvent}. */
  reconnectEnd: 'tspostgres:reconnect:end',
  /** A pool handed a connection out: {@link PoolAcquireEvent}. */
  poolAcquire: 'tspostgres:pool:acquire',
  /** A pool got a connection back: {@link PoolReleaseEvent}. */
  poolRelease: 'tspostgres:pool:release',
  /** A replication stream sent a standby status update: {@link ReplicationStatusEvent}. */
  replicationStatus: 'tspostgres:replication:status',
} as const;

/**
 * The payload of {@link TRACING_CHANNELS.replicationStatus}: where a
 * replication stream stands when it reports to the server (its slot, the
 * positions as the server's `X/Y` text, and the lag).
 */
export interface ReplicationStatusEvent {
  /** The slot streamed from, or null for a physical stream without one. */
  readonly slot: string | null;
  /** The last position received from the server. */
  readonly receivedLsn: string;
  /** The flush position reported: what the consumer acknowledged. */
  readonly flushedLsn: string;
  /** The server's end of WAL, as last reported by it. */
  readonly serverLsn: string;
  /** Bytes of WAL between the server's end and the acknowledged position. */
  readonly lagBytes: number;
  /** Milliseconds between the server's send time of the last message and its receipt. */
  readonly lagMs: number;
}

/** Where a query ran: the server of the session, when there was one. */
export interface QueryTarget {
  /** Correlates the start of a query with its end or error (unique in the process). */
  readonly id: number;
  /** The SQL text (never a parameter value). */
  readonly sql: string;
  /** Host name or address, or the Unix socket path. */
  readonly host?: string;
  /** TCP port (absent for a Unix socket). */
  readonly port?: number;
  /** The database name. */
  readonly database?: string;
}

/** Payload of `tspostgres:query:start`. */
export interface QueryStartEvent extends QueryTarget {
  /** The parameter values: present only with `setTracingOptions({ includeParameters: true })`. */
  readonly params?: readonly unknown[];
}

/** Payload of `tspostgres:query:end`. */
export interface QueryEndEvent extends QueryTarget {
  /** From the call to the result, in ms on the reactor's clock. */
  readonly durationMs: number;
  /** The command tag (`SELECT 3`), when the server sent one. */
  readonly command?: string;
  /** Rows affected or returned, from the command tag (-1 when the tag has no count). */
  readonly rowCount: number;
}

/** Payload of `tspostgres:query:error`. */
export interface QueryErrorEvent extends QueryTarget {
  /** From the call to the failure, in ms on the reactor's clock. */
  readonly durationMs: number;
  /** Why it failed (a server error's message may quote a value it refused). */
  readonly error: Error;
}

/** Payload of `tspostgres:connection:state`. */
export interface ConnectionStateEvent {
  /** Tells connections apart (unique in the process). */
  readonly connectionId: number;
  readonly state: string;
  readonly previous: string;
  readonly reason?: Error;
}

/** Payload of `tspostgres:reconnect:attempt`. */
export interface ReconnectAttemptEvent {
  /** 1 for the first attempt of an outage. */
  readonly attempt: number;
}

/** Payload of `tspostgres:reconnect:end`. */
export interface ReconnectEndEvent extends ReconnectAttemptEvent {
  /** On the reactor's clock. */
  readonly durationMs: number;
  /** Absent when the attempt succeeded. */
  readonly error?: Error;
}

/** Payload of `tspostgres:pool:acquire`. */
export interface PoolAcquireEvent {
  /** From the request to the hand-over, in ms on the reactor's clock. */
  readonly waitMs: number;
  /** Connections open and opening in the pool. */
  readonly size: number;
}

/** Payload of `tspostgres:pool:release`. */
export interface PoolReleaseEvent {
  /** How long the connection was held, in ms on the reactor's clock. */
  readonly heldMs: number;
  /** Connections open and opening in the pool. */
  readonly size: number;
}

/** Options of the tracing events, process-wide. */
export interface TracingOptions {
  /** Put parameter values in `tspostgres:query:start` events (default false: they may be secrets). */
  includeParameters?: boolean;
}

const channels = new Map<string, dc.Channel>(Object.values(TRACING_CHANNELS).map((name) => [name, dc.channel(name)]));
let includeParameters = false;
let lastId = 0;

/** Sets the tracing options (see {@link TracingOptions}). */
export function setTracingOptions(options: TracingOptions): void {
  includeParameters = options.includeParameters === true;
}

/** Publishes `make()` on channel `name`, building it only when someone listens. */
export function publish(name: string, make: () => object): void {
  const ch = channels.get(name);
  if (ch?.hasSubscribers === true) ch.publish(make());
}

/** A channel as a hot path sees it: test `hasSubscribers`, then build and publish the payload. */
export interface WatchedChannel {
  readonly hasSubscribers: boolean;
  publish(message: object): void;
}

/**
 * The channel `name` (one of {@link TRACING_CHANNELS}), for a hook on a
 * path run per query: reading `hasSubscribers` first costs neither a
 * closure nor a lookup when nobody listens, where {@link publish} allocates
 * its payload builder on every call.
 */
export function watchedChannel(name: string): WatchedChannel {
  const ch = channels.get(name);
  if (ch === undefined) throw new Error(`not a tracing channel: ${name}`);
  return ch;
}

/** A new id for a query or a connection (unique in the process). */
export function traceId(): number {
  return ++lastId;
}

/** One query's trace: what its start told, and when it started. */
export interface QueryTrace {
  readonly target: QueryTarget;
  readonly startedAt: number;
}

const QUERY_CHANNELS = [TRACING_CHANNELS.queryStart, TRACING_CHANNELS.queryEnd, TRACING_CHANNELS.queryError].map((name) => channels.get(name) as dc.Channel);

/** Whether anyone listens to a query channel. */
function queriesWatched(): boolean {
  for (const ch of QUERY_CHANNELS) if (ch.hasSubscribers) return true;
  return false;
}

/** What the query traces read the time from (the reactor), only when a query is traced. */
export interface TraceClock {
  now(): number;
}

/**
 * Publishes a query's start; returns its trace for {@link traceQueryEnd}, or
 * null (nothing allocated) when no query channel has subscribers: a query
 * called before anyone listened is not traced.
 */
export function traceQueryStart(sql: string, params: readonly unknown[], clock: TraceClock, endpoint?: Endpoint, database?: string): QueryTrace | null {
  if (!queriesWatched()) return null;
  const where = endpoint === undefined ? {} : endpoint.kind === 'tcp' ? { host: endpoint.host, port: endpoint.port } : { host: endpoint.path };
  const target: QueryTarget = { id: traceId(), sql, ...where, ...(database === undefined ? {} : { database }) };
  publish(TRACING_CHANNELS.queryStart, () => (includeParameters ? { ...target, params: [...params] } : { ...target }));
  return { target, startedAt: clock.now() };
}

/** Publishes a query's end (`error` null) or error. */
export function traceQueryEnd(trace: QueryTrace | null, clock: TraceClock, error: Error | null, result: { command: string | null; rowCount: number } | null): void {
  if (trace === null) return; // untraced: not even the clock is read (this is on every query's path)
  const durationMs = Math.max(0, clock.now() - trace.startedAt);
  if (error !== null) return publish(TRACING_CHANNELS.queryError, () => ({ ...trace.target, durationMs, error }));
  publish(TRACING_CHANNELS.queryEnd, () => ({ ...trace.target, durationMs, ...(result?.command == null ? {} : { command: result.command }), rowCount: result?.rowCount ?? 0 }));
}

/** Publishes a reconnect attempt's start; returns what publishes its end (with the error of a failed one). */
export function traceReconnectAttempt(attempt: number, now: () => number): (error?: Error) => void {
  const startedAt = now();
  publish(TRACING_CHANNELS.reconnectAttempt, () => ({ attempt }));
  return (error) => publish(TRACING_CHANNELS.reconnectEnd, () => ({ attempt, durationMs: Math.max(0, now() - startedAt), ...(error === undefined ? {} : { error }) }));
}

const poolAcquire = watchedChannel(TRACING_CHANNELS.poolAcquire);
const poolRelease = watchedChannel(TRACING_CHANNELS.poolRelease);

/**
 * Publishes a pool's hand-over of a connection asked for at `requestedAt`;
 * returns the hand-over time for {@link tracePoolRelease}, or null (nothing
 * allocated, the clock not read) when neither pool channel has subscribers:
 * a hand-over made before anyone listened has no release event.
 */
export function tracePoolAcquire(requestedAt: number, clock: TraceClock, size: () => number): number | null {
  if (!poolAcquire.hasSubscribers && !poolRelease.hasSubscribers) return null;
  const at = clock.now();
  if (poolAcquire.hasSubscribers) poolAcquire.publish({ waitMs: Math.max(0, at - requestedAt), size: size() });
  return at;
}

/** Publishes the release of a connection handed over at `acquiredAt` (null: untraced, nothing done). */
export function tracePoolRelease(acquiredAt: number | null, clock: TraceClock, size: () => number): void {
  if (acquiredAt !== null && poolRelease.hasSubscribers) poolRelease.publish({ heldMs: Math.max(0, clock.now() - acquiredAt), size: size() });
}
