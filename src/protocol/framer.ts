/**
 * Incremental framing shared by both decoders.
 *
 * Theory of operation. Bytes arrive in chunks of any size. {@link FrameBuffer.feed}
 * COPIES each chunk into one internal buffer (the caller's chunk is never
 * kept or mutated, so a transport may reuse it at once); a decoder then
 * peels whole messages off the front with {@link FrameBuffer.frame}. Before
 * appending, `feed` compacts: the unread tail moves to the front of the
 * buffer, which is why views handed out for earlier messages are only valid
 * until the next `feed`. The buffer grows to fit the largest partial message
 * seen and shrinks back once it is drained, so memory is bounded by the
 * maximum message size plus one chunk.
 *
 * A message header is checked as soon as it is complete: a length below 4
 * or above the limit fails at once, without waiting for (or buffering) the
 * body. After any failure the decoder is poisoned: every later call rethrows
 * the same error; the connection must be closed.
 */
import { InterfaceError, MessageTooLarge, PgError, ProtocolViolation } from '../errors/base';
import { ByteReader, readI32 } from '../util/bytes';
import { DEFAULT_MAX_MESSAGE_SIZE } from './codes';

/** Options of both decoders. */
export interface DecoderOptions {
  /** Largest accepted message (its length field), in bytes. Default 256 MiB. */
  maxMessageSize?: number;
}

const INITIAL_CAPACITY = 16 * 1024;
const SHRINK_ABOVE = 1024 * 1024;
const EMPTY = new Uint8Array(0);

/** A decoded frame: the type byte (0 for untyped) and the body's bounds in the buffer. */
export interface Frame {
  type: number;
  bodyStart: number;
  bodyEnd: number;
}

/** The buffer and framing state machine under {@link BackendDecoder} and {@link FrontendDecoder}. */
export class FrameBuffer {
  /** Largest accepted message length field. */
  readonly maxMessageSize: number;
  protected buf: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  protected start = 0;
  protected end = 0;
  protected failure: PgError | null = null;
  /** A reader reused for every message body. */
  protected readonly reader = new ByteReader(EMPTY);
  private readonly frameOut: Frame = { type: 0, bodyStart: 0, bodyEnd: 0 };

  constructor(options?: DecoderOptions) {
    const max = options?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!(max >= 4) || !Number.isSafeInteger(max)) throw new InterfaceError('maxMessageSize must be an integer >= 4');
    this.maxMessageSize = max;
  }

  /** Number of bytes received but not yet decoded. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends a copy of `bytes`. Invalidates views returned for earlier messages. Throws after a failure. */
  feed(bytes: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    const n = bytes.length;
    const unread = this.end - this.start;
    if (unread === 0) this.start = this.end = 0;
    if (unread === 0 && this.buf.length > SHRINK_ABOVE && n <= INITIAL_CAPACITY) this.buf = new Uint8Array(INITIAL_CAPACITY);
    if (n === 0) return;
    if (this.end + n > this.buf.length) this.makeRoom(unread, n);
    this.buf.set(bytes, this.end);
    this.end += n;
  }

  /** Removes and returns one raw byte (the 'S'/'N' answer to SSLRequest or GSSENCRequest), or null if none is buffered. */
  takeByte(): number | null {
    if (this.failure !== null) throw this.failure;
    if (this.start === this.end) return null;
    return this.buf[this.start++];
  }

  /**
   * Peels the next whole message off the buffer: typed (1 type byte + int32
   * length) or untyped (int32 length only). Returns null if it is incomplete.
   */
  protected frame(typed: boolean): Frame | null {
    const header = typed ? 5 : 4;
    const avail = this.end - this.start;
    if (avail < header) return null;
    const at = this.start;
    const len = readI32(this.buf, typed ? at + 1 : at);
    if (len < 4) this.fail(new ProtocolViolation(`invalid message length ${len}`));
    if (len > this.maxMessageSize) this.fail(new MessageTooLarge(len, this.maxMessageSize));
    const total = len + (typed ? 1 : 0);
    if (avail < total) return null;
    const f = this.frameOut;
    f.type = typed ? this.buf[at] : 0;
    f.bodyStart = at + header;
    f.bodyEnd = at + total;
    this.start = at + total;
    return f;
  }

  /** Points the shared reader at a frame's body. */
  protected body(f: Frame): ByteReader {
    return this.reader.reset(this.buf, f.bodyStart, f.bodyEnd);
  }

  /** Checks that a decoder consumed the whole body. */
  protected checkConsumed(f: Frame, what: string): void {
    if (this.reader.pos !== f.bodyEnd) {
      this.fail(new ProtocolViolation(`${what}: ${f.bodyEnd - this.reader.pos} unexpected trailing bytes`));
    }
  }

  /** Poisons the decoder with `e` (wrapped in ProtocolViolation unless it is a PgError) and throws it. */
  protected fail(e: unknown): never {
    const err = e instanceof PgError ? e : new ProtocolViolation(`malformed message: ${String(e)}`, { cause: e });
    this.failure = err;
    throw err;
  }

  private makeRoom(unread: number, n: number): void {
    const needed = unread + n;
    if (needed <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let cap = this.buf.length * 2;
      while (cap < needed) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    }
    this.start = 0;
    this.end = unread;
  }
}
