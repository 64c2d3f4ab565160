/**
 * Frontend decoder: bytes from a client -> {@link FrontendMessage}s (the server's side).
 *
 * Theory of operation. A connection starts in the startup phase, where
 * messages have no type byte: SSLRequest and GSSENCRequest (after which
 * the server answers one raw byte and the client continues in the startup
 * phase), CancelRequest (alone on its connection) and StartupMessage. Once a
 * StartupMessage has been decoded, every later message is typed.
 *
 * The type byte 'p' is shared by PasswordMessage, SASLInitialResponse and
 * SASLResponse; only the server knows which one it asked for, so the owner
 * sets {@link FrontendDecoder.expect} before the client answers. It defaults
 * to 'password'.
 *
 * Buffering, byte lifetimes and errors are as in {@link BackendDecoder}:
 * views (CopyData, Bind parameters) are valid until the next `feed()`;
 * malformed input throws ProtocolViolation and poisons the decoder.
 */
import { ProtocolViolation } from '../errors/base';
import type { ByteReader } from '../util/bytes';
import { FrameBuffer, type DecoderOptions, type Frame } from './framer';
import { CANCEL_REQUEST_CODE, GSSENC_REQUEST_CODE, SSL_REQUEST_CODE, type FormatCode, type FrontendMessage } from './messages';

type Decode = (r: ByteReader, d: FrontendDecoder) => FrontendMessage;

/** What a 'p' message is: the answer the server asked for. */
export type PasswordExpectation = 'password' | 'sasl-initial' | 'sasl';

const TABLE: Array<Decode | undefined> = new Array<Decode | undefined>(256).fill(undefined);

/** Incremental decoder of a client's message stream, for fake servers and tests. */
export class FrontendDecoder extends FrameBuffer {
  /** How the next 'p' messages are decoded. */
  expect: PasswordExpectation = 'password';
  private startupDone = false;

  constructor(options?: DecoderOptions) {
    super(options);
  }

  /** True once a StartupMessage has been decoded (typed messages follow). */
  get started(): boolean {
    return this.startupDone;
  }

  /** The next complete message, or null when more data is needed. */
  next(): FrontendMessage | null {
    if (this.failure !== null) throw this.failure;
    const f = this.frame(this.startupDone);
    if (f === null) return null;
    let msg: FrontendMessage;
    try {
      msg = this.startupDone ? this.typed(f) : this.untyped(f);
    } catch (e) {
      this.fail(e);
    }
    this.checkConsumed(f, msg.type);
    return msg;
  }

  private typed(f: Frame): FrontendMessage {
    const decode = TABLE[f.type];
    if (decode === undefined) throw new ProtocolViolation(`unknown frontend message type 0x${f.type.toString(16).padStart(2, '0')}`);
    return decode(this.body(f), this);
  }

  private untyped(f: Frame): FrontendMessage {
    const r = this.body(f);
    const code = r.i32();
    if (code === SSL_REQUEST_CODE) return { type: 'SSLRequest' };
    if (code === GSSENC_REQUEST_CODE) return { type: 'GSSENCRequest' };
    if (code === CANCEL_REQUEST_CODE) return { type: 'CancelRequest', processId: r.i32(), secretKey: r.rest().slice() };
    if (code >>> 16 !== 3) throw new ProtocolViolation(`unsupported protocol version ${code >>> 16}.${code & 0xffff}`);
    this.startupDone = true;
    return { type: 'StartupMessage', protocolVersion: code, parameters: startupParameters(r) };
  }
}

function startupParameters(r: ByteReader): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (let key = r.cstring(); key !== ''; key = r.cstring()) parameters[key] = r.cstring();
  return parameters;
}

TABLE[0x70] /* p */ = decodePassword;
TABLE[0x51] /* Q */ = (r) => ({ type: 'Query', sql: r.cstring() });
TABLE[0x50] /* P */ = (r) => ({ type: 'Parse', name: r.cstring(), sql: r.cstring(), paramTypes: oids(r) });
TABLE[0x42] /* B */ = decodeBind;
TABLE[0x44] /* D */ = (r) => ({ type: 'Describe', target: target(r), name: r.cstring() });
TABLE[0x45] /* E */ = (r) => ({ type: 'Execute', portal: r.cstring(), maxRows: r.i32() });
TABLE[0x53] /* S */ = () => ({ type: 'Sync' });
TABLE[0x48] /* H */ = () => ({ type: 'Flush' });
TABLE[0x43] /* C */ = (r) => ({ type: 'Close', target: target(r), name: r.cstring() });
TABLE[0x64] /* d */ = (r) => ({ type: 'CopyData', data: r.rest() });
TABLE[0x63] /* c */ = () => ({ type: 'CopyDone' });
TABLE[0x66] /* f */ = (r) => ({ type: 'CopyFail', message: r.cstring() });
TABLE[0x46] /* F */ = decodeFunctionCall;
TABLE[0x58] /* X */ = () => ({ type: 'Terminate' });

function decodePassword(r: ByteReader, d: FrontendDecoder): FrontendMessage {
  if (d.expect === 'sasl') return { type: 'SASLResponse', data: r.rest().slice() };
  if (d.expect === 'password') return { type: 'PasswordMessage', password: r.cstring() };
  const mechanism = r.cstring();
  const len = r.i32();
  return { type: 'SASLInitialResponse', mechanism, data: len === -1 ? null : r.bytes(len).slice() };
}

function decodeBind(r: ByteReader): FrontendMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats = formats(r);
  const n = count(r.i16());
  const params = new Array<Uint8Array | null>(n);
  for (let i = 0; i < n; i++) params[i] = value(r);
  return { type: 'Bind', portal, statement, paramFormats, params, resultFormats: formats(r) };
}

function decodeFunctionCall(r: ByteReader): FrontendMessage {
  const functionOid = r.u32();
  const argFormats = formats(r);
  const n = count(r.i16());
  const args = new Array<Uint8Array | null>(n);
  for (let i = 0; i < n; i++) args[i] = value(r);
  return { type: 'FunctionCall', functionOid, argFormats, args, resultFormat: format(r.i16()) };
}

function value(r: ByteReader): Uint8Array | null {
  const len = r.i32();
  return len === -1 ? null : r.bytes(len);
}

function oids(r: ByteReader): number[] {
  const n = count(r.i16());
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = r.u32();
  return out;
}

function formats(r: ByteReader): FormatCode[] {
  const n = count(r.i16());
  const out = new Array<FormatCode>(n);
  for (let i = 0; i < n; i++) out[i] = format(r.i16());
  return out;
}

function format(n: number): FormatCode {
  if (n !== 0 && n !== 1) throw new ProtocolViolation(`invalid format code ${n}`);
  return n;
}

function target(r: ByteReader): 'S' | 'P' {
  const t = r.u8();
  if (t !== 0x53 && t !== 0x50) throw new ProtocolViolation(`invalid Describe/Close target 0x${t.toString(16)}`);
  return t === 0x53 ? 'S' : 'P';
}

function count(n: number): number {
  // Counts are int16 on the wire; the encoder writes up to 65535, so read them unsigned.
  return n & 0xffff;
}
