/**
 * FakeBackend: a scripted PostgreSQL server for unit tests.
 *
 * Theory of operation. FakeBackend is a {@link TransportHandler}: plug it in
 * as the server end of an in-memory transport (VirtualReactor's `listen`, or
 * any Transport). Bytes from the client go through the real
 * {@link FrontendDecoder}; each decoded message is COPIED (so it outlives
 * the decoder's buffer) and appended to {@link FakeBackend.received}. Then:
 *
 * - when handlers are registered for its type ({@link FakeBackend.onMessage}),
 *   they run in registration order and answer it themselves (manual mode);
 * - otherwise the backend's default applies ({@link FakeBackend.serveMessage}):
 *   SSLRequest and GSSENCRequest are refused with 'N'; StartupMessage is
 *   accepted when the `startup` option is set; CancelRequest goes to the
 *   `onCancelRequest` option; and when the `serve` option is set, the query
 *   messages (Query, Parse, Bind, Describe, Execute, Close, Flush, Sync) are
 *   answered by an emulated server.
 *
 * The emulation answers each message as PostgreSQL does, with the results of
 * its {@link ReplyScript}: ParseComplete, ParameterDescription and
 * RowDescription/NoData, BindComplete, DataRows (text, or binary when the
 * client asks for it) and CommandComplete, CloseComplete, ReadyForQuery at
 * each Sync; after an error it skips to the Sync. It keeps prepared
 * statements and portals (Execute with a row limit suspends the portal), the
 * transaction status and savepoints (an error inside a transaction block
 * fails it: statements then get 25P02 until ROLLBACK, and COMMIT answers with
 * the tag ROLLBACK), and reports a prepared statement whose result shape has
 * changed since it was prepared with 0A000, as a server does after a schema
 * change. Replies are real wire bytes from the backend encoder; messages
 * answered together go out in one write.
 *
 * Holding: after {@link FakeBackend.hold} the query messages wait in order
 * (a busy or frozen server) until {@link FakeBackend.answerNext} answers the
 * oldest round (up to a Sync, or one Query), optionally with another reply,
 * or {@link FakeBackend.resume} answers them all.
 *
 * @example
 * const be = new FakeBackend({ startup: true, serve: true });
 * be.script.answer('SELECT 1 AS n', { fields: [{ name: 'n', type: 'int4' }], rows: [['1']] });
 */
import type { Transport, TransportHandler } from '../../reactor/interfaces';
import { writeBackend } from '../protocol/backend-encode';
import { FrontendDecoder } from '../protocol/frontend-decode';
import {
  PROTOCOL_3_0,
  type BackendMessage, type FieldDescription, type FormatCode, type FrontendMessage, type FrontendMessageType, type RawFields,
  type TransactionStatus,
} from '../protocol/messages';
import { minorOf, type ProtocolVersion } from '../protocol/versions';
import { ByteWriter, utf8Decode } from '../util/bytes';
import { failsAt, ReplyScript, type Reply, type Round, type StatementCall } from './script';
import {
  cellBytes, defaultTag, errorResponse, field, inferParamTypes, isError, splitStatements, words,
  type Cell, type ResultSpec, type RowsSpec,
} from './values';

/** A handler for one kind of client message; registering one takes that message type over. */
export type MessageHandler<T extends FrontendMessageType = FrontendMessageType> = (msg: Extract<FrontendMessage, { type: T }>, backend: FakeBackend) => void;

/** Options of {@link FakeBackend.acceptStartup}. */
export interface StartupReply {
  /** ParameterStatus values, added to (or replacing) {@link DEFAULT_PARAMETERS}. */
  parameters?: Record<string, string>;
  /** The BackendKeyData process id (default 4242). */
  processId?: number;
  /** The BackendKeyData secret key (default 1, 2, 3, 4: valid under every protocol version). */
  secretKey?: Uint8Array;
  /**
   * The newest protocol version this server speaks. When given, startup
   * begins as on PostgreSQL: NegotiateProtocolVersion when the client asked
   * for a newer version (or sent `_pq_.` options, all listed as
   * unrecognized). Default: speak whatever the client asks for.
   */
  protocolVersion?: ProtocolVersion;
}

/** Options of a {@link FakeBackend}. */
export interface FakeBackendOptions {
  /** Accept the StartupMessage at once (true, or the reply's options); default false: script it yourself. */
  startup?: boolean | StartupReply;
  /** Emulate a server answering queries from the script (see the file comment); default false. */
  serve?: boolean;
  /** The rules of the emulation; default a new {@link ReplyScript} of its own. */
  script?: ReplyScript;
  /** Called with a CancelRequest (the first and only message of a cancel connection); the backend then closes. */
  onCancelRequest?: (msg: Extract<FrontendMessage, { type: 'CancelRequest' }>, backend: FakeBackend) => void;
}

/** A statement prepared on an emulating backend. */
export interface PreparedStatement {
  /** Its SQL. */
  readonly sql: string;
  /** The parameter types reported by Describe. */
  readonly paramTypes: readonly number[];
  /** Its columns as prepared, or null when it returns no rows. */
  readonly fields: readonly FieldDescription[] | null;
}

/** The server parameters {@link FakeBackend.acceptStartup} reports by default. */
export const DEFAULT_PARAMETERS: Readonly<Record<string, string>> = {
  server_version: '15.18',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  TimeZone: 'UTC',
};

const QUERY_MESSAGES = new Set<FrontendMessageType>(['Query', 'Parse', 'Bind', 'Describe', 'Execute', 'Close', 'Flush', 'Sync']);
const IN_FAILED: RawFields = { C: '25P02', M: 'current transaction is aborted, commands ignored until end of transaction block' };

interface Portal {
  statement: PreparedStatement;
  params: Array<string | Uint8Array | null>;
  resultFormats: FormatCode[];
  /** Rows not sent yet, once executed. */
  remaining: Cell[][] | null;
  fields: FieldDescription[] | null;
  tag: string;
}

interface Outcome {
  fields: FieldDescription[] | null;
  rows: Cell[][];
  tag: string;
}

/** A scripted fake server speaking real protocol bytes; see the file comment. */
export class FakeBackend implements TransportHandler {
  /** Every message received from the client, in order (copies). */
  readonly received: FrontendMessage[] = [];
  /** The decoder; set `decoder.expect` to 'sasl-initial' / 'sasl' before the client answers a SASL request. */
  readonly decoder = new FrontendDecoder();
  /** The rules the emulation answers with. */
  readonly script: ReplyScript;
  /** Every statement the emulation ran (Describe and Parse excluded), in order. */
  readonly executed: StatementCall[] = [];
  /** The transport, once connected. */
  transport: Transport | null = null;
  /** Set when the connection ended: null for a clean close, the Error otherwise; undefined while open. */
  lostReason: Error | null | undefined = undefined;
  /** The transaction status the emulation reports in ReadyForQuery. */
  transactionStatus: TransactionStatus = 'I';
  /** The process id sent in BackendKeyData (0 before {@link acceptStartup}). */
  processId = 0;
  /** The secret key sent in BackendKeyData. */
  secretKey: Uint8Array = new Uint8Array(0);
  private readonly startup: false | StartupReply;
  private readonly serving: boolean;
  private readonly onCancelRequest: FakeBackendOptions['onCancelRequest'];
  private readonly handlers = new Map<FrontendMessageType, MessageHandler[]>();
  private readonly writer = new ByteWriter();
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly savepointStack: string[] = [];
  private inbox: FrontendMessage[] = [];
  private holding = false;
  private skipping = false;
  private out: BackendMessage[] = [];
  private override: Reply | null = null;
  /** Set once the server side closed or reset the connection: nothing more is answered. */
  private ended = false;

  constructor(options: FakeBackendOptions = {}) {
    this.startup = options.startup === undefined || options.startup === false ? false : options.startup === true ? {} : options.startup;
    this.serving = options.serve ?? false;
    this.script = options.script ?? new ReplyScript();
    this.onCancelRequest = options.onCancelRequest;
  }

  // ------------------------------------------------------------ TransportHandler

  /** The transport is up (called by the transport). */
  connectionMade(transport: Transport): void {
    this.transport = transport;
  }

  /** Client bytes (called by the transport): decoded, recorded and dispatched. */
  dataReceived(bytes: Uint8Array): void {
    this.decoder.feed(bytes);
    for (let m = this.decoder.next(); m !== null; m = this.decoder.next()) this.dispatch(copy(m));
  }

  /** The connection ended (called by the transport): records the reason. */
  connectionLost(reason: Error | null): void {
    this.lostReason = reason;
    this.transport = null;
  }

  // ------------------------------------------------------------ scripting and assertions

  /**
   * Calls `handler` for every later message of `type` instead of the
   * backend's default for that type (see the file comment); returns a
   * function that unregisters it. A handler may still pass the message on
   * with {@link serveMessage}.
   */
  onMessage<T extends FrontendMessageType>(type: T, handler: MessageHandler<T>): () => void {
    const list = this.handlers.get(type) ?? [];
    const h = handler as unknown as MessageHandler;
    list.push(h);
    this.handlers.set(type, list);
    return () => {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The received messages of one type. */
  receivedOf<T extends FrontendMessageType>(type: T): Array<Extract<FrontendMessage, { type: T }>> {
    return this.received.filter((m): m is Extract<FrontendMessage, { type: T }> => m.type === type);
  }

  /** The types of the received messages, in order (e.g. `['StartupMessage', 'Parse', 'Describe', ...]`). */
  receivedTypes(): string[] {
    return this.received.map((m) => m.type);
  }

  /** The statements prepared on the emulated server now, by name (Close and DISCARD ALL remove them). */
  get prepared(): ReadonlyMap<string, PreparedStatement> {
    return this.statements;
  }

  /** The open savepoints of the emulated transaction, outermost first. */
  get savepoints(): readonly string[] {
    return this.savepointStack;
  }

  /** The complete rounds waiting while held, oldest first. */
  get held(): Round[] {
    const rounds: Round[] = [];
    const parsed = new Map<string, string>();
    let messages: FrontendMessage[] = [];
    for (const m of this.inbox) {
      messages.push(m);
      if (m.type === 'Sync' || m.type === 'Query') {
        rounds.push({ messages, sql: roundSql(messages, parsed, this.statements) });
        messages = [];
      }
    }
    return rounds;
  }

  /** Whether query messages are being held (see {@link hold}). */
  get holdingRounds(): boolean {
    return this.holding;
  }

  // ------------------------------------------------------------ sending

  /** Writes the messages to the client in one write. Throws if not connected. */
  send(...msgs: BackendMessage[]): void {
    for (const m of msgs) writeBackend(this.writer, m);
    this.sendRaw(this.writer.finish());
  }

  /** Writes raw bytes (e.g. the one-byte answer to SSLRequest, or deliberately broken data). Throws if not connected. */
  sendRaw(bytes: Uint8Array): void {
    if (this.transport === null) throw new Error('FakeBackend: not connected');
    this.transport.write(bytes);
  }

  /**
   * NegotiateProtocolVersion when `opts.protocolVersion` asks for it (see
   * {@link StartupReply.protocolVersion}), AuthenticationOk, ParameterStatus
   * for each parameter, BackendKeyData, ReadyForQuery('I'), in one write.
   */
  acceptStartup(opts: StartupReply = {}): void {
    const parameters = { ...DEFAULT_PARAMETERS, ...opts.parameters };
    this.processId = opts.processId ?? 4242;
    this.secretKey = opts.secretKey ?? Uint8Array.of(1, 2, 3, 4);
    this.send(
      ...this.negotiation(opts.protocolVersion),
      { type: 'AuthenticationOk' },
      ...Object.entries(parameters).map(([name, value]): BackendMessage => ({ type: 'ParameterStatus', name, value })),
      { type: 'BackendKeyData', processId: this.processId, secretKey: this.secretKey },
      { type: 'ReadyForQuery', status: 'I' },
    );
  }

  /** What a server speaking `speaks` answers first to the last StartupMessage: NegotiateProtocolVersion, or nothing. */
  private negotiation(speaks: ProtocolVersion | undefined): BackendMessage[] {
    const startup = this.receivedOf('StartupMessage').at(-1);
    if (speaks === undefined || startup === undefined) return [];
    const asked = (startup.protocolVersion ?? PROTOCOL_3_0) & 0xffff;
    const unrecognizedOptions = Object.keys(startup.parameters).filter((k) => k.startsWith('_pq_.'));
    if (asked <= minorOf(speaks) && unrecognizedOptions.length === 0) return [];
    return [{ type: 'NegotiateProtocolVersion', minorVersion: Math.min(asked, minorOf(speaks)), unrecognizedOptions }];
  }

  /**
   * Manual mode: answers a simple Query: for each result, RowDescription +
   * DataRows + CommandComplete (or an ErrorResponse, which ends the batch as
   * on a real server), then ReadyForQuery('I'). No results = EmptyQueryResponse.
   */
  replyToSimpleQuery(...results: ResultSpec[]): void {
    this.replyToSimpleQueryWithStatus('I', ...results);
  }

  /** {@link replyToSimpleQuery} ending with the given transaction status. */
  replyToSimpleQueryWithStatus(status: TransactionStatus, ...results: ResultSpec[]): void {
    const out: BackendMessage[] = results.length === 0 ? [{ type: 'EmptyQueryResponse' }] : [];
    for (const r of results) {
      if (isError(r)) {
        out.push(errorResponse(r.error));
        break;
      }
      out.push(...resultMessages(r, true));
    }
    out.push({ type: 'ReadyForQuery', status });
    this.send(...out);
  }

  /**
   * Manual mode: answers one Parse/Bind/Describe/Execute/Sync round:
   * ParseComplete (unless `parse: false`), ParameterDescription when
   * `paramTypes` is given, BindComplete, RowDescription or NoData (unless
   * `describe: false`), DataRows (text), CommandComplete; an `error`
   * replaces all of them. Ends with ReadyForQuery (`status`, default 'I').
   */
  replyToExtended(r: ResultSpec & { parse?: boolean; describe?: boolean; status?: TransactionStatus }): void {
    const out: BackendMessage[] = [];
    if (isError(r)) {
      out.push(errorResponse(r.error));
    } else {
      if (r.parse !== false) out.push({ type: 'ParseComplete' });
      if (r.paramTypes !== undefined) out.push({ type: 'ParameterDescription', typeOids: r.paramTypes });
      out.push({ type: 'BindComplete' });
      if (r.describe !== false) out.push(r.fields ? { type: 'RowDescription', fields: r.fields.map(field) } : { type: 'NoData' });
      out.push(...resultMessages(r, false));
    }
    out.push({ type: 'ReadyForQuery', status: r.status ?? 'I' });
    this.send(...out);
  }

  /** Sends a NotificationResponse (LISTEN/NOTIFY), from this backend's process id unless given. */
  notify(channel: string, payload = '', processId = this.processId): void {
    this.send({ type: 'NotificationResponse', processId, channel, payload });
  }

  /** Sends a NoticeResponse (severity NOTICE, SQLSTATE 00000 unless `fields` say otherwise). */
  notice(fields: RawFields): void {
    this.send({ type: 'NoticeResponse', fields: { S: 'NOTICE', V: 'NOTICE', C: '00000', M: 'notice', ...fields } });
  }

  /** Sends a ParameterStatus (a server setting changed, e.g. after SET TimeZone). */
  parameterStatus(name: string, value: string): void {
    this.send({ type: 'ParameterStatus', name, value });
  }

  /**
   * Ends the session as `pg_terminate_backend` does: a FATAL ErrorResponse
   * (57P01 unless `fields` say otherwise), then the server closes the connection.
   */
  kill(fields: RawFields = {}): void {
    this.send(errorResponse({ S: 'FATAL', V: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command', ...fields }));
    this.close();
  }

  /** Closes the connection from the server side (FIN; the client sees a clean end of stream). */
  close(): void {
    this.ended = true;
    this.inbox = [];
    this.transport?.close();
  }

  /** Resets the connection at once (the client sees a connection reset, as when a network drops it). */
  reset(): void {
    this.ended = true;
    this.inbox = [];
    this.transport?.abort();
  }

  // ------------------------------------------------------------ holding

  /** Holds the query messages from now on: nothing is answered until {@link answerNext} or {@link resume}. */
  hold(): void {
    this.holding = true;
  }

  /** Stops holding and answers everything held, in order. */
  resume(): void {
    this.holding = false;
    this.pump();
  }

  /**
   * Answers the oldest held round (up to its Sync, or one Query), with
   * `override` instead of the script for the statements it executes when
   * given. Keeps holding the rest.
   * @throws Error when no complete round is held.
   */
  answerNext(override?: Reply): void {
    const end = this.inbox.findIndex((m) => m.type === 'Sync' || m.type === 'Query');
    if (end < 0) throw new Error('FakeBackend.answerNext: no complete round is held');
    const round = this.inbox.splice(0, end + 1);
    this.override = override ?? null;
    try {
      for (const m of round) this.process(m);
    } finally {
      this.override = null;
    }
  }

  /**
   * What a CancelRequest for this backend does: the oldest held round (the
   * statement "running") fails now with `fields` (default 57014,
   * query_canceled). Returns false, changing nothing, when no round is held
   * (nothing is running: a server ignores such a cancel).
   */
  interrupt(fields: RawFields = { C: '57014', M: 'canceling statement due to user request' }): boolean {
    const round = this.held[0];
    if (round === undefined) return false;
    const executes = round.messages.some((m) => m.type === 'Execute' || m.type === 'Query');
    this.answerNext({ error: fields, at: executes ? 'execute' : 'parse' });
    return true;
  }

  // ------------------------------------------------------------ the default behaviour

  /**
   * The backend's default for `m` (used when no handler took its type): see
   * the file comment. A handler may call it to pass a message on.
   */
  serveMessage(m: FrontendMessage): void {
    switch (m.type) {
      case 'SSLRequest':
      case 'GSSENCRequest':
        return this.sendRaw(Uint8Array.of(0x4e)); // 'N'
      case 'StartupMessage':
        if (this.startup !== false) this.acceptStartup(this.startup);
        return;
      case 'CancelRequest':
        if (this.onCancelRequest === undefined) return;
        this.onCancelRequest(m, this);
        return this.close();
      case 'Terminate':
        if (this.serving) this.close();
        return;
      default:
        if (!this.serving || !QUERY_MESSAGES.has(m.type)) return;
        this.inbox.push(m);
        return this.pump();
    }
  }

  private dispatch(m: FrontendMessage): void {
    this.received.push(m);
    const list = this.handlers.get(m.type);
    if (list !== undefined && list.length > 0) {
      for (const h of [...list]) h(m, this);
    } else {
      this.serveMessage(m);
    }
  }

  private pump(): void {
    while (!this.holding && this.inbox.length > 0) this.process(this.inbox.shift()!);
  }

  // ------------------------------------------------------------ the emulation

  private process(m: FrontendMessage): void {
    if (this.transport === null || this.ended) return;
    if (this.skipping && m.type !== 'Sync') return;
    switch (m.type) {
      case 'Query': return this.simpleQuery(m.sql);
      case 'Parse': return this.parse(m);
      case 'Bind': return this.bind(m);
      case 'Describe': return this.describe(m);
      case 'Execute': return this.execute(m);
      case 'Close':
        if (m.target === 'S') this.statements.delete(m.name);
        else this.portals.delete(m.name);
        this.out.push({ type: 'CloseComplete' });
        return;
      case 'Flush': return this.flushOut();
      case 'Sync':
        this.skipping = false;
        if (this.transactionStatus === 'I') this.portals.clear();
        this.out.push({ type: 'ReadyForQuery', status: this.transactionStatus });
        return this.flushOut();
      default:
        return;
    }
  }

  private flushOut(): void {
    if (this.out.length > 0 && this.transport !== null) this.send(...this.out.splice(0));
  }

  /** Reports an error: the rest of the round is skipped; a transaction block fails (a COMMIT or ROLLBACK ends it). */
  private fail(fields: RawFields, sql?: string): void {
    this.out.push(errorResponse(fields));
    this.skipping = true;
    const first = sql === undefined ? '' : words(sql)[0];
    if (first === 'COMMIT' || first === 'END' || first === 'ROLLBACK' || first === 'ABORT') this.endTransaction();
    else if (this.transactionStatus === 'T') this.transactionStatus = 'E';
    if (fields.S === 'FATAL') {
      this.flushOut(); // a FATAL error ends the session: no ReadyForQuery follows
      this.close();
    }
  }

  private simpleQuery(sql: string): void {
    const statements = splitStatements(sql);
    if (statements.length === 0) this.out.push({ type: 'EmptyQueryResponse' });
    for (const s of statements) {
      const r = this.run(s, [], 'simple', null);
      if (r === null) break;
      if (r.fields !== null) this.out.push({ type: 'RowDescription', fields: r.fields });
      for (const row of r.rows) this.out.push(dataRow(row, r.fields, []));
      this.out.push({ type: 'CommandComplete', tag: r.tag });
    }
    this.skipping = false;
    if (this.transactionStatus === 'I') this.portals.clear();
    this.out.push({ type: 'ReadyForQuery', status: this.transactionStatus });
    this.flushOut();
  }

  /** The shape of `sql` (fields, parameter types, an error at `phase`), without executing it. */
  private describeCall(sql: string, params: ReadonlyArray<string | Uint8Array | null>, phase: 'parse' | 'bind'): ResultSpec {
    const o = this.override;
    if (o !== null && typeof o !== 'function' && failsAt(o, phase)) return o;
    return this.script.resolve({ sql, params, protocol: 'extended', describing: true, transactionStatus: this.transactionStatus, processId: this.processId });
  }

  private parse(m: Extract<FrontendMessage, { type: 'Parse' }>): void {
    if (m.name !== '' && this.statements.has(m.name)) return this.fail({ C: '42P05', M: `prepared statement "${m.name}" already exists` });
    if (splitStatements(m.sql).length > 1) return this.fail({ C: '42601', M: 'cannot insert multiple commands into a prepared statement' });
    if (this.aborted(m.sql)) return this.fail(IN_FAILED);
    const r = this.describeCall(m.sql, [], 'parse');
    if (failsAt(r, 'parse')) return this.fail((r as { error: RawFields }).error, m.sql);
    const inferred = r.paramTypes ?? inferParamTypes(m.sql);
    const n = Math.max(m.paramTypes.length, inferred.length);
    const paramTypes = Array.from({ length: n }, (_, i) => (m.paramTypes[i] || inferred[i]) ?? 25);
    this.statements.set(m.name, { sql: m.sql, paramTypes, fields: r.fields?.map(field) ?? null });
    this.out.push({ type: 'ParseComplete' });
  }

  private bind(m: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const st = this.statements.get(m.statement);
    if (st === undefined) return this.fail({ C: '26000', M: `prepared statement "${m.statement}" does not exist` });
    if (this.aborted(st.sql)) return this.fail(IN_FAILED);
    if (m.params.length !== st.paramTypes.length) {
      return this.fail({ C: '08P01', M: `bind message supplies ${m.params.length} parameters, but prepared statement "${m.statement}" requires ${st.paramTypes.length}` });
    }
    const params = m.params.map((p, i) => (p === null || formatAt(m.paramFormats, i) === 1 || typeof p === 'string' ? p : utf8Decode(p)));
    const r = this.describeCall(st.sql, params, 'bind');
    if (failsAt(r, 'bind')) return this.fail((r as { error: RawFields }).error, st.sql);
    if (r.fields !== undefined && !sameShape(st.fields, r.fields.map(field))) return this.fail({ C: '0A000', M: 'cached plan must not change result type' }, st.sql);
    const n = st.fields?.length ?? 0;
    const resultFormats = Array.from({ length: n }, (_, i) => formatAt(m.resultFormats, i));
    this.portals.set(m.portal, { statement: st, params, resultFormats, remaining: null, fields: null, tag: '' });
    this.out.push({ type: 'BindComplete' });
  }

  private describe(m: Extract<FrontendMessage, { type: 'Describe' }>): void {
    if (m.target === 'S') {
      const st = this.statements.get(m.name);
      if (st === undefined) return this.fail({ C: '26000', M: `prepared statement "${m.name}" does not exist` });
      this.out.push({ type: 'ParameterDescription', typeOids: [...st.paramTypes] });
      this.out.push(st.fields === null ? { type: 'NoData' } : { type: 'RowDescription', fields: st.fields.map((f) => ({ ...f, format: 0 })) });
      return;
    }
    const portal = this.portals.get(m.name);
    if (portal === undefined) return this.fail({ C: '34000', M: `portal "${m.name}" does not exist` });
    const fields = portal.statement.fields;
    this.out.push(fields === null ? { type: 'NoData' } : { type: 'RowDescription', fields: fields.map((f, i) => ({ ...f, format: portal.resultFormats[i] ?? 0 })) });
  }

  private execute(m: Extract<FrontendMessage, { type: 'Execute' }>): void {
    const portal = this.portals.get(m.portal);
    if (portal === undefined) return this.fail({ C: '34000', M: `portal "${m.portal}" does not exist` });
    if (portal.remaining === null) {
      const r = this.run(portal.statement.sql, portal.params, 'extended', portal.statement);
      if (r === null) return;
      portal.remaining = r.rows;
      portal.fields = r.fields;
      portal.tag = r.tag;
    }
    const limit = m.maxRows > 0 ? m.maxRows : Infinity;
    const rows = portal.remaining.splice(0, limit);
    for (const row of rows) this.out.push(dataRow(row, portal.fields, portal.resultFormats));
    if (rows.length === limit) this.out.push({ type: 'PortalSuspended' });
    else this.out.push({ type: 'CommandComplete', tag: portal.tag });
  }

  /** Whether the failed transaction refuses `sql` (everything but COMMIT and ROLLBACK). */
  private aborted(sql: string): boolean {
    if (this.transactionStatus !== 'E') return false;
    const first = words(sql)[0];
    return !(first === 'COMMIT' || first === 'END' || first === 'ROLLBACK' || first === 'ABORT');
  }

  /** Executes one statement: its result, or null after reporting its error. */
  private run(sql: string, params: ReadonlyArray<string | Uint8Array | null>, protocol: 'simple' | 'extended', prepared: PreparedStatement | null): Outcome | null {
    if (this.aborted(sql)) {
      this.fail(IN_FAILED);
      return null;
    }
    const call: StatementCall = { sql, params, protocol, describing: false, transactionStatus: this.transactionStatus, processId: this.processId };
    const o = this.override;
    const r = o === null ? this.script.resolve(call) : typeof o === 'function' ? o(call) : o;
    this.executed.push(call);
    if (isError(r)) {
      this.fail(r.error, sql);
      return null;
    }
    const effect = this.transactionEffect(sql);
    if (effect !== null && 'error' in effect) {
      this.fail(effect.error, sql);
      return null;
    }
    const fields = r.fields?.map(field) ?? prepared?.fields?.slice() ?? null;
    const rows = [...(r.rows ?? [])]; // a copy: an Execute with a row limit consumes it
    return { fields, rows, tag: r.tag ?? effect?.tag ?? defaultTag(sql, rows.length, fields !== null) };
  }

  /** Applies a transaction-control or session statement; its tag, an error, or null for other statements. */
  private transactionEffect(sql: string): { tag?: string } | { error: RawFields } | null {
    const w = words(sql);
    const name = (i: number): string => (w[i] ?? '').replace(/^"|"$/g, '').toLowerCase();
    const outside = (what: string): { error: RawFields } => ({ error: { C: '25P01', M: `${what} can only be used in transaction blocks` } });
    const missing = (sp: string): { error: RawFields } => ({ error: { C: '3B001', M: `savepoint "${sp}" does not exist` } });
    switch (w[0]) {
      case 'BEGIN':
      case 'START':
        if (this.transactionStatus === 'I') this.transactionStatus = 'T';
        return {};
      case 'COMMIT':
      case 'END': {
        const tag = this.transactionStatus === 'E' ? 'ROLLBACK' : 'COMMIT';
        this.endTransaction();
        return { tag };
      }
      case 'ROLLBACK':
      case 'ABORT': {
        if (w[1] !== 'TO') {
          this.endTransaction();
          return { tag: 'ROLLBACK' };
        }
        if (this.transactionStatus === 'I') return outside('ROLLBACK TO SAVEPOINT');
        const sp = name(w[2] === 'SAVEPOINT' ? 3 : 2);
        const at = this.savepointStack.lastIndexOf(sp);
        if (at < 0) return missing(sp);
        this.savepointStack.length = at + 1;
        this.transactionStatus = 'T';
        return { tag: 'ROLLBACK' };
      }
      case 'SAVEPOINT':
        if (this.transactionStatus === 'I') return outside('SAVEPOINT');
        this.savepointStack.push(name(1));
        return {};
      case 'RELEASE': {
        if (this.transactionStatus === 'I') return outside('RELEASE SAVEPOINT');
        const sp = name(w[1] === 'SAVEPOINT' ? 2 : 1);
        const at = this.savepointStack.lastIndexOf(sp);
        if (at < 0) return missing(sp);
        this.savepointStack.length = at;
        return {};
      }
      case 'DISCARD':
        if (this.transactionStatus !== 'I') return { error: { C: '25001', M: `DISCARD ${w[1] ?? ''} cannot run inside a transaction block`.replace('  ', ' ') } };
        if (w[1] === 'ALL' || w[1] === 'PLANS') this.statements.clear();
        if (w[1] === 'ALL') this.portals.clear();
        return {};
      case 'DEALLOCATE': {
        const target = name(w[1] === 'PREPARE' ? 2 : 1);
        if (target === 'all') this.statements.clear();
        else this.statements.delete(target);
        return {};
      }
      default:
        return null;
    }
  }

  private endTransaction(): void {
    this.transactionStatus = 'I';
    this.savepointStack.length = 0;
  }
}

/** The SQL a round executes: each Query's, and the statement of each Bind that an Execute follows. */
function roundSql(messages: readonly FrontendMessage[], parsed: Map<string, string>, statements: ReadonlyMap<string, PreparedStatement>): string[] {
  const out: string[] = [];
  let bound: string | null = null;
  for (const m of messages) {
    if (m.type === 'Query') out.push(m.sql);
    else if (m.type === 'Parse') parsed.set(m.name, m.sql);
    else if (m.type === 'Bind') bound = parsed.get(m.statement) ?? statements.get(m.statement)?.sql ?? null;
    else if (m.type === 'Execute' && bound !== null) out.push(bound);
  }
  return out;
}

/** The format of item `i` under a Bind's format list: none = text, one = all, else per item. */
function formatAt(formats: readonly FormatCode[], i: number): FormatCode {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0];
  return formats[i] ?? 0;
}

function dataRow(row: readonly Cell[], fields: readonly FieldDescription[] | null, formats: readonly FormatCode[]): BackendMessage {
  return { type: 'DataRow', fields: row.map((c, i) => cellBytes(c, fields?.[i]?.typeOid ?? 25, formats[i] ?? 0)) };
}

/** Whether a statement prepared with columns `a` can still produce columns `b` (names and types). */
function sameShape(a: readonly FieldDescription[] | null, b: readonly FieldDescription[]): boolean {
  if (a === null) return b.length === 0;
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.typeOid === b[i].typeOid);
}

function resultMessages(r: RowsSpec, withDescription: boolean): BackendMessage[] {
  const out: BackendMessage[] = [];
  if (withDescription && r.fields !== undefined) out.push({ type: 'RowDescription', fields: r.fields.map(field) });
  for (const row of r.rows ?? []) out.push(dataRow(row, null, []));
  out.push({ type: 'CommandComplete', tag: r.tag ?? `SELECT ${r.rows?.length ?? 0}` });
  return out;
}

function copy<T>(m: T): T {
  if (m instanceof Uint8Array) return m.slice() as T;
  if (Array.isArray(m)) return m.map(copy) as T;
  if (m !== null && typeof m === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m)) out[k] = copy(v);
    return out as T;
  }
  return m;
}
