/**
 * ReplicationConnection: a walsender session (psycopg2's
 * `LogicalReplicationConnection` / `PhysicalReplicationConnection`).
 *
 * Theory of operation. A ReplicationConnection is a façade over one driver
 * {@link Connection} opened with the StartupMessage parameter `replication`
 * (`database` for logical, `true` for physical): the house's connector,
 * session, request queue and DeadConnectionDetector do the connecting,
 * queueing and reconnecting. Each replication command takes the connection
 * exclusively (a lease), goes out as the machine's `replication` command
 * (the text built for the server's major version, every name quoted), and
 * fires with a typed result from `reactor.callSoon`. `startReplication`
 * returns a {@link ReplicationStream} that holds the connection until it
 * stops; commands called meanwhile wait for it.
 *
 * With a detector, every command is routed through it (a death starts the
 * reconnection loop; while dead, commands fail at once with
 * `ConnectionDead`) and streams resume by themselves after an outage (see
 * `stream.ts`). The detector's `heartbeat` must stay off: a walsender does
 * not run the heartbeat's query; streams have their own liveness check.
 */
import type { Reactor } from '../../reactor/interfaces';
import { Connection } from '../connection/connection';
import type { ConnectionState } from '../connection/state';
import type { AuthCrypto } from '../protocol/auth/crypto';
import type { ReplicationStatement, SnapshotAction, StartReplicationStatement } from '../core/replication';
import { Deferred, fail, succeed } from '../defer';
import type { ConnectInput } from '../dsn/params';
import { parseDsn } from '../dsn/parse';
import { parseReplication, type ReplicationMode } from '../dsn/replication';
import { ConnectionClosed, InterfaceError } from '../errors/base';
import { parseLsn, type LsnInput } from '../protocol/lsn';
import type { DeadConnectionDetector } from '../reconnect/detector';
import type { TypeRegistry } from '../types/registry';
import { checkOptions } from '../util/options-check';
import { definePublicView } from '../util/public-view';
import { classifierFor } from './boundaries';
import { cell, runOnLease, type CommandResult } from './command';
import { ReplicationStream, type StreamHost, type StreamSetup, type StreamTuning } from './stream';

/** Options of a {@link ReplicationConnection}. */
export interface ReplicationConnectionOptions {
  /** The reactor; the package entry supplies a NodeReactor by default. */
  reactor?: Reactor;
  /** Reconnects the connection and resumes its streams after an outage (keep its `heartbeat` off). */
  detector?: DeadConnectionDetector;
  /** The registry to clone, for decoding pgoutput row values (default `TypeRegistry.default()`). */
  types?: TypeRegistry;
  /** Crypto for SCRAM and MD5 (defaults to node:crypto). */
  crypto?: AuthCrypto;
  /** Environment for PG* variables (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Connect timeout per host in ms, when the connection string gives none. */
  connectTimeoutMs?: number;
  /** Allow a cleartext password over a link without TLS (default false). */
  allowCleartextPassword?: boolean;
}

/** Options of `connect()`. */
export interface ReplicationConnectOptions {
  /**
   * true: a physical walsender (`replication=true`); false: logical
   * (`replication=database`). Default: what the connection input says when
   * it says `replication=true`, else logical.
   */
  physical?: boolean;
}

/** IDENTIFY_SYSTEM's answer. */
export interface IdentifySystemResult {
  /** The cluster's system identifier (a 64-bit number, as text). */
  systemId: string;
  /** The current timeline. */
  timeline: number;
  /** The current WAL flush position. */
  xlogPos: bigint;
  /** The database connected to (logical), or null (physical). */
  dbName: string | null;
}

/** Options of `createReplicationSlot`. */
export interface CreateSlotOptions {
  /** The output plugin of a logical slot (`pgoutput`, `test_decoding`, ...). */
  plugin?: string;
  /** A physical slot (default: physical when no plugin is given on a physical connection). */
  physical?: boolean;
  /** Dropped at the end of the session, or on error. */
  temporary?: boolean;
  /** Logical: export the snapshot (the server's default), use it, or nothing. */
  snapshot?: SnapshotAction;
  /** Logical (PostgreSQL 14+): decode prepared transactions at PREPARE. */
  twoPhase?: boolean;
  /** Physical: reserve WAL at once. */
  reserveWal?: boolean;
}

/** CREATE_REPLICATION_SLOT's answer. */
export interface CreateSlotResult {
  slotName: string;
  /** The position from which the slot streams (logical: its consistent point). */
  consistentPoint: bigint;
  /** The exported snapshot (logical, `snapshot: 'export'`), else null. */
  snapshotName: string | null;
  /** The plugin (logical), else null. */
  outputPlugin: string | null;
}

/** READ_REPLICATION_SLOT's answer (PostgreSQL 15+); all null when the slot does not exist. */
export interface ReadSlotResult {
  slotType: 'physical' | 'logical' | null;
  restartLsn: bigint | null;
  restartTli: number | null;
}

/** TIMELINE_HISTORY's answer. */
export interface TimelineHistoryResult {
  filename: string;
  content: string;
}

/** Options of `startReplication`. */
export interface StartReplicationOptions extends StreamTuning {
  /** The slot: required for logical replication; optional for physical. */
  slot?: string;
  /** Physical replication (default: the connection's kind). */
  physical?: boolean;
  /**
   * Where to start (bigint or '16/B374D848'). Logical: default 0/0, meaning
   * the slot's confirmed position. Physical: default the server's current
   * position (IDENTIFY_SYSTEM).
   */
  startLsn?: LsnInput;
  /** Physical: the timeline to stream (default: the current one when startLsn is defaulted). */
  timeline?: number;
  /** Logical: the plugin's options (`proto_version`, `publication_names`, `include-xids`, ...); values become strings; null sends the name alone. */
  options?: Readonly<Record<string, string | number | boolean | null>>;
  /** The slot's plugin, when known (otherwise looked up for logical slots). */
  plugin?: string;
  /** 'text': payloads as strings (default for text plugins: test_decoding, wal2json); 'binary': bytes. */
  decode?: 'text' | 'binary';
}

/** Plugins whose output is text. */
const TEXT_PLUGINS: ReadonlySet<string> = new Set(['test_decoding', 'wal2json', 'decoderbufs_json', 'decoder_raw']);

/** A replication connection; see the file comment. */
export class ReplicationConnection {
  /** The reactor this connection runs on. */
  readonly reactor: Reactor;
  /** The detector, when reconnection is wanted. */
  readonly detector: DeadConnectionDetector | undefined;
  /** The driver connection underneath (its `state`, `processId`, `serverParameters`). */
  protected readonly conn: Connection;
  private _kind: 'logical' | 'physical' = 'logical';
  private readonly plugins = new Map<string, string>();
  private readonly streams = new Set<ReplicationStream>();
  /** Sessions (by walsender pid) that have run a logical START_REPLICATION: PostgreSQL ends a second one at once. */
  private readonly logicalSessions = new Set<number>();

  constructor(readonly options: ReplicationConnectionOptions = {}) {
    checkOptions('ReplicationConnection', options, OPTIONS);
    if (options.detector?.options?.heartbeat !== undefined) {
      throw new InterfaceError('a ReplicationConnection\'s detector must not have a heartbeat: a walsender does not run its query (streams check liveness themselves: timeoutMs)', { code: 'ERR_INVALID_ARGUMENT' });
    }
    this.conn = new Connection({
      reactor: options.reactor, detector: options.detector, types: options.types, crypto: options.crypto, env: options.env,
      connectTimeoutMs: options.connectTimeoutMs, allowCleartextPassword: options.allowCleartextPassword, prepare: false,
    });
    this.reactor = this.conn.reactor;
    this.detector = options.detector;
  }

  /** This connection's type registry (pgoutput values are decoded through it). */
  get types(): TypeRegistry {
    return this.conn.types;
  }

  /** 'logical' (replication=database) or 'physical' (replication=true), as last connected. */
  get kind(): 'logical' | 'physical' {
    return this._kind;
  }

  /** The connection's state (as `Connection.state`). */
  get state(): ConnectionState {
    return this.conn.state;
  }

  /** True when there is no live session. */
  get closed(): boolean {
    return this.conn.closed;
  }

  /** The walsender's process id (the `pid` in pg_stat_replication). */
  get processId(): number | undefined {
    return this.conn.processId;
  }

  /** Server parameters (server_version, ...). */
  get serverParameters(): ReadonlyMap<string, string> {
    return this.conn.serverParameters;
  }

  /** Calls `fn` on every state change of the connection; returns the unsubscriber. */
  onStateChange(fn: (state: ConnectionState, reason?: Error) => void): () => void {
    return this.conn.onStateChange(fn);
  }

  /**
   * Connects as a walsender: the input (a connection string, a parameter
   * object, or nothing for PG* variables) with `replication=database`, or
   * `replication=true` for physical replication (see
   * {@link ReplicationConnectOptions}). Fires with this connection.
   */
  connect(input?: string | ConnectInput, options: ReplicationConnectOptions = {}): Deferred<this> {
    let withMode: ConnectInput;
    try {
      const mode = chooseMode(input, options.physical);
      this._kind = mode === 'true' ? 'physical' : 'logical';
      withMode = withReplication(input, mode);
    } catch (e) {
      return fail(e);
    }
    return this.conn.connect(withMode).addCallback(() => this);
  }

  /** Closes the connection; streams stop (they end without error). Idempotent. */
  close(): void {
    for (const s of [...this.streams]) s.closing();
    this.conn.close();
  }

  /** IDENTIFY_SYSTEM. */
  identifySystem(): Deferred<IdentifySystemResult> {
    return this.run({ kind: 'IDENTIFY_SYSTEM' }, (r) => ({
      systemId: need(r, 'systemid'),
      timeline: Number(need(r, 'timeline')),
      xlogPos: parseLsn(need(r, 'xlogpos')),
      dbName: cell(r, 'dbname'),
    }));
  }

  /** CREATE_REPLICATION_SLOT: a logical slot (with `plugin`) or a physical one. */
  createReplicationSlot(name: string, options: CreateSlotOptions = {}): Deferred<CreateSlotResult> {
    const physical = options.physical ?? (options.plugin === undefined && this._kind === 'physical');
    if (!physical && options.plugin === undefined) {
      return fail(new InterfaceError('a logical replication slot needs a plugin (e.g. { plugin: "pgoutput" }), or pass { physical: true }', { code: 'ERR_INVALID_ARGUMENT' }));
    }
    if (physical && options.plugin !== undefined) return fail(new InterfaceError('a physical slot has no plugin', { code: 'ERR_INVALID_ARGUMENT' }));
    const statement: ReplicationStatement = {
      kind: 'CREATE_REPLICATION_SLOT', slot: name, temporary: options.temporary, plugin: options.plugin,
      snapshot: options.snapshot, twoPhase: options.twoPhase, reserveWal: options.reserveWal,
    };
    return this.run(statement, (r) => {
      if (options.plugin !== undefined) this.plugins.set(name, options.plugin);
      const point = cell(r, 'consistent_point');
      return { slotName: need(r, 'slot_name'), consistentPoint: point === null ? 0n : parseLsn(point), snapshotName: cell(r, 'snapshot_name'), outputPlugin: cell(r, 'output_plugin') };
    });
  }

  /** DROP_REPLICATION_SLOT; `wait`: wait for an active slot to be released instead of failing. */
  dropReplicationSlot(name: string, options: { wait?: boolean } = {}): Deferred<void> {
    return this.run({ kind: 'DROP_REPLICATION_SLOT', slot: name, wait: options.wait }, () => {
      this.plugins.delete(name);
    });
  }

  /** READ_REPLICATION_SLOT (PostgreSQL 15+: an older server fails it with `ERR_UNSUPPORTED_BY_SERVER`, nothing sent). */
  readReplicationSlot(name: string): Deferred<ReadSlotResult> {
    return this.run({ kind: 'READ_REPLICATION_SLOT', slot: name }, (r) => {
      const type = cell(r, 'slot_type');
      const lsn = cell(r, 'restart_lsn');
      const tli = cell(r, 'restart_tli');
      return { slotType: type as ReadSlotResult['slotType'], restartLsn: lsn === null ? null : parseLsn(lsn), restartTli: tli === null ? null : Number(tli) };
    });
  }

  /** TIMELINE_HISTORY: the history file of `timeline` (the server refuses timeline 1, which has none). */
  timelineHistory(timeline: number): Deferred<TimelineHistoryResult> {
    return this.run({ kind: 'TIMELINE_HISTORY', timeline }, (r) => ({ filename: need(r, 'filename'), content: need(r, 'content') }));
  }

  /**
   * START_REPLICATION: returns the stream at once; it takes the connection
   * when the commands before it are done. Invalid options fail the stream
   * (its `onEnd`, `messages$`, `consumeStream`) with an InterfaceError.
   */
  startReplication(options: StartReplicationOptions = {}): ReplicationStream {
    const physical = options.physical ?? this._kind === 'physical';
    const { statusIntervalMs, timeoutMs, highWaterMark, highWaterBytes, autoAck, wallClock } = options;
    const host = this.streamHost();
    const setup = this.setupFor(options, physical);
    const stream = this.createStream(host, physical ? 'physical' : 'logical', setup, { statusIntervalMs, timeoutMs, highWaterMark, highWaterBytes, autoAck, wallClock });
    this.streams.add(stream);
    stream.onEnd(() => this.streams.delete(stream));
    return stream;
  }

  /** Builds the stream (the package's Observable-bearing subclass overrides it). */
  protected createStream(host: StreamHost, mode: 'logical' | 'physical', setup: () => Deferred<StreamSetup>, tuning: StreamTuning): ReplicationStream {
    return new ReplicationStream(host, mode, setup, tuning);
  }

  // ------------------------------------------------------------ internals

  /** What the stream needs to start: the statement, the plugin's boundaries, text or bytes. */
  private setupFor(o: StartReplicationOptions, physical: boolean): () => Deferred<StreamSetup> {
    return () => {
      try {
        if (physical) {
          if (o.options !== undefined && Object.keys(o.options).length > 0) throw invalid('plugin options apply to logical replication only');
          const given = o.startLsn === undefined ? null : parseLsn(o.startLsn);
          const position = given !== null ? succeed({ xlogPos: given, timeline: o.timeline }) : this.identifySystem().addCallback((id) => ({ xlogPos: id.xlogPos, timeline: o.timeline ?? id.timeline }));
          return position.addCallback((p): StreamSetup => ({
            statement: { kind: 'START_REPLICATION', mode: 'physical', slot: o.slot, startLsn: p.xlogPos, timeline: p.timeline },
            classify: null,
            decodeText: o.decode === 'text',
          }));
        }
        if (o.slot === undefined) throw invalid('logical replication needs a slot ({ slot: "name" })');
        const statement: StartReplicationStatement = {
          kind: 'START_REPLICATION', mode: 'logical', slot: o.slot, startLsn: o.startLsn === undefined ? 0n : parseLsn(o.startLsn), options: pluginOptions(o.options),
        };
        return this.freshLogicalSession().addCallback(() => this.pluginOf(o.slot!, o.plugin)).addCallback((plugin): StreamSetup => ({
          statement,
          classify: classifierFor(plugin),
          decodeText: o.decode === undefined ? plugin !== undefined && TEXT_PLUGINS.has(plugin) : o.decode === 'text',
        }));
      } catch (e) {
        return fail(e);
      }
    };
  }

  /**
   * A session that has already run a logical START_REPLICATION is replaced
   * by a new one first: PostgreSQL (15 at least) answers a second one on the
   * same walsender with CopyBothResponse and then ends it at once.
   */
  private freshLogicalSession(): Deferred<unknown> {
    const pid = this.conn.processId;
    const used = pid !== undefined && this.logicalSessions.has(pid);
    const ready = used ? this.doit(() => this.conn.reconnect()) : succeed(null);
    return ready;
  }

  /** The slot's plugin: given, created here, or asked of the server (logical connections run SQL). */
  private pluginOf(slot: string, given: string | undefined): Deferred<string | undefined> {
    const known = given ?? this.plugins.get(slot);
    if (known !== undefined || !/^[a-z0-9_]+$/.test(slot)) return succeed(known);
    const sql = `SELECT plugin FROM pg_catalog.pg_replication_slots WHERE slot_name = '${slot}'`; // slot names are [a-z0-9_]: nothing to quote
    return this.conn
      .runQuery<{ plugin: string | null }>(sql, [], { simple: true })
      .addCallback((rows) => rows[0]?.plugin ?? undefined);
  }

  private streamHost(): StreamHost {
    return {
      reactor: this.reactor,
      types: this.conn.types,
      resumable: this.detector !== undefined,
      acquire: () => this.doit(() => this.conn.acquire()),
      backoff: () => (this.detector === undefined ? null : this.detector.reconnectionIterator()[Symbol.iterator]()),
      abortSession: (error) => this.conn.abortSession(error),
      logicalStart: () => {
        const pid = this.conn.processId;
        if (pid !== undefined) this.logicalSessions.add(pid);
      },
      onConnectionState: (fn) => this.conn.onStateChange(fn),
    };
  }

  /** One command on a lease, through the detector when there is one. */
  private run<T>(statement: ReplicationStatement, parse: (r: CommandResult) => T): Deferred<T> {
    return this.doit(() => this.conn.acquire().addCallback((lease) => runOnLease(lease, this.reactor, statement))).addCallback(parse);
  }

  private doit<T>(fn: () => Deferred<T>): Deferred<T> {
    if (this.conn.closed && this.conn.state === 'closed') return fail(new ConnectionClosed());
    return this.detector ? this.detector.callChecking(fn) : fn();
  }
}

/** The `replication` value to connect with. */
function chooseMode(input: string | ConnectInput | undefined, physical: boolean | undefined): ReplicationMode {
  if (physical !== undefined) return physical ? 'true' : 'database';
  return givenMode(input) === 'true' ? 'true' : 'database';
}

/** The `replication` the input itself gives, if any. */
function givenMode(input: string | ConnectInput | undefined): ReplicationMode | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'string') return modeOf(parseDsn(input).replication);
  if (typeof input !== 'object' || input === null) return undefined;
  const direct = modeOf(input.replication);
  if (direct !== undefined) return direct;
  const dsn = input.dsn ?? input.connectionString;
  return typeof dsn === 'string' ? modeOf(parseDsn(dsn).replication) : undefined;
}

function modeOf(value: string | undefined): ReplicationMode | undefined {
  return value === undefined || value.trim() === '' ? undefined : parseReplication(value);
}

function withReplication(input: string | ConnectInput | undefined, mode: ReplicationMode): ConnectInput {
  if (input === undefined) return { replication: mode };
  if (typeof input === 'string') return { dsn: input, replication: mode };
  return { ...input, replication: mode };
}

function pluginOptions(options: StartReplicationOptions['options']): Record<string, string | null> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object of plugin options');
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    out[k] = v === null ? null : String(v);
  }
  return out;
}

function need(r: CommandResult, column: string): string {
  const v = cell(r, column);
  if (v === null) throw new InterfaceError(`the server's answer has no ${column}`, { code: 'ERR_UNEXPECTED_RESULT' });
  return v;
}

function invalid(message: string): InterfaceError {
  return new InterfaceError(message, { code: 'ERR_INVALID_ARGUMENT' });
}

/** The option types `new ReplicationConnection(options)` checks. */
const OPTIONS = {
  reactor: 'object', detector: 'object', types: 'object', crypto: 'object', env: 'object', connectTimeoutMs: 'nonNegative', allowCleartextPassword: 'boolean',
} as const;

// console.log / JSON.stringify show this, never the options or the connect input (secrets live there)
definePublicView(ReplicationConnection, (c) => ({ kind: c.kind, state: c.state, processId: c.processId }));
