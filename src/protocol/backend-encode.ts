/**
 * Backend encoder: {@link BackendMessage} -> bytes, the server's side of the codec.
 *
 * The client never sends these; they exist so the fake backend of the test
 * suite (and users' mock servers) speak real wire bytes through the same
 * decoder the client uses. Golden vectors captured from a real server check
 * that this encoder and the decoder do not share a mistake.
 */
import { InterfaceError } from '../errors/base';
import { ByteWriter } from '../util/bytes';
import { AuthCode, B } from './codes';
import type { BackendMessage, FormatCode, RawFields } from './messages';
import { encodeReplication } from './replication';

type Msg<T extends BackendMessage['type']> = Extract<BackendMessage, { type: T }>;

const shared = new ByteWriter(4096);

/** Encodes one backend message into a fresh Uint8Array. */
export function encodeBackend(msg: BackendMessage): Uint8Array {
  writeBackend(shared, msg);
  return shared.finish();
}

/** Appends one backend message to `w`. Throws InterfaceError for an unknown type. */
export function writeBackend(w: ByteWriter, msg: BackendMessage): void {
  const at = w.length;
  try {
    writeBackendUnchecked(w, msg);
  } catch (e) {
    w.truncate(at);
    throw e;
  }
}

function writeBackendUnchecked(w: ByteWriter, msg: BackendMessage): void {
  if (msg.type.startsWith('Authentication')) return writeAuth(w, msg as Extract<BackendMessage, { type: `Authentication${string}` }>);
  switch (msg.type) {
    case 'BackendKeyData': w.beginMessage(B.BackendKeyData).i32(msg.processId).bytes(msg.secretKey).endMessage(); return;
    case 'ParameterStatus': w.beginMessage(B.ParameterStatus).cstring(msg.name).cstring(msg.value).endMessage(); return;
    case 'ReadyForQuery': w.beginMessage(B.ReadyForQuery).u8(msg.status.charCodeAt(0)).endMessage(); return;
    case 'RowDescription': return writeRowDescription(w, msg);
    case 'DataRow': return writeDataRow(w, msg.fields);
    case 'CommandComplete': w.beginMessage(B.CommandComplete).cstring(msg.tag).endMessage(); return;
    case 'EmptyQueryResponse': return empty(w, B.EmptyQueryResponse);
    case 'ErrorResponse': return writeFields(w, B.ErrorResponse, msg.fields);
    case 'NoticeResponse': return writeFields(w, B.NoticeResponse, msg.fields);
    case 'NotificationResponse':
      w.beginMessage(B.NotificationResponse).i32(msg.processId).cstring(msg.channel).cstring(msg.payload).endMessage();
      return;
    case 'ParseComplete': return empty(w, B.ParseComplete);
    case 'BindComplete': return empty(w, B.BindComplete);
    case 'CloseComplete': return empty(w, B.CloseComplete);
    case 'NoData': return empty(w, B.NoData);
    case 'ParameterDescription': return writeParameterDescription(w, msg.typeOids);
    case 'PortalSuspended': return empty(w, B.PortalSuspended);
    case 'CopyInResponse': return writeCopyResponse(w, B.CopyInResponse, msg);
    case 'CopyOutResponse': return writeCopyResponse(w, B.CopyOutResponse, msg);
    case 'CopyBothResponse': return writeCopyResponse(w, B.CopyBothResponse, msg);
    case 'CopyData': w.beginMessage(B.CopyData).bytes(msg.data).endMessage(); return;
    case 'CopyDone': return empty(w, B.CopyDone);
    case 'NegotiateProtocolVersion': return writeNegotiate(w, msg);
    case 'FunctionCallResponse': return writeFunctionCallResponse(w, msg.result);
    case 'XLogData':
    case 'PrimaryKeepalive':
      w.beginMessage(B.CopyData).bytes(encodeReplication(msg)).endMessage(); // a copy-both sub-message rides in CopyData
      return;
    default: throw new InterfaceError(`cannot encode unknown backend message ${JSON.stringify((msg as { type?: unknown }).type)}`);
  }
}

function writeAuth(w: ByteWriter, msg: Extract<BackendMessage, { type: `Authentication${string}` }>): void {
  w.beginMessage(B.Authentication);
  switch (msg.type) {
    case 'AuthenticationOk': w.i32(AuthCode.Ok); break;
    case 'AuthenticationKerberosV5': w.i32(AuthCode.KerberosV5); break;
    case 'AuthenticationCleartextPassword': w.i32(AuthCode.CleartextPassword); break;
    case 'AuthenticationMD5Password': w.i32(AuthCode.MD5Password).bytes(msg.salt); break;
    case 'AuthenticationGSS': w.i32(AuthCode.GSS); break;
    case 'AuthenticationGSSContinue': w.i32(AuthCode.GSSContinue).bytes(msg.data); break;
    case 'AuthenticationSSPI': w.i32(AuthCode.SSPI); break;
    case 'AuthenticationSASL':
      w.i32(AuthCode.SASL);
      for (const m of msg.mechanisms) w.cstring(m);
      w.u8(0);
      break;
    case 'AuthenticationSASLContinue': w.i32(AuthCode.SASLContinue).bytes(msg.data); break;
    case 'AuthenticationSASLFinal': w.i32(AuthCode.SASLFinal).bytes(msg.data); break;
  }
  w.endMessage();
}

function empty(w: ByteWriter, type: B): void {
  w.beginMessage(type).endMessage();
}

function writeRowDescription(w: ByteWriter, msg: Msg<'RowDescription'>): void {
  w.beginMessage(B.RowDescription).i16(msg.fields.length);
  for (const f of msg.fields) {
    w.cstring(f.name).i32(f.tableOid).i16(f.columnAttr).i32(f.typeOid).i16(f.typeSize).i32(f.typeModifier).i16(f.format);
  }
  w.endMessage();
}

function writeDataRow(w: ByteWriter, fields: ReadonlyArray<Uint8Array | null>): void {
  w.beginMessage(B.DataRow).i16(fields.length);
  for (const f of fields) {
    if (f === null) w.i32(-1);
    else w.i32(f.length).bytes(f);
  }
  w.endMessage();
}

function writeFields(w: ByteWriter, type: B, fields: RawFields): void {
  w.beginMessage(type);
  for (const tag of Object.keys(fields)) w.u8(tag.charCodeAt(0)).cstring(fields[tag]);
  w.u8(0).endMessage();
}

function writeParameterDescription(w: ByteWriter, oids: readonly number[]): void {
  w.beginMessage(B.ParameterDescription).i16(oids.length);
  for (const oid of oids) w.i32(oid);
  w.endMessage();
}

function writeCopyResponse(w: ByteWriter, type: B, msg: { format: FormatCode; columnFormats: FormatCode[] }): void {
  w.beginMessage(type).u8(msg.format).i16(msg.columnFormats.length);
  for (const f of msg.columnFormats) w.i16(f);
  w.endMessage();
}

function writeNegotiate(w: ByteWriter, msg: Msg<'NegotiateProtocolVersion'>): void {
  w.beginMessage(B.NegotiateProtocolVersion).i32((3 << 16) | msg.minorVersion).i32(msg.unrecognizedOptions.length);
  for (const o of msg.unrecognizedOptions) w.cstring(o);
  w.endMessage();
}

function writeFunctionCallResponse(w: ByteWriter, result: Uint8Array | null): void {
  w.beginMessage(B.FunctionCallResponse);
  if (result === null) w.i32(-1);
  else w.i32(result.length).bytes(result);
  w.endMessage();
}
