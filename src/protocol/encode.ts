/**
 * Frontend encoder: {@link FrontendMessage} -> bytes.
 *
 * Theory of operation. Every message is appended to a {@link ByteWriter}
 * ({@link writeFrontend}), so the connection core can write a whole batch of
 * queued messages (Parse/Bind/Describe/Execute/Sync for several pipelined
 * queries) into one writer and hand the socket ONE buffer. The messages of
 * the query hot path have dedicated writers with no intermediate objects;
 * constant messages are pre-encoded ({@link SYNC}, {@link FLUSH},
 * {@link TERMINATE}, {@link SSL_REQUEST}, {@link GSSENC_REQUEST}).
 *
 * Errors: a string containing NUL where the protocol needs a C string, a
 * count above 65535 or an unknown message type throw InterfaceError.
 */
import { InterfaceError } from '../errors/base';
import { ByteWriter } from '../util/bytes';
import { F } from './codes';
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  SSL_REQUEST_CODE,
  type FormatCode,
  type FrontendMessage,
} from './messages';

type Msg<T extends FrontendMessage['type']> = Extract<FrontendMessage, { type: T }>;

const shared = new ByteWriter(4096);

/** Encodes one message into a fresh Uint8Array. */
export function encodeFrontend(msg: FrontendMessage): Uint8Array {
  writeFrontend(shared, msg);
  return shared.finish();
}

/** Appends one message to `w` (use one writer for a batch to get one coalesced write). On a throw, `w` is left as it was. */
export function writeFrontend(w: ByteWriter, msg: FrontendMessage): void {
  const at = w.length;
  try {
    writeFrontendUnchecked(w, msg);
  } catch (e) {
    w.truncate(at);
    throw e;
  }
}

function writeFrontendUnchecked(w: ByteWriter, msg: FrontendMessage): void {
  switch (msg.type) {
    case 'Parse': return writeParse(w, msg.name, msg.sql, msg.paramTypes);
    case 'Bind': return writeBind(w, msg);
    case 'Describe': return writeTargetName(w, F.Describe, msg.target, msg.name);
    case 'Execute': return writeExecute(w, msg.portal, msg.maxRows);
    case 'Sync': w.bytes(SYNC); return;
    case 'Flush': w.bytes(FLUSH); return;
    case 'Terminate': w.bytes(TERMINATE); return;
    case 'CopyDone': w.bytes(COPY_DONE); return;
    case 'Close': return writeTargetName(w, F.Close, msg.target, msg.name);
    case 'Query': w.beginMessage(F.Query).cstring(msg.sql).endMessage(); return;
    case 'CopyData': w.beginMessage(F.CopyData).bytes(msg.data).endMessage(); return;
    case 'CopyFail': w.beginMessage(F.CopyFail).cstring(msg.message).endMessage(); return;
    case 'PasswordMessage': w.beginMessage(F.Password).cstring(msg.password).endMessage(); return;
    case 'SASLInitialResponse': return writeSaslInitial(w, msg);
    case 'SASLResponse': w.beginMessage(F.Password).bytes(msg.data).endMessage(); return;
    case 'StartupMessage': return writeStartup(w, msg);
    case 'SSLRequest': w.bytes(SSL_REQUEST); return;
    case 'GSSENCRequest': w.bytes(GSSENC_REQUEST); return;
    case 'CancelRequest': return writeCancel(w, msg);
    case 'FunctionCall': return writeFunctionCall(w, msg);
    default: throw new InterfaceError(`cannot encode unknown frontend message ${JSON.stringify((msg as { type?: unknown }).type)}`);
  }
}

/** Appends a Parse ('P'): statement name, SQL text and parameter type OIDs (0 = let the server infer). */
export function writeParse(w: ByteWriter, name: string, sql: string, paramTypes: readonly number[]): void {
  w.beginMessage(F.Parse).cstring(name).cstring(sql).i16(count(paramTypes.length, 'parameter types'));
  for (let i = 0; i < paramTypes.length; i++) w.i32(paramTypes[i]);
  w.endMessage();
}

/** Appends a Bind ('B'). A string parameter is sent as UTF-8, a Uint8Array as raw bytes, null as length -1. */
export function writeBind(w: ByteWriter, msg: Msg<'Bind'>): void {
  w.beginMessage(F.Bind).cstring(msg.portal).cstring(msg.statement);
  writeFormats(w, msg.paramFormats, 'parameter formats');
  const params = msg.params;
  w.i16(count(params.length, 'parameters'));
  for (let i = 0; i < params.length; i++) writeValue(w, params[i]);
  writeFormats(w, msg.resultFormats, 'result formats');
  w.endMessage();
}

/** Appends an Execute ('E') of `portal` returning at most `maxRows` rows (0 = all). */
export function writeExecute(w: ByteWriter, portal: string, maxRows: number): void {
  w.beginMessage(F.Execute).cstring(portal).i32(maxRows).endMessage();
}

/** Appends a Describe ('D') or Close ('C') of a statement ('S') or portal ('P'). */
export function writeTargetName(w: ByteWriter, type: F, target: 'S' | 'P', name: string): void {
  if (target !== 'S' && target !== 'P') throw new InterfaceError(`target must be 'S' or 'P', not ${JSON.stringify(target)}`);
  w.beginMessage(type).u8(target.charCodeAt(0)).cstring(name).endMessage();
}

function writeValue(w: ByteWriter, v: string | Uint8Array | null): void {
  if (v === null) {
    w.i32(-1);
  } else if (typeof v === 'string') {
    const at = w.length;
    w.i32(0).string(v);
    w.patchLength(at);
  } else {
    w.i32(v.length).bytes(v);
  }
}

function writeFormats(w: ByteWriter, formats: readonly FormatCode[], what: string): void {
  w.i16(count(formats.length, what));
  for (let i = 0; i < formats.length; i++) w.i16(formats[i]);
}

function writeSaslInitial(w: ByteWriter, msg: Msg<'SASLInitialResponse'>): void {
  w.beginMessage(F.Password).cstring(msg.mechanism);
  if (msg.data === null) w.i32(-1);
  else w.i32(msg.data.length).bytes(msg.data);
  w.endMessage();
}

function writeStartup(w: ByteWriter, msg: Msg<'StartupMessage'>): void {
  w.beginMessage(0).i32(msg.protocolVersion ?? PROTOCOL_3_0);
  const keys = Object.keys(msg.parameters);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = msg.parameters[key];
    if (value === undefined) continue;
    w.cstring(key).cstring(value);
  }
  w.u8(0).endMessage();
}

function writeCancel(w: ByteWriter, msg: Msg<'CancelRequest'>): void {
  w.beginMessage(0).i32(CANCEL_REQUEST_CODE).i32(msg.processId).bytes(msg.secretKey).endMessage();
}

function writeFunctionCall(w: ByteWriter, msg: Msg<'FunctionCall'>): void {
  w.beginMessage(F.FunctionCall).i32(msg.functionOid);
  writeFormats(w, msg.argFormats, 'argument formats');
  w.i16(count(msg.args.length, 'arguments'));
  for (const a of msg.args) writeValue(w, a);
  w.i16(msg.resultFormat).endMessage();
}

function count(n: number, what: string): number {
  if (n > 0xffff) throw new InterfaceError(`too many ${what}: ${n} (the protocol allows 65535)`, { code: 'ERR_TOO_MANY_PARAMETERS' });
  return n;
}

function constant(fill: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(16);
  fill(w);
  return w.finish();
}

/** Sync ('S'): 53 00 00 00 04. */
export const SYNC: Uint8Array = constant((w) => w.beginMessage(F.Sync).endMessage());
/** Flush ('H'): 48 00 00 00 04. */
export const FLUSH: Uint8Array = constant((w) => w.beginMessage(F.Flush).endMessage());
/** Terminate ('X'): 58 00 00 00 04. */
export const TERMINATE: Uint8Array = constant((w) => w.beginMessage(F.Terminate).endMessage());
/** CopyDone ('c'): 63 00 00 00 04. */
export const COPY_DONE: Uint8Array = constant((w) => w.beginMessage(F.CopyDone).endMessage());
/** SSLRequest: 00 00 00 08 04 d2 16 2f. */
export const SSL_REQUEST: Uint8Array = constant((w) => w.beginMessage(0).i32(SSL_REQUEST_CODE).endMessage());
/** GSSENCRequest: 00 00 00 08 04 d2 16 30. */
export const GSSENC_REQUEST: Uint8Array = constant((w) => w.beginMessage(0).i32(GSSENC_REQUEST_CODE).endMessage());
