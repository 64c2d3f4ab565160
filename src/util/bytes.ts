/**
 * Big-endian byte reading and writing over `Uint8Array` (no Node `Buffer`).
 *
 * Theory of operation. {@link ByteWriter} is a growable buffer that appends
 * the integer, string and byte fields of the PostgreSQL wire format; a
 * message is framed with {@link ByteWriter.beginMessage} /
 * {@link ByteWriter.endMessage}, which backpatches the length once the body
 * is written, so many messages can share one writer and leave as one buffer.
 * {@link ByteReader} walks a slice of a `Uint8Array` and throws
 * {@link ProtocolViolation} the moment a field would read past the slice,
 * so a decoder built on it never reads garbage or a foreign `RangeError`.
 *
 * Strings are UTF-8. Short ASCII strings take a hand-written loop (the common
 * case for SQL, names and tags); anything else goes through the global
 * `TextEncoder` / `TextDecoder`.
 */
import { InterfaceError, ProtocolViolation } from '../errors/base';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');
const INITIAL_CAPACITY = 1024;
const ASCII_DECODE_LIMIT = 16; // measured: a JS loop beats TextDecoder below ~16 bytes
const ASCII_ENCODE_LIMIT = 64; // measured: TextEncoder.encodeInto beats a JS loop above ~64 characters

/** Encodes `s` as UTF-8. */
export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 bytes `b[start, end)`; invalid sequences become U+FFFD (never throws). */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  if (end - start <= ASCII_DECODE_LIMIT) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) return decoder.decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(b.subarray(start, end));
}

/**
 * A growable output buffer for wire messages.
 *
 * Contract: every write appends at the end; {@link finish} returns the bytes
 * written so far as a fresh copy and empties the writer (its storage is kept
 * for reuse). Messages may not nest. Strings written with {@link cstring}
 * must not contain NUL (InterfaceError `ERR_INTERFACE`).
 */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  private messageStart = -1;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Number of bytes written since the last {@link finish}. */
  get length(): number {
    return this.pos;
  }

  /** Appends one unsigned byte. */
  u8(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n;
    return this;
  }

  /** Appends a 16-bit big-endian integer (signed or unsigned; the low 16 bits are written). */
  i16(n: number): this {
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = n >>> 8;
    b[this.pos + 1] = n;
    this.pos += 2;
    return this;
  }

  /** Appends a 32-bit big-endian integer (signed or unsigned; the low 32 bits are written). */
  i32(n: number): this {
    this.ensure(4);
    writeI32(this.buf, this.pos, n);
    this.pos += 4;
    return this;
  }

  /** Appends `s` as UTF-8 followed by a NUL terminator. Throws InterfaceError if `s` contains NUL. */
  cstring(s: string): this {
    this.string(s, true);
    this.buf[this.pos++] = 0;
    return this;
  }

  /** Appends `s` as UTF-8 without a terminator. */
  string(s: string, forbidNul = false): this {
    const n = s.length;
    this.ensure(n * 3 + 1);
    if (n > ASCII_ENCODE_LIMIT) return this.stringSlow(s, forbidNul);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.stringSlow(s, forbidNul);
      if (c === 0 && forbidNul) throw nulError();
      b[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** Appends raw bytes. */
  bytes(u8: Uint8Array): this {
    this.ensure(u8.length);
    this.buf.set(u8, this.pos);
    this.pos += u8.length;
    return this;
  }

  /** Starts a typed message: writes the type byte (0 for an untyped startup message, none written) and a length placeholder. */
  beginMessage(typeByte: number): this {
    if (typeByte !== 0) this.u8(typeByte);
    this.messageStart = this.pos;
    return this.i32(0);
  }

  /** Ends the current message, backpatching its length (which counts itself but not the type byte). */
  endMessage(): this {
    if (this.messageStart < 0) throw new InterfaceError('endMessage() without beginMessage()');
    writeI32(this.buf, this.messageStart, this.pos - this.messageStart);
    this.messageStart = -1;
    return this;
  }

  /** Backpatches the int32 placeholder at offset `at` with the number of bytes written after it (a value's length prefix). */
  patchLength(at: number): this {
    writeI32(this.buf, at, this.pos - at - 4);
    return this;
  }

  /** Drops everything written after offset `at` (undoes a partly written message). */
  truncate(at: number): this {
    if (at < this.pos) this.pos = Math.max(0, at);
    this.messageStart = -1;
    return this;
  }

  /**
   * Returns the bytes written as a view of the writer's own buffer (no copy)
   * and empties the writer: the view is valid until the next write. For a
   * caller that copies at once (a transport's `write`).
   */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.messageStart = -1;
    return out;
  }

  /** Returns a copy of the bytes written and empties the writer. */
  finish(): Uint8Array {
    return this.take().slice();
  }

  private stringSlow(s: string, forbidNul: boolean): this {
    if (forbidNul && s.includes('\0')) throw nulError();
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos));
    this.pos += written;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

function nulError(): InterfaceError {
  return new InterfaceError('a string sent to the server cannot contain a NUL character', { code: 'ERR_NUL_IN_STRING' });
}

/** Writes a 32-bit big-endian integer at `at`. */
export function writeI32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

/** Reads a signed 32-bit big-endian integer at `at` (no bounds check). */
export function readI32(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

/**
 * A cursor over `buf[start, end)`.
 *
 * Contract: each read advances {@link pos}; a read that would pass `end`
 * throws ProtocolViolation (`ERR_PROTOCOL_VIOLATION`) and leaves the reader
 * unusable. {@link bytes} returns a subarray view, not a copy.
 */
export class ByteReader {
  /** The current offset in the underlying buffer. */
  pos: number;
  /** The end of the readable slice (exclusive). */
  end: number;
  buf: Uint8Array;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Points the reader at a new slice (lets a decoder reuse one reader). */
  reset(buf: Uint8Array, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** Bytes left before the end of the slice. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reads one unsigned byte. */
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** Reads a signed 16-bit integer. */
  i16(): number {
    this.need(2);
    const b = this.buf;
    const v = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return (v << 16) >> 16;
  }

  /** Reads a signed 32-bit integer. */
  i32(): number {
    this.need(4);
    const v = readI32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads an unsigned 32-bit integer (OIDs). */
  u32(): number {
    return this.i32() >>> 0;
  }

  /** Reads a NUL-terminated UTF-8 string; throws if no terminator is found before the end. */
  cstring(): string {
    const b = this.buf;
    const start = this.pos;
    const nul = b.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw new ProtocolViolation('unterminated string in message');
    this.pos = nul + 1;
    return utf8Decode(b, start, nul);
  }

  /** Reads `n` bytes as a subarray view (not a copy). */
  bytes(n: number): Uint8Array {
    if (n < 0) throw new ProtocolViolation(`negative length ${n} in message`);
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads the rest of the slice as a view. */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new ProtocolViolation(`message body too short: needed ${n} more bytes, ${this.end - this.pos} left`);
    }
  }
}

/** Hex encoding of bytes (lower case), for tests, logs and MD5 passwords. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Decodes a hex string (whitespace ignored); throws InterfaceError on odd length or a bad digit. */
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/\s+/g, '');
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new InterfaceError('invalid hex string');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** Concatenates byte arrays into a fresh one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
