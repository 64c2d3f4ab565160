/**
 * Statements: turns "run this SQL with these parameters" into protocol
 * operations, with a per-connection prepared statement cache.
 *
 * Theory of operation. Parameters are encoded for the types the server
 * expects, which only the server knows (its ParameterDescription), so a
 * statement is described once and cached by its SQL text under a name:
 *
 * - cached: Bind + Execute + Sync (one round trip; columns come from the
 *   cache, so no Describe either, and results use binary where it pays);
 * - new, without parameters: Parse + Describe + Bind + Execute + Sync in one
 *   write (results in text, since the column types are not known yet);
 * - new, with parameters: Parse + Describe + Sync, then, once described,
 *   Bind + Execute + Sync (two round trips, the first time only).
 *
 * Order. Statements run on the server in the order they were executed, so
 * a later query sees what an earlier one wrote even when both are in the
 * pipeline. While a statement is being prepared (its description has not
 * come back), every later request is held, in order, and sent once it is
 * ready: the first use of a statement costs its followers one round trip,
 * never their order. Several statements in one string cannot be prepared;
 * without parameters such a string falls back to the simple Query protocol.
 *
 * Names. Every session names its statements `tsp_<prefix>_<n>`, with a
 * random prefix drawn when the session starts and a counter that never
 * repeats a name. Behind a pooler in transaction mode several clients share
 * one server connection, and with names like `tsp_1` a Bind of one client's
 * statement would run another client's SQL with no error at all; with a
 * prefix of its own a session can only ever reach its own statements, so the
 * worst a pooler can do is an error (26000, 42P05), never a wrong answer.
 *
 * Staleness. The cache is invalid for a statement when the server cannot
 * run it as prepared: 0A000 "cached plan must not change result type" after
 * a schema change; 26000 "prepared statement does not exist" after `DISCARD
 * ALL` or behind a pooler that moved us to another server connection; 42P05
 * "prepared statement already exists" when its name is taken on the server
 * connection (a pooler's, by a session that drew the same prefix). The
 * statement is evicted; outside a transaction (status idle) the request is
 * prepared and run again, once, under a new name (as postgres.js does);
 * inside one the error is reported, since the transaction is aborted, with
 * one exception: a ROLLBACK (or ABORT, ROLLBACK TO SAVEPOINT) in a failed
 * transaction is prepared and run again too, as it can only end the
 * transaction the server is waiting to see ended (a stale ROLLBACK must not
 * leave the session stuck in a failed transaction: behind a pooler the
 * server connection would stay pinned to it). The
 * cache is an LRU of {@link MAX_STATEMENTS}; evicted statements, and
 * statements whose first run failed before the server described them, are
 * closed on the server (never a name the server refused with 42P05: that
 * one is not ours). A statement described before its first run failed (a
 * cancel, a constraint) is prepared on the server and stays cached.
 *
 * Without preparing (`prepare: false`, for a pooler in transaction mode,
 * where a statement prepared on one server connection is unknown to the
 * next): every request is one batch on the unnamed statement, Parse + Bind +
 * Describe portal + Execute + Sync, so nothing outlives its Sync. The
 * parameters are then encoded from their JS values (text, the types the
 * server infers; an adapter's `{ oid }` is sent as the parameter type) and
 * results come back in text; no statement is cached. A statement's Bind formats and row shape are
 * recomputed when types are registered after it was cached.
 */
import { InterfaceError } from '../errors/base';
import { DatabaseError } from '../errors/database';
import { databaseErrorFrom, DuplicatePreparedStatement, FeatureNotSupported, InvalidSqlStatementName, SqlSyntaxError } from '../errors/sqlstate.generated';
import type { Command } from '../core/commands';
import type { BackendMessage, FieldDescription, FormatCode, FrontendMessage, RawFields, TransactionStatus } from '../protocol/messages';
import { toError } from '../defer/failure';
import type { Column, QueryResult, RowFactory, RowShape } from './rows';
import { rowShape } from './rows';
import { ResultCollector, type Described } from './collector';
import type { OpHandler, Session } from './session';
import type { TypeRegistry } from '../types/registry';
import type { Prelude } from './prelude';

const EXECUTE: FrontendMessage = { type: 'Execute', portal: '', maxRows: 0 };
const SYNC: FrontendMessage = { type: 'Sync' };
const NO_PARAMS: Array<string | Uint8Array | null> = [];
const NO_TYPES: number[] = [];
/** The Bind of a prelude: the unnamed statement, no parameters, no result formats (the encoder only reads these arrays). */
const PRELUDE_BIND: FrontendMessage = { type: 'Bind', portal: '', statement: '', paramFormats: [], params: NO_PARAMS, resultFormats: [] };
/** A statement that ends a failed transaction (or savepoint) and nothing else: the server runs it in a failed block. */
const ROLLBACK = /^\s*(?:ROLLBACK|ABORT)\b[^;]*;?\s*$/i;

/** Statements kept prepared per connection. */
export const MAX_STATEMENTS = 256;

interface Statement {
  name: string;
  paramTypes: number[] | null;
  fields: FieldDescription[] | null;
  ready: boolean;
  /** The registry version `formats` and `shape` were computed for. */
  version: number;
  /** Formats of a Bind, computed once the statement is described. */
  formats?: Formats;
  /** The row shape of the last row factory used. */
  shape?: RowShape;
  /** When it was last used (the cache's use counter): the least recent is evicted first. */
  used: number;
}

interface Formats {
  params: FormatCode[];
  results: FormatCode[];
}

/** One request to execute a statement. */
export interface ExecRequest {
  sql: string;
  params: readonly unknown[];
  rowFactory: RowFactory;
  /** Called once, from inside the read handler: the caller schedules user code. */
  done: (error: Error | null, result: QueryResult | null) => void;
  /** Stream rows instead of collecting them. */
  onRow?: (row: unknown) => void;
  /** Called when an operation of this request reaches the head of the pipeline (it runs now). */
  started?: () => void;
  /** Called, from inside the read handler, with each ErrorResponse of the request's statement as it arrives (before `done`). */
  serverError?: (fields: RawFields) => void;
  /** Force the simple Query protocol (no parameters allowed). */
  simple?: boolean;
  /** Types for this request only (a cursor's own registry); the connection's by default. */
  registry?: TypeRegistry;
  /** Set by the executor once the request was prepared again after a stale statement. */
  reprepared?: boolean;
  /**
   * An interaction's deferred BEGIN: sent in front of the statement, in the
   * same sync group, when it is still pending as the request goes out (see
   * `prelude.ts`); an error in it skips the statement and fails the request.
   */
  prelude?: Prelude;
}

/** Executes statements over one session; see the file comment. */
export class Statements {
  private readonly statements = new Map<string, Statement>();
  /** `tsp_<random>_`: the names of this session's statements (see the file comment). */
  private readonly prefix: string;
  private counter = 0;
  /** The use counter: each use of a statement stamps it (an LRU without reordering the map). */
  private uses = 0;
  private closeQueue: string[] = [];
  /** The statement whose preparation holds the pipeline, or null. */
  private blocker: Statement | null = null;
  /** Requests behind the blocker, in call order. */
  private held: ExecRequest[] = [];

  /**
   * @param session the session to send on
   * @param registry the connection's types
   * @param prepare false: unnamed statements only, nothing cached (see the file comment)
   * @param random a uniform source in [0, 1) for the session's name prefix (default `Math.random`)
   */
  constructor(
    private readonly session: Session,
    private readonly registry: TypeRegistry,
    private readonly prepare: boolean = true,
    random: () => number = Math.random,
  ) {
    this.prefix = statementPrefix(random);
  }

  /**
   * Sends `req`, or holds it behind a statement being prepared (see the file
   * comment). Every failure, including a bad parameter found before anything
   * was sent, reaches `req.done`; nothing is cached for a request that failed
   * before it was sent.
   */
  execute(req: ExecRequest): void {
    if (this.blocker !== null) this.held.push(req);
    else this.dispatch(req);
  }

  private dispatch(req: ExecRequest): void {
    try {
      this.start(req);
    } catch (e) {
      req.done(toError(e), null);
    }
  }

  /** Sends `req` now, preparing its statement first when needed (or holds it behind one being prepared). */
  private start(req: ExecRequest): void {
    if (req.simple) return this.simple(req);
    if (!this.prepare) return this.unnamed(req);
    const st = this.statements.get(req.sql);
    if (st === undefined) return this.prepareStatement(req);
    if (!st.ready) {
      this.blocker = st; // prepared (without parameters) by a request still in flight
      this.held.push(req);
      return;
    }
    st.used = ++this.uses;
    this.bindExecute(req, st, this.bindMessage(req, st));
  }

  /** The simple Query protocol (no parameters; several statements allowed). */
  private simple(req: ExecRequest): void {
    const p = this.takePrelude(req);
    const sql = p === null ? req.sql : `${p.sql};${req.sql}`;
    this.send({ type: 'simpleQuery', sql }, this.collector(req, null, undefined, false, undefined, p), p);
  }

  /** Parse, Bind, Describe portal, Execute and Sync on the unnamed statement, in one batch (`prepare: false`). */
  private unnamed(req: ExecRequest): void {
    const r = req.registry ?? this.registry;
    const paramTypes = req.params.map((v) => r.paramTypeOid(v));
    const params = req.params.map((v, i) => r.encodeParam(v, paramTypes[i]));
    const messages: FrontendMessage[] = [
      { type: 'Parse', name: '', sql: req.sql, paramTypes },
      { type: 'Bind', portal: '', statement: '', paramFormats: params.map((p) => (p instanceof Uint8Array ? 1 : 0)), params, resultFormats: [0] },
      { type: 'Describe', target: 'P', name: '' },
      EXECUTE,
      SYNC,
    ];
    const p = this.takePrelude(req);
    this.send({ type: 'batch', messages: this.batch(p, ...messages) }, this.collector(req, null, undefined, false, [0], p), p);
  }

  private prepareStatement(req: ExecRequest): void {
    const st: Statement = { name: `${this.prefix}${++this.counter}`, paramTypes: null, fields: null, ready: false, version: -1, used: ++this.uses };
    const parse: FrontendMessage = { type: 'Parse', name: st.name, sql: req.sql, paramTypes: [] };
    const describe: FrontendMessage = { type: 'Describe', target: 'S', name: st.name };
    if (req.params.length === 0) this.prepareAndRun(req, st, [parse, describe]);
    else {
      const p = this.takePrelude(req);
      this.send({ type: 'batch', messages: this.batch(p, parse, describe, SYNC) }, this.describeOp(req, st, p), p);
      this.blocker = st;
    }
    this.remember(req.sql, st);
  }

  /** No parameters: Parse, Describe, Bind, Execute and Sync in one write. */
  private prepareAndRun(req: ExecRequest, st: Statement, head: FrontendMessage[]): void {
    const bind: FrontendMessage = { type: 'Bind', portal: '', statement: st.name, paramFormats: [], params: [], resultFormats: [0] };
    const p = this.takePrelude(req);
    const collector = this.collector(req, null, st, true, [0], p);
    const messages = this.batch(p, ...head, bind, EXECUTE, SYNC);
    this.send({ type: 'batch', messages }, collector, p);
  }

  /** The Parse+Describe+Sync operation of a statement with parameters (and the prelude `p` in front, when it carries it). */
  private describeOp(req: ExecRequest, st: Statement, p: Prelude | null): OpHandler {
    let error: Error | null = null;
    return {
      message: (msg) => {
        if (msg.type === 'ErrorResponse' && error === null) error = databaseErrorFrom(msg.fields, { query: req.sql });
        else if (msg.type === 'CommandComplete') p?.completed(); // the prelude's: the only statement this operation executes
        else this.describeInto(st, msg);
      },
      ready: (status) => {
        p?.ended(error);
        this.settle(req.sql, st, error);
        // a Parse refused as taken (42P05) is the only invalid-cache error a preparation can meet
        if (error === null || (p?.state !== 'failed' && error instanceof DuplicatePreparedStatement && this.preparedAgain(req, error, status))) this.dispatch(req);
        else req.done(error, null);
        this.unblock(st, null);
        p?.release();
      },
      abort: (e) => {
        p?.ended(e);
        this.settle(req.sql, st, e);
        req.done(e, null);
        this.unblock(st, e);
        p?.release();
      },
      started: req.started,
    };
  }

  /** The statement holding the pipeline is prepared (or failed): sends the held requests in order. */
  private unblock(st: Statement, lost: Error | null): void {
    if (this.blocker !== st) return;
    this.blocker = null;
    while (this.held.length > 0 && this.blocker === null) {
      const req = this.held.shift()!;
      if (lost !== null) req.done(lost, null);
      else this.dispatch(req);
    }
  }

  private bindExecute(req: ExecRequest, st: Statement, bind: FrontendMessage): void {
    const shape = this.shapeOf(st, req);
    const p = this.takePrelude(req);
    const messages = this.batch(p, bind, EXECUTE, SYNC);
    this.send({ type: 'batch', messages }, this.collector(req, shape, st, false, undefined, p), p);
  }

  /** The request's prelude when it goes out with this operation (taken now: in flight), else null. */
  private takePrelude(req: ExecRequest): Prelude | null {
    const p = req.prelude;
    return p !== undefined && p.take() ? p : null;
  }

  /** Sends `command`; a prelude it carries is pending again when nothing was sent (the session refused it). */
  private send(command: Command, handler: OpHandler, p: Prelude | null): void {
    try {
      this.session.send(command, handler);
    } catch (e) {
      p?.untake();
      throw e;
    }
  }

  /** The row shape of a described statement for the request's row factory, cached on the statement. */
  private shapeOf(st: Statement, req: ExecRequest): RowShape | null {
    if (st.fields === null) return null;
    const registry = req.registry ?? this.registry;
    const cached = registry === this.registry;
    if (cached && st.shape?.rowFactory === req.rowFactory && st.version === registry.version) return st.shape;
    const results = this.formatsOf(st, registry).results;
    const columns = st.fields.map((f, i): Column => ({ ...f, format: results[i] ?? 0 }));
    const shape = rowShape(columns, registry, req.rowFactory);
    if (cached) st.shape = shape;
    return shape;
  }

  /** The Bind formats of `st` under `registry` (cached for the connection's registry, per registry version). */
  private formatsOf(st: Statement, registry: TypeRegistry): Formats {
    const cached = registry === this.registry;
    if (cached && st.formats && st.version === registry.version) return st.formats;
    const formats = {
      params: (st.paramTypes ?? []).map((oid) => registry.paramFormat(oid)),
      results: (st.fields ?? []).map((f) => registry.resultFormat(f.typeOid)),
    };
    if (cached) {
      if (st.version !== registry.version) st.shape = undefined;
      st.formats = formats;
      st.version = registry.version;
    }
    return formats;
  }

  /** Encodes the parameters for the described types; throws InterfaceError on a bad value. */
  private bindMessage(req: ExecRequest, st: Statement): FrontendMessage {
    const types = st.paramTypes ?? [];
    if (req.params.length !== types.length) {
      throw new InterfaceError(
        `the statement expects ${types.length} parameter(s), ${req.params.length} given`,
        { code: 'ERR_PARAM_COUNT' },
      );
    }
    const r = req.registry ?? this.registry;
    const formats = this.formatsOf(st, r);
    const params = types.length === 0 ? NO_PARAMS : encodeAll(r, req.params, types);
    return { type: 'Bind', portal: '', statement: st.name, paramFormats: formats.params, params, resultFormats: formats.results };
  }

  /**
   * The handler of one Bind/Execute (or simple Query) operation. `preparing`:
   * the operation also prepares `st` (Parse and Describe in the same batch).
   */
  private collector(req: ExecRequest, shape: RowShape | null, st: Statement | undefined, preparing: boolean, formats?: FormatCode[], p: Prelude | null = null): OpHandler {
    const c = new ResultCollector({
      registry: req.registry ?? this.registry,
      rowFactory: req.rowFactory,
      sql: req.sql,
      shape,
      onRow: req.onRow,
      resultFormats: formats ? () => formats : undefined,
      prelude: p,
      positionShift: p !== null && req.simple ? p.sql.length + 1 : 0,
      done: (error, result, status, described) => {
        p?.ended(error);
        if (preparing && st) {
          if (described) recordDescription(st, described);
          this.settle(req.sql, st, error);
          this.unblock(st, this.session.closed ? error : null);
        }
        // never sent again after its prelude failed: without it, it would run outside the transaction
        if (error !== null && p?.state !== 'failed' && this.retried(req, error, st, status)) return p?.release();
        req.done(error, result);
        p?.release();
      },
    });
    const handler: OpHandler = c;
    handler.started = req.started;
    handler.serverError = req.serverError;
    return handler;
  }

  /**
   * Handles a failure that a second try may cure: a multi-statement string
   * without parameters goes to the simple protocol; a stale cached statement
   * is evicted and, outside a transaction, prepared and run again once.
   * Returns whether the request was sent again.
   */
  private retried(req: ExecRequest, error: Error, st: Statement | undefined, status: TransactionStatus | undefined): boolean {
    // being prepared now, or unnamed (prepare: false): Parse refused several statements
    if (!req.simple && req.params.length === 0 && isMultiStatement(error) && st?.ready !== true) {
      this.simple(req);
      return true;
    }
    if (st === undefined || !isCacheInvalid(error)) return false;
    this.evict(req.sql, st);
    if (!this.preparedAgain(req, error, status)) return false;
    this.execute(req);
    return true;
  }

  /**
   * Whether a request whose statement the cache had wrong may be prepared
   * again: once, and only outside a transaction (status idle), or a
   * rollback in a failed one (see the file comment). Marks it so.
   */
  private preparedAgain(req: ExecRequest, error: Error, status: TransactionStatus | undefined): boolean {
    const safe = status === 'I' || (status === 'E' && ROLLBACK.test(req.sql));
    if (!isCacheInvalid(error) || !safe || req.reprepared === true) return false;
    req.reprepared = true;
    return true;
  }

  private describeInto(st: Statement, msg: BackendMessage): void {
    if (msg.type === 'ParameterDescription') st.paramTypes = msg.typeOids;
    else if (msg.type === 'RowDescription') st.fields = msg.fields;
  }

  /**
   * Marks a statement prepared, or drops it. A statement the server
   * described (its ParameterDescription came) is prepared there, whatever
   * happened to its first run after that: a server error of the run itself
   * (a cancel, a constraint, a division by zero) keeps it cached, so the
   * next run is one Bind and Execute, not a Close and a new Parse. Any other
   * failure drops it, and closes it on the server (its Parse may have
   * succeeded before a later message failed), unless the server refused its
   * name as taken (42P05).
   */
  private settle(sql: string, st: Statement, error: Error | null): void {
    if (st.ready) return;
    if (st.paramTypes !== null && (error === null || error instanceof DatabaseError)) {
      st.ready = true;
      return;
    }
    if (this.statements.get(sql) === st) this.statements.delete(sql);
    if (error !== null && !(error instanceof DuplicatePreparedStatement)) this.closeQueue.push(st.name);
  }

  /** Drops `st` from the cache (when it is still the cached statement of `sql`) and closes it on the server. */
  private evict(sql: string, st: Statement): void {
    if (this.statements.get(sql) !== st) return;
    this.statements.delete(sql);
    this.closeQueue.push(st.name);
  }

  /** Caches `st`; past {@link MAX_STATEMENTS}, the least recently used prepared statement is evicted (and closed). */
  private remember(sql: string, st: Statement): void {
    this.statements.set(sql, st);
    if (this.statements.size <= MAX_STATEMENTS) return;
    let oldest: [string, Statement] | null = null;
    for (const entry of this.statements) {
      if (entry[1].ready && (oldest === null || entry[1].used < oldest[1].used)) oldest = entry;
    }
    if (oldest === null) return;
    this.statements.delete(oldest[0]);
    this.closeQueue.push(oldest[1].name);
  }

  /**
   * `messages`, preceded by Close messages for statements evicted since the
   * last batch, and by the prelude `p` (Parse, Bind and Execute on the
   * unnamed statement and portal) when the batch carries one.
   */
  private batch(p: Prelude | null, ...messages: FrontendMessage[]): FrontendMessage[] {
    if (this.closeQueue.length === 0 && p === null) return messages;
    const out: FrontendMessage[] = [];
    for (const name of this.closeQueue) out.push({ type: 'Close', target: 'S', name });
    if (this.closeQueue.length > 0) this.closeQueue = [];
    // a prelude (an interaction's BEGIN, once per transaction): no parameters, no rows, so no Describe
    if (p !== null) out.push({ type: 'Parse', name: '', sql: p.sql, paramTypes: NO_TYPES }, PRELUDE_BIND, EXECUTE);
    for (let i = 0; i < messages.length; i++) out.push(messages[i]);
    return out;
  }
}

/** The parameters encoded for the described types. */
function encodeAll(r: TypeRegistry, values: readonly unknown[], types: readonly number[]): Array<string | Uint8Array | null> {
  const out = new Array<string | Uint8Array | null>(types.length);
  for (let i = 0; i < types.length; i++) out[i] = r.encodeParam(values[i], types[i]);
  return out;
}

/** Records on `st` what its describing messages said. */
function recordDescription(st: Statement, d: Described): void {
  if (d.paramTypes !== null) st.paramTypes = d.paramTypes;
  if (d.fields !== null) st.fields = d.fields;
}

function isMultiStatement(error: Error): boolean {
  return error instanceof SqlSyntaxError && /multiple commands/.test(error.message);
}

/**
 * The cache was wrong about a statement: 0A000 (cached plan must not change
 * result type), 26000 (prepared statement does not exist) or 42P05 (prepared
 * statement already exists).
 */
function isCacheInvalid(error: Error): boolean {
  return error instanceof FeatureNotSupported || error instanceof InvalidSqlStatementName || error instanceof DuplicatePreparedStatement;
}

/** Characters of the random part of a session's statement names: 36^8, about 2.8e12 prefixes. */
const PREFIX_LENGTH = 8;

/** `tsp_<8 random base-36 characters>_`. */
function statementPrefix(random: () => number): string {
  let s = '';
  for (let i = 0; i < PREFIX_LENGTH; i++) s += Math.floor(random() * 36).toString(36);
  return `tsp_${s}_`;
}
