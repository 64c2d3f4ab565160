/**
 * FakeBackend: a scripted PostgreSQL server for unit tests.
 *
 * Theory of operation. FakeBackend is a {@link TransportHandler}: plug it in
 * as the server end of an in-memory transport (VirtualReactor's, or any
 * Transport). Bytes from the client go through the real
 * {@link FrontendDecoder}; each decoded message is COPIED (so it outlives
 * the decoder's buffer), appended to {@link FakeBackend.received}, and then
 * handed to the handlers registered with {@link FakeBackend.onMessage} for
 * its type, in registration order. Replies are real wire bytes from the
 * backend encoder, written with {@link FakeBackend.send} (one write per
 * call, however many messages). With no handler, an SSLRequest or
 * GSSENCRequest is answered 'N' (refused), as a server without TLS/GSS does;
 * nothing else is answered unless scripted.
 *
 * Typical script:
 *
 *   const be = new FakeBackend();
 *   be.onMessage('StartupMessage', () => be.acceptStartup());
 *   be.onMessage('Query', () => be.replyToSimpleQuery({ fields: ['n'], rows: [['1']] }));
 */
import type { Transport, TransportHandler } from '../../reactor/interfaces';
import { writeBackend } from '../../src/protocol/backend-encode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import type { BackendMessage, FieldDescription, FrontendMessage, FrontendMessageType, RawFields } from '../../src/protocol/messages';
import { ByteWriter, utf8Encode } from '../../src/util/bytes';

/** A handler for one kind of client message. */
export type MessageHandler<T extends FrontendMessageType = FrontendMessageType> = (msg: Extract<FrontendMessage, { type: T }>, backend: FakeBackend) => void;

/** A column: a name (text, OID 25) or a partial description. */
export type FieldSpec = string | (Partial<FieldDescription> & { name: string });
/** A cell: text (sent as UTF-8), raw bytes, or NULL. */
export type Cell = string | Uint8Array | null;

/** One statement's result for the canned replies. */
export type ResultSpec =
  | { fields?: FieldSpec[]; rows?: Cell[][]; tag?: string }
  | { error: RawFields };

/** Options of {@link FakeBackend.acceptStartup}. */
export interface StartupReply {
  parameters?: Record<string, string>;
  processId?: number;
  secretKey?: Uint8Array;
}

const DEFAULT_PARAMETERS: Record<string, string> = {
  server_version: '15.18',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  TimeZone: 'UTC',
};

/** A scripted fake server speaking real protocol bytes. */
export class FakeBackend implements TransportHandler {
  /** Every message received from the client, in order (copies). */
  readonly received: FrontendMessage[] = [];
  /** The decoder; set `decoder.expect` to 'sasl-initial' / 'sasl' before the client answers a SASL request. */
  readonly decoder = new FrontendDecoder();
  /** The transport, once connected. */
  transport: Transport | null = null;
  /** Set when the connection ended: null for a clean close, the Error otherwise; undefined while open. */
  lostReason: Error | null | undefined = undefined;
  private readonly handlers = new Map<FrontendMessageType, MessageHandler[]>();
  private readonly writer = new ByteWriter();

  connectionMade(transport: Transport): void {
    this.transport = transport;
  }

  dataReceived(bytes: Uint8Array): void {
    this.decoder.feed(bytes);
    for (let m = this.decoder.next(); m !== null; m = this.decoder.next()) this.dispatch(copy(m));
  }

  connectionLost(reason: Error | null): void {
    this.lostReason = reason;
    this.transport = null;
  }

  /** Calls `handler` for every later message of `type`; returns a function that unregisters it. */
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

  /** Writes the messages to the client in one write. Throws if not connected. */
  send(...msgs: BackendMessage[]): void {
    for (const m of msgs) writeBackend(this.writer, m);
    this.sendRaw(this.writer.finish());
  }

  /** Writes raw bytes (e.g. the one-byte answer to SSLRequest, or deliberately broken data). */
  sendRaw(bytes: Uint8Array): void {
    if (this.transport === null) throw new Error('FakeBackend: not connected');
    this.transport.write(bytes);
  }

  /** AuthenticationOk, ParameterStatus for each parameter, BackendKeyData, ReadyForQuery('I'). */
  acceptStartup(opts: StartupReply = {}): void {
    const parameters = { ...DEFAULT_PARAMETERS, ...opts.parameters };
    this.send(
      { type: 'AuthenticationOk' },
      ...Object.entries(parameters).map(([name, value]): BackendMessage => ({ type: 'ParameterStatus', name, value })),
      { type: 'BackendKeyData', processId: opts.processId ?? 4242, secretKey: opts.secretKey ?? Uint8Array.of(1, 2, 3, 4) },
      { type: 'ReadyForQuery', status: 'I' },
    );
  }

  /**
   * Answers a simple Query: for each result, RowDescription + DataRows +
   * CommandComplete (or an ErrorResponse, which ends the batch as on a real
   * server), then ReadyForQuery with `status`. No results = EmptyQueryResponse.
   */
  replyToSimpleQuery(...results: ResultSpec[]): void {
    this.replyToSimpleQueryWithStatus('I', ...results);
  }

  /** {@link replyToSimpleQuery} ending with the given transaction status. */
  replyToSimpleQueryWithStatus(status: 'I' | 'T' | 'E', ...results: ResultSpec[]): void {
    const out: BackendMessage[] = results.length === 0 ? [{ type: 'EmptyQueryResponse' }] : [];
    for (const r of results) {
      if ('error' in r) {
        out.push(errorResponse(r.error));
        break;
      }
      out.push(...resultMessages(r, true));
    }
    out.push({ type: 'ReadyForQuery', status });
    this.send(...out);
  }

  /**
   * Answers one Parse/Bind/Describe/Execute/Sync round: ParseComplete (unless
   * `parse: false`), BindComplete, the Describe answer (ParameterDescription
   * when `paramTypes` is given, then RowDescription or NoData) unless
   * `describe: false`, DataRows, CommandComplete; an `error` replaces
   * everything after the step that failed. Ends with ReadyForQuery.
   */
  replyToExtended(r: ResultSpec & { parse?: boolean; describe?: boolean; paramTypes?: number[]; status?: 'I' | 'T' | 'E' }): void {
    const out: BackendMessage[] = [];
    if ('error' in r) {
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

  /** Closes the connection from the server side. */
  close(): void {
    this.transport?.close();
  }

  private dispatch(m: FrontendMessage): void {
    this.received.push(m);
    const list = this.handlers.get(m.type);
    if (list !== undefined && list.length > 0) {
      for (const h of [...list]) h(m, this);
    } else if (m.type === 'SSLRequest' || m.type === 'GSSENCRequest') {
      this.sendRaw(Uint8Array.of(0x4e)); // 'N'
    }
  }
}

function resultMessages(r: { fields?: FieldSpec[]; rows?: Cell[][]; tag?: string }, withDescription: boolean): BackendMessage[] {
  const out: BackendMessage[] = [];
  if (withDescription && r.fields !== undefined) out.push({ type: 'RowDescription', fields: r.fields.map(field) });
  for (const row of r.rows ?? []) out.push({ type: 'DataRow', fields: row.map(cell) });
  out.push({ type: 'CommandComplete', tag: r.tag ?? `SELECT ${r.rows?.length ?? 0}` });
  return out;
}

/** Builds a full FieldDescription; a bare name is a text column. */
export function field(f: FieldSpec): FieldDescription {
  const spec = typeof f === 'string' ? { name: f } : f;
  return { tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0, ...spec };
}

function cell(c: Cell): Uint8Array | null {
  return typeof c === 'string' ? utf8Encode(c) : c;
}

/** An ErrorResponse with sensible defaults (severity ERROR, SQLSTATE XX000). */
export function errorResponse(fields: RawFields): BackendMessage {
  return { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: 'XX000', M: 'error', ...fields } };
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
