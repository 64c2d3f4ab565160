/**
 * Backend decoder: bytes from the server -> {@link BackendMessage}s.
 *
 * Theory of operation. {@link BackendDecoder} is fed chunks as they arrive
 * (`feed`) and hands out whole messages one at a time (`next`), returning
 * null when the next message is not complete yet. Framing and buffering are
 * in {@link FrameBuffer} (see framer.ts); here each message body is decoded
 * by a function picked from a 256-entry table keyed on the type byte, and the
 * decoder checks that the body was consumed exactly.
 *
 * Lifetime of bytes. `DataRow.fields`, `CopyData.data` and
 * `FunctionCallResponse.result` are subarray VIEWS of the decoder's internal
 * buffer (the caller's chunk is copied on feed and never referenced). They
 * stay valid until the next call to `feed()`; copy them (`slice()`) to keep
 * them longer. Small payloads that outlive a read (salts, SASL data, the
 * cancel key) are copied.
 *
 * Errors. Malformed input throws {@link ProtocolViolation}: a length below
 * 4, an unknown type byte or auth sub-code, a body shorter than its fields
 * claim, trailing bytes, an invalid status or format code; a length above
 * `maxMessageSize` throws {@link MessageTooLarge}. After a throw the decoder
 * is unusable (every call rethrows); the connection must be closed.
 */
import { ProtocolViolation } from '../errors/base';
import { readI32, type ByteReader } from '../util/bytes';
import type { BackendMessage, FieldDescription, FormatCode, RawFields } from './messages';
import { FrameBuffer, type DecoderOptions } from './framer';
import { MAX_CANCEL_KEY_LENGTH } from './versions';

export type { DecoderOptions } from './framer';

type Decode = (r: ByteReader) => BackendMessage;

/** Decoders by type byte. */
const TABLE: Array<Decode | undefined> = new Array<Decode | undefined>(256).fill(undefined);

/** Incremental decoder of the server's message stream. */
export class BackendDecoder extends FrameBuffer {
  constructor(options?: DecoderOptions) {
    super(options);
  }

  /** The next complete message, or null when more data is needed. Throws ProtocolViolation on malformed input. */
  next(): BackendMessage | null {
    if (this.failure !== null) throw this.failure;
    const f = this.frame(true);
    if (f === null) return null;
    const decode = TABLE[f.type];
    if (decode === undefined) this.fail(new ProtocolViolation(`unknown backend message type 0x${f.type.toString(16).padStart(2, '0')}`));
    let msg: BackendMessage;
    try {
      msg = decode(this.body(f));
    } catch (e) {
      this.fail(e);
    }
    this.checkConsumed(f, msg.type);
    return msg;
  }

  /**
   * Hands each whole CopyData message at the front of the buffer to `sink`
   * as its payload's bounds in `buf` (valid during the call only: copy what
   * you keep), without making message objects; stops at the first message
   * that is not CopyData or is incomplete, which {@link next} then returns.
   * Returns how many were handed over. Lengths are checked as by `next`.
   */
  takeCopyData(sink: CopyDataSink): number {
    if (this.failure !== null) throw this.failure;
    let n = 0;
    while (this.end - this.start >= 5 && this.buf[this.start] === 0x64 /* d */) {
      const f = this.frame(true);
      if (f === null) break;
      sink(this.buf, f.bodyStart, f.bodyEnd);
      n++;
    }
    return n;
  }
}

/** Receives CopyData payloads from {@link BackendDecoder.takeCopyData}: `buf[start, end)`, valid during the call. */
export type CopyDataSink = (buf: Uint8Array, start: number, end: number) => void;

// ------------------------------------------------------------ the decoders

TABLE[0x52] /* R */ = decodeAuthentication;
TABLE[0x4b] /* K */ = (r) => ({ type: 'BackendKeyData', processId: r.i32(), secretKey: cancelKey(r) });
TABLE[0x53] /* S */ = (r) => ({ type: 'ParameterStatus', name: r.cstring(), value: r.cstring() });
TABLE[0x5a] /* Z */ = decodeReadyForQuery;
TABLE[0x54] /* T */ = decodeRowDescription;
TABLE[0x44] /* D */ = decodeDataRow;
TABLE[0x43] /* C */ = (r) => ({ type: 'CommandComplete', tag: r.cstring() });
TABLE[0x49] /* I */ = () => ({ type: 'EmptyQueryResponse' });
TABLE[0x45] /* E */ = (r) => ({ type: 'ErrorResponse', fields: decodeFields(r) });
TABLE[0x4e] /* N */ = (r) => ({ type: 'NoticeResponse', fields: decodeFields(r) });
TABLE[0x41] /* A */ = (r) => ({ type: 'NotificationResponse', processId: r.i32(), channel: r.cstring(), payload: r.cstring() });
TABLE[0x31] /* 1 */ = () => ({ type: 'ParseComplete' });
TABLE[0x32] /* 2 */ = () => ({ type: 'BindComplete' });
TABLE[0x33] /* 3 */ = () => ({ type: 'CloseComplete' });
TABLE[0x6e] /* n */ = () => ({ type: 'NoData' });
TABLE[0x74] /* t */ = decodeParameterDescription;
TABLE[0x73] /* s */ = () => ({ type: 'PortalSuspended' });
TABLE[0x47] /* G */ = (r) => ({ type: 'CopyInResponse', ...decodeCopyFormats(r) });
TABLE[0x48] /* H */ = (r) => ({ type: 'CopyOutResponse', ...decodeCopyFormats(r) });
TABLE[0x57] /* W */ = (r) => ({ type: 'CopyBothResponse', ...decodeCopyFormats(r) });
TABLE[0x64] /* d */ = (r) => ({ type: 'CopyData', data: r.rest() });
TABLE[0x63] /* c */ = () => ({ type: 'CopyDone' });
TABLE[0x76] /* v */ = decodeNegotiateProtocolVersion;
TABLE[0x56] /* V */ = (r) => ({ type: 'FunctionCallResponse', result: nullableBytes(r) });

function decodeAuthentication(r: ByteReader): BackendMessage {
  const code = r.i32();
  switch (code) {
    case 0: return { type: 'AuthenticationOk' };
    case 2: return { type: 'AuthenticationKerberosV5' };
    case 3: return { type: 'AuthenticationCleartextPassword' };
    case 5: return { type: 'AuthenticationMD5Password', salt: r.bytes(4).slice() };
    case 7: return { type: 'AuthenticationGSS' };
    case 8: return { type: 'AuthenticationGSSContinue', data: r.rest().slice() };
    case 9: return { type: 'AuthenticationSSPI' };
    case 10: return { type: 'AuthenticationSASL', mechanisms: decodeMechanisms(r) };
    case 11: return { type: 'AuthenticationSASLContinue', data: r.rest().slice() };
    case 12: return { type: 'AuthenticationSASLFinal', data: r.rest().slice() };
    default: throw new ProtocolViolation(`unknown authentication request code ${code}`);
  }
}

function decodeMechanisms(r: ByteReader): string[] {
  const out: string[] = [];
  for (let m = r.cstring(); m !== ''; m = r.cstring()) out.push(m);
  return out;
}

/** The secret key: 4 to 256 bytes (protocol 3.2); whether the negotiated version allows its length is the machine's check. */
function cancelKey(r: ByteReader): Uint8Array {
  const n = r.remaining;
  if (n < 4 || n > MAX_CANCEL_KEY_LENGTH) throw new ProtocolViolation(`invalid cancel key length ${n}`);
  return r.rest().slice();
}

function decodeReadyForQuery(r: ByteReader): BackendMessage {
  const s = r.u8();
  if (s !== 0x49 && s !== 0x54 && s !== 0x45) throw new ProtocolViolation(`invalid transaction status 0x${s.toString(16)}`);
  return { type: 'ReadyForQuery', status: String.fromCharCode(s) as 'I' | 'T' | 'E' };
}

function decodeRowDescription(r: ByteReader): BackendMessage {
  const n = nonNegative(r.i16(), 'column count');
  const fields: FieldDescription[] = new Array<FieldDescription>(n);
  for (let i = 0; i < n; i++) {
    fields[i] = {
      name: r.cstring(),
      tableOid: r.u32(),
      columnAttr: r.i16(),
      typeOid: r.u32(),
      typeSize: r.i16(),
      typeModifier: r.i32(),
      format: formatCode(r.i16()),
    };
  }
  return { type: 'RowDescription', fields };
}

/**
 * The hot path: reads the field count and each length directly from the
 * buffer, handing out views. A view is made with the Uint8Array constructor
 * over the buffer's ArrayBuffer, about twice as fast as `subarray` (which
 * looks up a species constructor on every call).
 */
function decodeDataRow(r: ByteReader): BackendMessage {
  const b = r.buf;
  const ab = b.buffer;
  const base = b.byteOffset;
  const end = r.end;
  let p = r.pos;
  if (p + 2 > end) throw short();
  const n = (b[p] << 8) | b[p + 1];
  p += 2;
  if (n > 0x7fff) throw new ProtocolViolation(`negative column count in DataRow`);
  const fields = new Array<Uint8Array | null>(n);
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw short();
    const len = readI32(b, p);
    p += 4;
    if (len === -1) {
      fields[i] = null;
    } else {
      if (len < 0 || len > end - p) throw short();
      fields[i] = new Uint8Array(ab, base + p, len);
      p += len;
    }
  }
  r.pos = p;
  return { type: 'DataRow', fields };
}

function short(): ProtocolViolation {
  return new ProtocolViolation('DataRow body shorter than its fields claim');
}

function decodeFields(r: ByteReader): RawFields {
  const fields: RawFields = {};
  for (let tag = r.u8(); tag !== 0; tag = r.u8()) fields[String.fromCharCode(tag)] = r.cstring();
  return fields;
}

/**
 * ParameterDescription: the count is an unsigned 16-bit integer (a statement
 * may have up to 65,535 parameters). PostgreSQL writes the count of a
 * statement with more parameters modulo 65,536 but still sends every type
 * OID, so when the body holds more OIDs than the count says, and the count
 * is their number modulo 65,536, the body wins: the message stays decodable
 * and the caller can refuse the statement without losing the connection.
 */
function decodeParameterDescription(r: ByteReader): BackendMessage {
  const declared = r.i16() & 0xffff;
  const room = r.remaining;
  const inBody = room % 4 === 0 ? room / 4 : -1;
  const n = inBody > 0xffff && inBody % 0x10000 === declared ? inBody : declared;
  const typeOids = new Array<number>(n);
  for (let i = 0; i < n; i++) typeOids[i] = r.u32();
  return { type: 'ParameterDescription', typeOids };
}

function decodeCopyFormats(r: ByteReader): { format: FormatCode; columnFormats: FormatCode[] } {
  const format = formatCode(r.u8());
  const n = nonNegative(r.i16(), 'column count');
  const columnFormats = new Array<FormatCode>(n);
  for (let i = 0; i < n; i++) columnFormats[i] = formatCode(r.i16());
  return { format, columnFormats };
}

function decodeNegotiateProtocolVersion(r: ByteReader): BackendMessage {
  // The server sends a whole protocol version (196608 = 3.0), documented as the minor version: keep the minor part.
  const minorVersion = r.i32() & 0xffff;
  const n = nonNegative(r.i32(), 'option count');
  const unrecognizedOptions: string[] = [];
  for (let i = 0; i < n; i++) unrecognizedOptions.push(r.cstring());
  return { type: 'NegotiateProtocolVersion', minorVersion, unrecognizedOptions };
}

function nullableBytes(r: ByteReader): Uint8Array | null {
  const len = r.i32();
  return len === -1 ? null : r.bytes(len);
}

function formatCode(n: number): FormatCode {
  if (n !== 0 && n !== 1) throw new ProtocolViolation(`invalid format code ${n}`);
  return n;
}

function nonNegative(n: number, what: string): number {
  if (n < 0) throw new ProtocolViolation(`negative ${what} ${n}`);
  return n;
}
