/**
 * ReplicationStream: one START_REPLICATION, acknowledged, paced and resumed.
 *
 * Theory of operation. The stream holds its connection exclusively (a
 * lease) from START_REPLICATION to the end of copy-both mode. Its operation
 * handler runs inside the reactor's read handler and only records: each
 * XLogData becomes a {@link ReplicationMessage} in a buffer, keepalives
 * update the server position, and the buffer is handed to consumers from
 * `reactor.callSoon`. A consumer (a listener, `messages$`, or
 * `consumeStream`) may return a Deferred or Promise; the next message waits
 * for it.
 *
 * Acknowledgement drives everything (`acks.ts`): the server is told a flush
 * position only up to what the consumer acknowledged (`ack(lsn)`,
 * `message.ack()`, or `sendFeedback({ flushLsn })`). Status updates go out
 * on the reactor's clock: every `statusIntervalMs` (default 10 s), at once
 * when a keepalive asks for a reply, and on `sendFeedback({ force | reply })`.
 * A keepalive heard while a logical stream is idle (nothing buffered or
 * unacknowledged, no transaction open) moves the flush position to the
 * keepalive's position, as pg_recvlogical does: otherwise a fast shutdown
 * waits for ever for the flush to reach the walsender's sent position.
 * Their `sendTime` is the wall clock the stream is given (default
 * `Date.now`); the sans-IO machine reads no clock.
 *
 * Pacing: messages received and not yet acknowledged (buffered or handed
 * out) are bounded by `highWaterMark` messages and `highWaterBytes` bytes.
 * Above either, the stream stops reading from the socket (the server is held
 * back by TCP and sees the lag in its reports); below half of both it reads
 * again. Status updates keep going out while reading is paused, so the
 * server's `wal_sender_timeout` is never missed by a slow consumer.
 *
 * Liveness: with `timeoutMs` (default 60 s) a stream that hears nothing from
 * the server for that long while reading aborts its session with a
 * `HeartbeatTimeout` (a death); every status update sent after a quiet
 * interval asks the server to reply, so a healthy idle server always
 * answers in time.
 *
 * Resume: with a DeadConnectionDetector on the connection, a session lost
 * while streaming (walsender terminated, server restarted, dead link) puts
 * the stream in 'reconnecting'; when the detector has reconnected the
 * connection, the stream sends START_REPLICATION again from its flush
 * position, drops the already acknowledged head of a half-acknowledged
 * transaction that the server sends again, and emits one
 * {@link ReplicationGap} for the outage. A START_REPLICATION refused because
 * the old walsender still holds the slot (SQLSTATE 55006) is retried on the
 * detector's backoff. Without a detector a lost session fails the stream.
 */
import type { ReactorTime } from '../../reactor/interfaces';
import type { ConnectionState } from '../connection/state';
import { publish, TRACING_CHANNELS, type ReplicationStatusEvent } from '../connection/tracing';
import type { Lease } from '../connection/lease';
import type { OpFlow, OpHandler } from '../connection/session';
import type { StartReplicationStatement } from '../core/replication';
import { Deferred, fail, gatherResults, maybeDeferred, succeed } from '../defer';
import { toError } from '../defer/failure';
import { reportError } from '../defer/unhandled';
import { ConnectionClosed, ConnectionError, InterfaceError } from '../errors/base';
import { DatabaseError } from '../errors/database';
import { databaseErrorFrom } from '../errors/sqlstate.generated';
import { formatLsn, parseLsn, type LsnInput } from '../protocol/lsn';
import type { BackendMessage } from '../protocol/messages';
import { msFromPgTime, pgTimeFromMs } from '../protocol/replication';
import { HeartbeatTimeout } from '../reconnect/death';
import type { TypeRegistry } from '../types/registry';
import { utf8Decode } from '../util/bytes';
import { AckTracker } from './acks';
import { textRow } from './command';
import type { BoundaryClassifier } from './boundaries';
import { ReplicationMessage, type MessageAcker } from './message';

/** The states of a stream, as `state$` and `onStateChange` report them. */
export type ReplicationStreamState = 'starting' | 'streaming' | 'paused' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/** Pacing, timing and decoding options of a stream (see the file comment for each). */
export interface StreamTuning {
  /** Interval of the periodic standby status update, ms (default 10,000). */
  statusIntervalMs?: number;
  /** Nothing heard from the server for this long while reading is a death, ms (default 60,000; 0 = never). */
  timeoutMs?: number;
  /** Unacknowledged messages at which reading pauses (default 1,000). */
  highWaterMark?: number;
  /** Unacknowledged payload bytes at which reading pauses (default 16 MiB). */
  highWaterBytes?: number;
  /** Acknowledge each message as soon as it is handed out (for consumers that need no guarantees). Default false. */
  autoAck?: boolean;
  /** The wall clock for `sendTime` and the lag in ms, in Unix ms (default `Date.now`). */
  wallClock?: () => number;
}

/** Feedback a consumer sends (psycopg2's `send_feedback`). */
export interface FeedbackOptions {
  /** Raises the reported write position (never lowered). */
  writeLsn?: LsnInput;
  /** Acknowledges up to this position (as `ack(lsn)`): the flush position follows what is acknowledged. */
  flushLsn?: LsnInput;
  /** Raises the reported apply position (never lowered). */
  applyLsn?: LsnInput;
  /** Ask the server to answer at once (sends now). */
  reply?: boolean;
  /** Send now rather than at the next status interval. */
  force?: boolean;
}

/** Counters and positions of a stream (all LSNs `bigint`; 0n = none yet). */
export interface ReplicationStats {
  /** The highest position received (XLogData). */
  receivedLsn: bigint;
  /** The acknowledged flush position (what the next status update reports; an idle logical stream's is a keepalive's position). */
  ackedLsn: bigint;
  /** The flush position last sent to the server. */
  flushedLsn: bigint;
  /** The server's end of WAL, from the last XLogData or keepalive. */
  serverLsn: bigint;
  /** `serverLsn - ackedLsn` (0 when not known). */
  lagBytes: number;
  /** How far behind the server's clock the last message was when received (ms, >= 0). */
  lagMs: number;
  /** Messages received, and their payload bytes. */
  messages: number;
  bytes: number;
  /** Received and not yet handed to a consumer. */
  buffered: number;
  /** Handed out (or buffered) and not yet acknowledged. */
  unacknowledged: number;
  /** Status updates sent. */
  statusUpdates: number;
  /** Outages survived. */
  resumes: number;
}

/**
 * One outage, told once after the stream resumed: from when the session was
 * lost to when the server accepted START_REPLICATION again (reactor ms),
 * the position it resumed from, and the error that ended the old session.
 */
export class ReplicationGap {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly resumeLsn: bigint,
    readonly error: Error,
  ) {}
}

/** How a physical stream ended at the end of its timeline (the server's answer after both CopyDones). */
export interface TimelineEnd {
  nextTimeline: number;
  nextStartLsn: bigint;
}

/** What the stream needs from its connection. */
export interface StreamHost {
  readonly reactor: ReactorTime;
  /** The connection's type registry (pgoutput row values are decoded through it). */
  readonly types: TypeRegistry;
  /** Takes the connection exclusively (through the detector when there is one). */
  acquire(): Deferred<Lease>;
  /** Whether lost sessions are reconnected (a detector is set). */
  readonly resumable: boolean;
  /** The detector's backoff for retrying a refused START_REPLICATION, when there is one. */
  backoff(): Iterator<number> | null;
  /** Ends the live session at once with `error` (a liveness failure). */
  abortSession(error: Error): void;
  /** A logical START_REPLICATION is being sent on the current session. */
  logicalStart(): void;
  /** Calls `fn` on each connection state change; returns the unsubscriber. */
  onConnectionState(fn: (state: ConnectionState, reason?: Error) => void): () => void;
}

/** What a stream learns before it starts (`ReplicationConnection` works it out: plugin, position). */
export interface StreamSetup {
  statement: StartReplicationStatement;
  /** The plugin's transaction boundaries, when known (`boundaries.ts`). */
  classify: BoundaryClassifier | null;
  /** Hand payloads out as strings. */
  decodeText: boolean;
}

/** A consumer of messages: its Deferred or Promise is awaited before the next message. */
export type MessageConsumer = (message: ReplicationMessage) => unknown;

/** The size of the arenas small payloads are copied into (see `ReplicationStream.keep`). */
const ARENA_BYTES = 64 * 1024;

const DEFAULTS = { statusIntervalMs: 10_000, timeoutMs: 60_000, highWaterMark: 1000, highWaterBytes: 16 * 1024 * 1024 };
/** SQLSTATE 55006 object_in_use: "replication slot ... is active for PID ..." (the old walsender not gone yet). */
const SLOT_IN_USE = '55006';

/** A replication stream; see the file comment. */
export class ReplicationStream implements MessageAcker {
  private _state: ReplicationStreamState = 'starting';
  private lease: Lease | null = null;
  private flow: OpFlow | null = null;
  private readonly buffer: Array<{ data: Uint8Array; dataStart: bigint; walEnd: bigint; sendTime: bigint }> = [];
  private bufferBytes = 0;
  /** Where small payloads are copied (see `keep`); a new one when full. */
  private arena = new Uint8Array(0);
  private arenaUsed = 0;
  private readonly consumers = new Set<MessageConsumer>();
  /** The consumers as an array, made on the first delivery after a change (each delivery goes over it, not over a copy). */
  private consumerList: MessageConsumer[] | null = null;
  private readonly stateListeners = new Set<(s: ReplicationStreamState, reason?: Error) => void>();
  private readonly gapListeners = new Set<(gap: ReplicationGap) => void>();
  private readonly endListeners = new Set<(error: Error | null) => void>();
  private acks: AckTracker;
  private statement: StartReplicationStatement | null = null;
  private decodeText = false;
  private pumping = false;
  private pumpScheduled = false;
  private readingPaused = false;
  private statusTimer: { cancel(): void } | null = null;
  private lastHeardAt = 0;
  private skip = 0;
  private outage: { from: number; error: Error } | null = null;
  private retry: Iterator<number> | null = null;
  private unwatch: (() => void) | null = null;
  private stopWanted = false;
  private readonly stopped = new Deferred<void>();
  private writeLsn = 0n;
  private applyLsn = 0n;
  private _timelineEnd: TimelineEnd | null = null;
  private endError: Error | null = null;
  private readonly t: Required<StreamTuning>;
  private readonly stats_ = { receivedLsn: 0n, flushedLsn: 0n, serverLsn: 0n, lagMs: 0, messages: 0, bytes: 0, statusUpdates: 0, resumes: 0 };

  /**
   * @internal Built by `ReplicationConnection.startReplication`; starts at once.
   * `decodeText`: payloads are handed out as strings.
   */
  constructor(
    protected readonly host: StreamHost,
    private readonly mode: 'logical' | 'physical',
    private readonly setup: () => Deferred<StreamSetup>,
    tuning: StreamTuning = {},
  ) {
    this.t = { ...DEFAULTS, autoAck: false, wallClock: Date.now, ...definedOnly(tuning) };
    this.acks = new AckTracker(null, mode === 'physical');
    let bad: Error | null = null;
    try {
      checkTuning(this.t);
    } catch (e) {
      bad = toError(e);
    }
    this.host.reactor.callSoon(() => (bad === null ? this.configure() : this.finish(bad)));
  }

  // ------------------------------------------------------------ public

  /** The current state. */
  get state(): ReplicationStreamState {
    return this._state;
  }

  /** The kind of stream. */
  get physical(): boolean {
    return this.mode === 'physical';
  }

  /** The slot streamed from, if any (known once the stream has started). */
  get slot(): string | undefined {
    return this.statement?.slot;
  }

  /** The plugin options START_REPLICATION was sent with (known once the stream has started). */
  get pluginOptions(): Readonly<Record<string, string | null>> {
    return this.statement?.options ?? {};
  }

  /** The connection's type registry. */
  get types(): TypeRegistry {
    return this.host.types;
  }

  /** For a physical stream ended by the server at the end of its timeline: where the next one starts. */
  get timelineEnd(): TimelineEnd | null {
    return this._timelineEnd;
  }

  /** Positions and counters (see {@link ReplicationStats}). */
  get stats(): ReplicationStats {
    const s = this.stats_;
    const acked = this.acks.flushLsn;
    return {
      receivedLsn: s.receivedLsn,
      ackedLsn: acked,
      flushedLsn: s.flushedLsn,
      serverLsn: s.serverLsn,
      lagBytes: s.serverLsn > acked && acked > 0n ? Number(s.serverLsn - acked) : 0,
      lagMs: s.lagMs,
      messages: s.messages,
      bytes: s.bytes,
      buffered: this.buffer.length,
      unacknowledged: this.acks.unacknowledged + this.buffer.length,
      statusUpdates: s.statusUpdates,
      resumes: s.resumes,
    };
  }

  /**
   * Acknowledges every message handed out up to the last one whose
   * `dataStart` is at most `lsn` (and that far, the server may be told it is
   * flushed: see `acks.ts`). The next status update carries it; use
   * `sendFeedback({ force: true })` to send it now.
   */
  ack(lsn: LsnInput): void {
    this.acks.ackLsn(parseLsn(lsn));
    this.checkPace();
  }

  /** @internal A message's `ack()`. */
  ackMessage(seq: number): void {
    this.acks.ackSeq(seq);
    this.checkPace();
  }

  /**
   * psycopg2's `send_feedback`: records positions (see {@link FeedbackOptions})
   * and sends a status update now when `force` or `reply` is set (while
   * streaming), else at the next interval.
   */
  sendFeedback(options: FeedbackOptions = {}): void {
    if (options.writeLsn !== undefined) this.writeLsn = maxOf(this.writeLsn, parseLsn(options.writeLsn));
    if (options.applyLsn !== undefined) this.applyLsn = maxOf(this.applyLsn, parseLsn(options.applyLsn));
    if (options.flushLsn !== undefined) this.ack(options.flushLsn);
    if (options.force === true || options.reply === true) this.sendStatus(options.reply === true);
  }

  /**
   * Sends hot standby feedback now (a physical standby's oldest xmin, so the
   * primary keeps the rows its queries still need; 0 = none). Only while
   * streaming: returns false (nothing sent) otherwise. Transaction ids are
   * integers from 0 to 2^32-1 (`InterfaceError` otherwise, nothing sent).
   */
  sendHotStandbyFeedback(feedback: { xmin?: number; xminEpoch?: number; catalogXmin?: number; catalogXminEpoch?: number }): boolean {
    const lease = this.lease;
    if (lease === null || (this._state !== 'streaming' && this._state !== 'paused')) return false;
    lease.send({
      type: 'hotStandbyFeedback',
      sendTime: pgTimeFromMs(this.t.wallClock()),
      xmin: feedback.xmin ?? 0,
      xminEpoch: feedback.xminEpoch ?? 0,
      catalogXmin: feedback.catalogXmin ?? 0,
      catalogXminEpoch: feedback.catalogXminEpoch ?? 0,
    });
    return true;
  }

  /**
   * Calls `consumer` with each message in order, waiting for the Deferred or
   * Promise it returns before the next one (psycopg2's `consume_stream`).
   * Fires when the stream stops; fails with the stream's error, or with the
   * consumer's own error (the stream is then stopped).
   */
  consumeStream(consumer: MessageConsumer): Deferred<void> {
    if (typeof consumer !== 'function') return fail(new InterfaceError('consumeStream needs a function (message) => void | Deferred | Promise', { code: 'ERR_INVALID_ARGUMENT' }));
    const done = new Deferred<void>();
    const wrapped: MessageConsumer = (m) =>
      maybeDeferred(consumer, m).addErrback((e: unknown) => {
        this.removeConsumer(wrapped);
        off();
        if (!done.called) done.errback(toError(e));
        this.stop();
      });
    const off = this.onEnd((error) => {
      this.removeConsumer(wrapped);
      if (done.called) return;
      if (error === null) done.callback(undefined);
      else done.errback(error);
    });
    this.addConsumer(wrapped);
    this.schedulePump();
    return done;
  }

  /** Adds a consumer (as `consumeStream`, without the end); returns the remover. Used by `messages$`. */
  onMessage(consumer: MessageConsumer): () => void {
    this.addConsumer(consumer);
    this.schedulePump();
    return () => this.removeConsumer(consumer);
  }

  private addConsumer(consumer: MessageConsumer): void {
    this.consumers.add(consumer);
    this.consumerList = null;
  }

  private removeConsumer(consumer: MessageConsumer): boolean {
    this.consumerList = null;
    return this.consumers.delete(consumer);
  }

  /** Calls `fn` on every state change, in order; returns the unsubscriber. */
  onStateChange(fn: (state: ReplicationStreamState, reason?: Error) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Calls `fn` once per outage the stream resumed from; returns the unsubscriber. */
  onGap(fn: (gap: ReplicationGap) => void): () => void {
    this.gapListeners.add(fn);
    return () => this.gapListeners.delete(fn);
  }

  /** Calls `fn` once when the stream ends: null when stopped (or its timeline ended), else the error. Called at once when already ended. */
  onEnd(fn: (error: Error | null) => void): () => void {
    if (this._state === 'stopped' || this._state === 'failed') {
      const error = this.endError;
      this.host.reactor.callSoon(() => fn(error));
      return () => undefined;
    }
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }

  /**
   * Ends the stream: a last status update, then CopyDone; fires when the
   * server has ended copy-both mode and the connection is free again.
   * Messages still buffered are dropped (unacknowledged: the server sends
   * them again next time). Idempotent; fires at once when already ended.
   */
  stop(): Deferred<void> {
    if (this._state === 'stopped' || this._state === 'failed') return succeed(undefined);
    if (this.stopWanted) return this.whenStopped();
    this.stopWanted = true;
    this.buffer.length = 0;
    this.bufferBytes = 0;
    if (this.readingPaused) {
      this.readingPaused = false; // the server's end of the copy must be read
      this.flow?.resumeReading();
    }
    if (this._state === 'reconnecting') {
      this.finish(null);
    } else if (this._state === 'streaming' || this._state === 'paused') {
      this.endCopy();
    } // 'starting': ended when the server answers START_REPLICATION
    return this.whenStopped();
  }

  // ------------------------------------------------------------ starting

  private whenStopped(): Deferred<void> {
    const d = new Deferred<void>();
    this.onEnd(() => d.callback(undefined));
    return d;
  }

  /** @internal The connection is being closed by its user: the stream ends without error. */
  closing(): void {
    this.stopWanted = true;
    if (this._state === 'reconnecting' || this._state === 'starting') this.host.reactor.callSoon(() => this.finish(null));
  }

  /** Works out the statement (plugin, position), then starts. */
  private configure(): void {
    if (this.isOver()) return;
    this.setup().addCallbacks(
      (setup) => {
        this.statement = setup.statement;
        this.decodeText = setup.decodeText;
        this.acks = new AckTracker(setup.classify, this.physical);
        this.begin();
      },
      (error: Error) => this.finish(this.stopWanted ? null : error),
    );
  }

  /** Takes the connection and sends START_REPLICATION (first time and after each outage). */
  private begin(): void {
    if (this.isOver()) return;
    this.host.acquire().addCallbacks(
      (lease) => this.send(lease),
      (error: Error) => this.lostBeforeStart(error),
    );
  }

  private send(lease: Lease): void {
    if (this.isOver()) return lease.release();
    if (this.stopWanted) {
      lease.release();
      return this.finish(null);
    }
    this.lease = lease;
    const statement = { ...this.statement!, startLsn: this.resumeLsn() };
    try {
      lease.send({ type: 'replication', statement }, this.handler(lease));
      if (statement.mode === 'logical') this.host.logicalStart();
    } catch (e) {
      this.lease = null;
      lease.release();
      this.finish(toError(e));
    }
  }

  /** Where to (re)start: the flush position once there is one, else the position asked for. */
  private resumeLsn(): bigint {
    const flush = this.acks.flushLsn;
    const asked = this.statement?.startLsn ?? 0n;
    return flush > asked ? flush : asked;
  }

  /** The handler of the START_REPLICATION operation: records only (it runs in the read handler). */
  private handler(lease: Lease): OpHandler {
    let error: Error | null = null;
    const timeline: Array<Array<string | null>> = [];
    return {
      attached: (flow) => {
        this.flow = flow;
        this.readingPaused = false;
      },
      message: (msg: BackendMessage) => {
        if (this.lease !== lease) return;
        this.lastHeardAt = this.host.reactor.now();
        switch (msg.type) {
          case 'CopyBothResponse':
            return this.streaming();
          case 'XLogData':
            return this.received(msg.data, msg.dataStart, msg.walEnd, msg.sendTime);
          case 'PrimaryKeepalive':
            this.serverAt(msg.walEnd, msg.sendTime);
            this.idleAt(msg.walEnd);
            if (msg.replyRequested) this.sendStatus(false);
            return;
          case 'CopyDone': // the server ended its half (end of a physical timeline): end ours
            if (!this.stopWanted) this.endCopy();
            return;
          case 'DataRow':
            timeline.push(textRow(msg.fields));
            return;
          case 'ErrorResponse':
            error ??= databaseErrorFrom(msg.fields);
            return;
          default:
            return;
        }
      },
      ready: () => {
        if (this.lease !== lease) return;
        this.ended(lease, error, timeline);
      },
      abort: (e) => {
        if (this.lease !== lease) return;
        this.lost(lease, error ?? e);
      },
    };
  }

  /** The server accepted START_REPLICATION: copy-both mode. */
  private streaming(): void {
    this.retry = null;
    this.lastHeardAt = this.host.reactor.now();
    this.armStatusTimer();
    if (this.stopWanted) return this.endCopy();
    const outage = this.outage;
    this.outage = null;
    this.setState('streaming');
    this.checkPace();
    if (outage !== null) {
      const gap = new ReplicationGap(outage.from, this.host.reactor.now(), this.resumeLsn(), outage.error);
      this.stats_.resumes++;
      this.host.reactor.callSoon(() => {
        for (const fn of [...this.gapListeners]) fn(gap);
      });
    }
  }

  // ------------------------------------------------------------ receiving

  private received(data: Uint8Array, dataStart: bigint, walEnd: bigint, sendTime: bigint): void {
    this.serverAt(walEnd, sendTime);
    const end = this.physical ? dataStart + BigInt(data.length) : dataStart;
    if (end > this.stats_.receivedLsn) this.stats_.receivedLsn = end;
    if (this.stopWanted) return;
    if (this.skip > 0 && !this.acks.isMeta(data)) {
      this.skip--; // acknowledged before the outage: sent again by the server, not delivered again
      return;
    }
    this.stats_.messages++;
    this.stats_.bytes += data.length;
    this.buffer.push({ data: this.keep(data), dataStart, walEnd, sendTime });
    this.bufferBytes += data.length;
    this.checkPace();
    this.schedulePump();
  }

  /**
   * A keepalive at `walEnd`: an idle logical stream (nothing buffered,
   * nothing unacknowledged, no transaction open) takes it as its flush
   * position (`AckTracker.idleAt`), so a fast shutdown, which waits for the
   * reported flush to reach the walsender's sent position, is not held up.
   */
  private idleAt(walEnd: bigint): void {
    if (this.mode === 'logical' && !this.stopWanted && this.buffer.length === 0 && this.skip === 0) this.acks.idleAt(walEnd);
  }

  /**
   * A copy of `data` (the machine's view lives until the next read) that
   * outlives the read: small payloads are copied into a shared arena and
   * handed out as views of it (one ArrayBuffer per {@link ARENA_BYTES},
   * not one per message: about 350 ns a message less, measured), larger ones
   * get their own copy. An arena whose buffer was transferred away (length
   * 0) is replaced, never written to.
   */
  private keep(data: Uint8Array): Uint8Array {
    const n = data.length;
    if (n > ARENA_BYTES / 8) return data.slice();
    if (this.arenaUsed + n > this.arena.length) {
      this.arena = new Uint8Array(ARENA_BYTES);
      this.arenaUsed = 0;
    }
    const at = this.arenaUsed;
    this.arena.set(data, at);
    this.arenaUsed = at + n;
    return this.arena.subarray(at, at + n);
  }

  private serverAt(walEnd: bigint, sendTime: bigint): void {
    if (walEnd > this.stats_.serverLsn) this.stats_.serverLsn = walEnd;
    if (sendTime !== 0n) this.stats_.lagMs = Math.max(0, this.t.wallClock() - msFromPgTime(sendTime));
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping) return;
    this.pumpScheduled = true;
    this.host.reactor.callSoon(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands buffered messages to the consumers, waiting for any Deferred or Promise they return. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    while (this.buffer.length > 0 && this.consumers.size > 0 && !this.isOver()) {
      const wait = this.deliver(this.buffer.shift()!);
      if (wait !== null && !wait.called) {
        wait.addBoth(() => {
          this.pumping = false;
          this.pump();
        });
        return;
      }
    }
    this.pumping = false;
  }

  /** One message to every consumer; returns what to wait for, or null. */
  private deliver(raw: { data: Uint8Array; dataStart: bigint; walEnd: bigint; sendTime: bigint }): Deferred<unknown> | null {
    this.bufferBytes -= raw.data.length;
    const payload = this.decodeText ? utf8Decode(raw.data) : raw.data;
    const seq = this.acks.deliver(raw.dataStart, raw.data.length, payload);
    const message = new ReplicationMessage(this, seq, payload, raw.dataStart, raw.walEnd, raw.sendTime, raw.data.length);
    if (this.t.autoAck) this.acks.ackSeq(seq);
    let waits: Array<Deferred<unknown>> | null = null;
    const consumers = (this.consumerList ??= [...this.consumers]); // a snapshot: consumers added or removed meanwhile make a new one
    for (let i = 0; i < consumers.length; i++) {
      let result: unknown;
      try {
        result = consumers[i](message);
      } catch (e) {
        reportError(toError(e), this);
        continue;
      }
      if (isThenable(result)) (waits ??= []).push(maybeDeferred(() => result as PromiseLike<unknown>).addErrback((e: unknown) => reportError(toError(e), this)));
    }
    this.checkPace();
    return waits === null ? null : gatherResults(waits);
  }

  /** Pauses or resumes reading by the unacknowledged load (see the file comment). */
  private checkPace(): void {
    const flow = this.flow;
    if (flow === null || this.lease === null || this.stopWanted) return;
    const count = this.acks.unacknowledged + this.buffer.length;
    const bytes = this.acks.unacknowledgedBytes + this.bufferBytes;
    if (!this.readingPaused && (count >= this.t.highWaterMark || bytes >= this.t.highWaterBytes)) {
      this.readingPaused = true;
      flow.pauseReading();
      if (this._state === 'streaming') this.setState('paused');
    } else if (this.readingPaused && count <= this.t.highWaterMark / 2 && bytes <= this.t.highWaterBytes / 2) {
      this.readingPaused = false;
      this.lastHeardAt = this.host.reactor.now(); // silence while paused was ours
      flow.resumeReading();
      if (this._state === 'paused') this.setState('streaming');
    }
  }

  // ------------------------------------------------------------ status updates

  private armStatusTimer(): void {
    this.statusTimer?.cancel();
    this.statusTimer = this.host.reactor.callLater(this.t.statusIntervalMs, () => this.tick());
  }

  /** The periodic status update, and the liveness check. */
  private tick(): void {
    this.statusTimer = null;
    if (this._state !== 'streaming' && this._state !== 'paused') return;
    const now = this.host.reactor.now();
    const quiet = this.readingPaused ? 0 : now - this.lastHeardAt;
    if (this.readingPaused) this.lastHeardAt = now;
    if (this.t.timeoutMs > 0 && quiet >= this.t.timeoutMs) {
      return this.host.abortSession(new HeartbeatTimeout(this.t.timeoutMs)); // the loss comes back through the handler's abort

    }
    this.sendStatus(quiet >= this.t.statusIntervalMs);
    this.armStatusTimer();
  }

  /** Sends a standby status update now (only in copy-both mode; otherwise nothing). */
  private sendStatus(replyRequested: boolean): void {
    const lease = this.lease;
    if (lease === null || (this._state !== 'streaming' && this._state !== 'paused' && this._state !== 'stopping')) return;
    const flush = this.acks.flushLsn;
    try {
      lease.send({
        type: 'standbyStatus',
        writeLsn: maxOf(this.writeLsn, flush),
        flushLsn: flush,
        applyLsn: maxOf(this.applyLsn, flush),
        sendTime: pgTimeFromMs(this.t.wallClock()),
        replyRequested,
      });
      this.stats_.flushedLsn = flush;
      this.stats_.statusUpdates++;
      this.traceStatus();
    } catch {
      /* not in copy-both any more (the server ended it): nothing to report to */
    }
  }

  /** Publishes the status just sent on the replication tracing channel (built only when someone listens). */
  private traceStatus(): void {
    publish(TRACING_CHANNELS.replicationStatus, (): ReplicationStatusEvent => {
      const st = this.stats;
      return {
        slot: this.slot ?? null,
        receivedLsn: formatLsn(st.receivedLsn),
        flushedLsn: formatLsn(st.flushedLsn),
        serverLsn: formatLsn(st.serverLsn),
        lagBytes: st.lagBytes,
        lagMs: st.lagMs,
      };
    });
  }

  // ------------------------------------------------------------ ending

  /** Our CopyDone, after a last status update. */
  private endCopy(): void {
    if (this._state === 'stopping') return;
    this.sendStatus(false);
    this.setState('stopping');
    this.statusTimer?.cancel();
    if (this.t.timeoutMs > 0) {
      // a server that never ends the copy (a dead link) must not hold stop() for ever
      this.statusTimer = this.host.reactor.callLater(this.t.timeoutMs, () => this.host.abortSession(new HeartbeatTimeout(this.t.timeoutMs)));
    }
    try {
      this.lease?.send({ type: 'copyDone' });
    } catch {
      /* the copy already ended */
    }
  }

  /** START_REPLICATION's ReadyForQuery: stopped, timeline ended, or refused. */
  private ended(lease: Lease, error: Error | null, timeline: Array<Array<string | null>>): void {
    this.lease = null;
    this.flow = null;
    this.statusTimer?.cancel();
    lease.release();
    if (error !== null && this.retryable(error)) return this.retryLater(error);
    if (error === null && timeline.length > 0) {
      const [tli, lsn] = timeline[0];
      this._timelineEnd = { nextTimeline: Number(tli), nextStartLsn: lsn === null ? 0n : parseLsn(lsn) };
    }
    if (error === null && !this.stopWanted && !this.physical) {
      error = new ConnectionError('the server ended the logical replication stream without being asked to', { code: 'ERR_REPLICATION_ENDED' });
    }
    this.finish(this.stopWanted ? null : error);
  }

  /** A START_REPLICATION refused during a resume because the old walsender still holds the slot: try again on the backoff. */
  private retryable(error: Error): boolean {
    return this.outage !== null && !this.stopWanted && error instanceof DatabaseError && error.code === SLOT_IN_USE;
  }

  private retryLater(error: Error): void {
    this.retry ??= this.host.backoff();
    const next = this.retry?.next();
    if (next === undefined || next.done === true) return this.finish(error);
    this.host.reactor.callLater(next.value, () => this.begin());
  }

  /** The session ended under the stream. */
  private lost(lease: Lease, error: Error): void {
    this.lease = null;
    this.flow = null;
    this.statusTimer?.cancel();
    lease.release();
    if (this.stopWanted) return this.finish(null);
    if (!this.host.resumable || error instanceof ConnectionClosed) return this.finish(error);
    this.outage ??= { from: this.host.reactor.now(), error };
    this.buffer.length = 0; // not handed out: the server sends them again
    this.bufferBytes = 0;
    this.skip = this.acks.resume();
    this.readingPaused = false;
    this.setState('reconnecting', error);
    this.awaitConnection();
  }

  /** A connection failure before START_REPLICATION was sent. */
  private lostBeforeStart(error: Error): void {
    if (this.host.resumable && this.outage !== null && !this.stopWanted) return this.awaitConnection();
    this.finish(this.stopWanted ? null : error);
  }

  /** Waits for the detector to bring the connection back ('ready'), then starts again; 'closed' ends the stream. */
  private awaitConnection(): void {
    this.unwatch?.();
    this.unwatch = this.host.onConnectionState((state, reason) => {
      if (state === 'ready') {
        this.unwatch?.();
        this.unwatch = null;
        this.host.reactor.callSoon(() => this.begin());
      } else if (state === 'closed') {
        this.unwatch?.();
        this.unwatch = null;
        this.finish(reason ?? new ConnectionClosed());
      }
    });
  }

  private finish(error: Error | null): void {
    if (this.isOver()) return;
    this.unwatch?.();
    this.unwatch = null;
    this.statusTimer?.cancel();
    this.endError = error;
    this.buffer.length = 0;
    this.setState(error === null ? 'stopped' : 'failed', error ?? undefined);
    const listeners = [...this.endListeners];
    this.endListeners.clear();
    this.host.reactor.callSoon(() => {
      for (const fn of listeners) fn(error);
      if (!this.stopped.called) this.stopped.callback(undefined);
    });
  }

  private isOver(): boolean {
    return this._state === 'stopped' || this._state === 'failed';
  }

  private setState(state: ReplicationStreamState, reason?: Error): void {
    if (this._state === state && state !== 'reconnecting') return;
    this._state = state;
    for (const fn of [...this.stateListeners]) {
      try {
        fn(state, reason);
      } catch (e) {
        reportError(toError(e), this);
      }
    }
  }
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function isThenable(v: unknown): boolean {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkTuning(t: Required<StreamTuning>): void {
  const bad = (name: string, what: string): never => {
    throw new InterfaceError(`startReplication option "${name}" must be ${what}`, { code: 'ERR_INVALID_ARGUMENT' });
  };
  if (!(t.statusIntervalMs > 0 && Number.isFinite(t.statusIntervalMs))) bad('statusIntervalMs', 'a number of ms > 0');
  if (!(t.timeoutMs >= 0)) bad('timeoutMs', 'a number of ms >= 0');
  if (!(Number.isInteger(t.highWaterMark) && t.highWaterMark >= 1)) bad('highWaterMark', 'an integer >= 1');
  if (!(t.highWaterBytes >= 1)) bad('highWaterBytes', 'a number of bytes >= 1');
  if (typeof t.wallClock !== 'function') bad('wallClock', 'a function returning Unix ms');
}
