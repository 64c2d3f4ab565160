/**
 * Executor: turns "run this SQL with these parameters" into protocol
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
 * A second request for a statement still being prepared waits for it.
 * Several statements in one string cannot be prepared; without parameters
 * such a string falls back to the simple Query protocol. The cache is an LRU
 * of {@link MAX_STATEMENTS}; evicted statements are closed on the server.
 */
import { InterfaceError } from './errors/base';
import { databaseErrorFrom } from './errors/sqlstate.generated';
import type { BackendMessage, FieldDescription, FormatCode, FrontendMessage } from './protocol/messages';
import type { Column, QueryResult, RowFactory, RowShape } from './result';
import { ResultCollector, rowShape } from './result';
import type { OpHandler, Session } from './session';
import type { TypeRegistry } from './types/registry';

const EXECUTE: FrontendMessage = { type: 'Execute', portal: '', maxRows: 0 };
const SYNC: FrontendMessage = { type: 'Sync' };
const NO_PARAMS: Array<string | Uint8Array | null> = [];

/** Statements kept prepared per connection. */
export const MAX_STATEMENTS = 256;

interface Statement {
  name: string;
  paramTypes: number[] | null;
  fields: FieldDescription[] | null;
  ready: boolean;
  waiters: Array<(error: Error | null) => void>;
  /** Formats of a Bind, computed once the statement is described. */
  formats?: { params: FormatCode[]; results: FormatCode[] };
  /** The row shape of the last row factory used. */
  shape?: RowShape;
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
  /** Force the simple Query protocol (no parameters allowed). */
  simple?: boolean;
}

/** Executes statements over one session; see the file comment. */
export class Executor {
  private readonly statements = new Map<string, Statement>();
  private counter = 0;
  private closeQueue: string[] = [];

  constructor(
    private readonly session: Session,
    private readonly registry: TypeRegistry,
  ) {}

  /** Sends `req`; throws InterfaceError synchronously for bad parameters (nothing sent then). */
  execute(req: ExecRequest): void {
    if (req.simple) return this.simple(req);
    const st = this.statements.get(req.sql);
    if (st === undefined) return this.prepare(req);
    this.touch(req.sql, st);
    if (st.ready) return this.bindExecute(req, st, this.bindMessage(req, st));
    st.waiters.push((error) => this.afterPrepare(req, error, st));
  }

  /** The simple Query protocol (no parameters; several statements allowed). */
  private simple(req: ExecRequest): void {
    this.session.send({ type: 'simpleQuery', sql: req.sql }, this.collector(req, null, undefined));
  }

  private prepare(req: ExecRequest): void {
    const st: Statement = { name: `tsp_${++this.counter}`, paramTypes: null, fields: null, ready: false, waiters: [] };
    const parse: FrontendMessage = { type: 'Parse', name: st.name, sql: req.sql, paramTypes: [] };
    const describe: FrontendMessage = { type: 'Describe', target: 'S', name: st.name };
    this.remember(req.sql, st);
    if (req.params.length === 0) return this.prepareAndRun(req, st, [parse, describe]);
    const op = this.describeOp(req, st);
    this.session.send({ type: 'batch', messages: this.batch(parse, describe, SYNC) }, op);
  }

  /** No parameters: Parse, Describe, Bind, Execute and Sync in one write. */
  private prepareAndRun(req: ExecRequest, st: Statement, head: FrontendMessage[]): void {
    const bind: FrontendMessage = { type: 'Bind', portal: '', statement: st.name, paramFormats: [], params: [], resultFormats: [0] };
    const collector = this.collector(req, null, st, [0]);
    const messages = this.batch(...head, bind, EXECUTE, SYNC);
    this.session.send({ type: 'batch', messages }, collector);
  }

  /** The Parse+Describe+Sync operation of a statement with parameters. */
  private describeOp(req: ExecRequest, st: Statement): OpHandler {
    let error: Error | null = null;
    return {
      message: (msg) => {
        if (msg.type === 'ErrorResponse' && error === null) error = databaseErrorFrom(msg.fields, { query: req.sql });
        else this.describeInto(st, msg);
      },
      ready: () => {
        this.settle(req.sql, st, error);
        this.afterPrepare(req, error, st);
      },
      abort: (e) => {
        this.settle(req.sql, st, e);
        req.done(e, null);
      },
      started: req.started,
    };
  }

  private afterPrepare(req: ExecRequest, error: Error | null, st: Statement): void {
    if (error !== null) return req.done(error, null);
    let bind: FrontendMessage;
    try {
      bind = this.bindMessage(req, st);
    } catch (e) {
      return req.done(e as Error, null);
    }
    try {
      this.bindExecute(req, st, bind);
    } catch (e) {
      req.done(e as Error, null);
    }
  }

  private bindExecute(req: ExecRequest, st: Statement, bind: FrontendMessage): void {
    const messages = this.batch(bind, EXECUTE, SYNC);
    this.session.send({ type: 'batch', messages }, this.collector(req, this.shapeOf(st, req.rowFactory), undefined));
  }

  /** The row shape of a described statement for `rowFactory`, cached on the statement. */
  private shapeOf(st: Statement, rowFactory: RowFactory): RowShape | null {
    if (st.fields === null) return null;
    if (st.shape?.rowFactory === rowFactory) return st.shape;
    const results = this.formatsOf(st).results;
    const columns = st.fields.map((f, i): Column => ({ ...f, format: results[i] ?? 0 }));
    st.shape = rowShape(columns, this.registry, rowFactory);
    return st.shape;
  }

  private formatsOf(st: Statement): { params: FormatCode[]; results: FormatCode[] } {
    if (st.formats) return st.formats;
    const r = this.registry;
    st.formats = {
      params: (st.paramTypes ?? []).map((oid) => r.paramFormat(oid)),
      results: (st.fields ?? []).map((f) => r.resultFormat(f.typeOid)),
    };
    return st.formats;
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
    const r = this.registry;
    const params = types.length === 0 ? NO_PARAMS : types.map((oid, i) => r.encodeParam(req.params[i], oid));
    const formats = this.formatsOf(st);
    return { type: 'Bind', portal: '', statement: st.name, paramFormats: formats.params, params, resultFormats: formats.results };
  }

  private collector(req: ExecRequest, shape: RowShape | null, st: Statement | undefined, formats?: FormatCode[]): OpHandler {
    const c = new ResultCollector({
      registry: this.registry,
      rowFactory: req.rowFactory,
      sql: req.sql,
      shape,
      onRow: req.onRow,
      resultFormats: formats ? () => formats : undefined,
      describe: st ? (msg) => this.describeInto(st, msg) : undefined,
      done: (error, result) => {
        if (st) this.settle(req.sql, st, error);
        if (st && error !== null && isMultiStatement(error) && req.params.length === 0) {
          return this.simple(req);
        }
        if (error !== null) this.evictIfStale(req.sql, error);
        req.done(error, result);
      },
    });
    c.started = req.started;
    return c;
  }

  private describeInto(st: Statement, msg: BackendMessage): void {
    if (msg.type === 'ParameterDescription') st.paramTypes = msg.typeOids;
    else if (msg.type === 'RowDescription') st.fields = msg.fields;
    else if (msg.type === 'NoData') st.fields = [];
  }

  /** Marks a statement prepared (or drops it on error) and wakes its waiters. */
  private settle(sql: string, st: Statement, error: Error | null): void {
    if (st.ready) return;
    if (error !== null || st.paramTypes === null) {
      if (this.statements.get(sql) === st) this.statements.delete(sql);
    } else {
      st.ready = true;
    }
    const waiters = st.waiters;
    st.waiters = [];
    for (const w of waiters) w(error);
  }

  /** A cached plan whose result type changed, or a statement the server forgot: drop it. */
  private evictIfStale(sql: string, error: Error): void {
    const code = (error as { code?: string }).code;
    if (code !== '0A000' && code !== '26000') return;
    const st = this.statements.get(sql);
    if (st === undefined) return;
    this.statements.delete(sql);
    this.closeQueue.push(st.name);
  }

  private remember(sql: string, st: Statement): void {
    this.statements.set(sql, st);
    if (this.statements.size <= MAX_STATEMENTS) return;
    for (const [oldSql, old] of this.statements) {
      if (!old.ready) continue;
      this.statements.delete(oldSql);
      this.closeQueue.push(old.name);
      return;
    }
  }

  private touch(sql: string, st: Statement): void {
    this.statements.delete(sql);
    this.statements.set(sql, st);
  }

  /** `messages`, preceded by Close messages for statements evicted since the last batch. */
  private batch(...messages: FrontendMessage[]): FrontendMessage[] {
    if (this.closeQueue.length === 0) return messages;
    const closes = this.closeQueue.map((name): FrontendMessage => ({ type: 'Close', target: 'S', name }));
    this.closeQueue = [];
    return [...closes, ...messages];
  }
}

function isMultiStatement(error: Error): boolean {
  return (error as { code?: string }).code === '42601' && /multiple commands/.test(error.message);
}
