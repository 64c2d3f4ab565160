/**
 * ReplicationMessage: one XLogData as a stream delivers it.
 *
 * A message carries the plugin's output (`payload`: bytes, or text for a
 * text plugin such as `test_decoding`), its WAL position (`dataStart`), the
 * server's end of WAL when it was sent (`walEnd`) and the server's send
 * time. `ack()` acknowledges it, and with it every message delivered before
 * it, to its stream: only acknowledged positions are ever reported to the
 * server as flushed (see `acks.ts`).
 */
import { msFromPgTime } from '../protocol/replication';

/** What a message's `ack()` calls: its stream. */
export interface MessageAcker {
  /** Acknowledges the message with this delivery number and everything delivered before it. */
  ackMessage(seq: number): void;
}

/** One XLogData received on a replication stream. */
export class ReplicationMessage {
  constructor(
    private readonly stream: MessageAcker,
    /** The position in the stream's delivery order (0, 1, 2, ... across resumes). */
    readonly seq: number,
    /**
     * The plugin's output: bytes, or a string when the stream decodes text (`decode: 'text'`).
     * Small payloads are views into a buffer shared with neighbouring messages:
     * `slice()` one before transferring its `buffer` (to a worker).
     */
    readonly payload: Uint8Array | string,
    /** The WAL position of the start of this message (for logical decoding: the change's LSN; a commit's is its end). */
    readonly dataStart: bigint,
    /** The server's end of WAL when it sent the message. */
    readonly walEnd: bigint,
    /** The server's send time, in microseconds since 2000-01-01 UTC. */
    readonly sendTimeMicros: bigint,
    /** The size of the payload in bytes. */
    readonly dataSize: number,
  ) {}

  /** The server's send time as a Date (millisecond precision). */
  get sendTime(): Date {
    return new Date(msFromPgTime(this.sendTimeMicros));
  }

  /** The payload as bytes. */
  get bytes(): Uint8Array {
    return typeof this.payload === 'string' ? new TextEncoder().encode(this.payload) : this.payload;
  }

  /** The payload as text (UTF-8). */
  get text(): string {
    return typeof this.payload === 'string' ? this.payload : new TextDecoder().decode(this.payload);
  }

  /** Acknowledges this message and every one delivered before it (idempotent). */
  ack(): void {
    this.stream.ackMessage(this.seq);
  }
}
