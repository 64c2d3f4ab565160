/**
 * Acks: what the consumer has acknowledged, and what may be told to the server.
 *
 * Theory of operation. Every delivered message gets a number in delivery
 * order. Acknowledgement is by prefix: acknowledging a message acknowledges
 * every message delivered before it (consumers work in order). From the
 * acknowledged prefix the tracker derives the *flush position*, the only
 * position the stream ever reports to the server as flushed (and so the
 * one the slot's `confirmed_flush_lsn` can reach):
 *
 * - physical streams, and logical plugins we do not know: the end of the
 *   last acknowledged message (`dataStart + size` for WAL, `dataStart` for
 *   a logical message);
 * - logical plugins whose transaction boundaries we know (`boundaries.ts`):
 *   the `dataStart` of the last acknowledged transaction end (or
 *   non-transactional message). A position inside a transaction would make
 *   the server send the whole transaction again anyway.
 *
 * An idle logical stream (nothing unacknowledged, no transaction open)
 * takes the position of a keepalive as its flush position (`idleAt`), as
 * pg_recvlogical does: the WAL between the last acknowledged transaction
 * end and the server's sent position holds no commit the consumer has not
 * acknowledged.
 *
 * After an outage the stream restarts from the flush position. The server
 * then sends again every transaction not yet confirmed, from its beginning;
 * the messages of it the consumer had already acknowledged are counted
 * here (`skipOnResume`) and the stream drops that many from the front of
 * the resumed stream, so nothing acknowledged is delivered twice and the
 * rest of the transaction is not lost. While a streamed in-progress
 * transaction is open the count is not trusted (the server's resend order
 * differs) and nothing is skipped: redelivery, never loss.
 *
 * Messages delivered but not acknowledged when the outage came are
 * forgotten: the server sends them again, and they are delivered again
 * with new numbers; a late `ack()` of one of the old ones is ignored.
 */
import type { Boundary, BoundaryClassifier } from './boundaries';

interface Delivered {
  seq: number;
  dataStart: bigint;
  /** The position after the message: `dataStart + size` for physical WAL, else `dataStart`. */
  end: bigint;
  size: number;
  boundary: Boundary | null;
}

/** The acknowledgement state of one stream; see the file comment. */
export class AckTracker {
  private readonly delivered: Delivered[] = [];
  private head = 0;
  private nextSeq = 0;
  /** Messages numbered below this were delivered before the last resume. */
  private floor = 0;
  private _flushLsn = 0n;
  private _ackedSeq = -1;
  private inTransaction = false;
  private ackedInTransaction = 0;
  private readonly openStreamed = new Set<number | null>();
  private pendingBytes = 0;

  /**
   * @param classify the plugin's boundary classifier (null: none known)
   * @param physical WAL positions (a message covers `dataStart .. dataStart + size`)
   */
  constructor(
    private readonly classify: BoundaryClassifier | null,
    private readonly physical: boolean,
  ) {}

  /** The position reported to the server as flushed. */
  get flushLsn(): bigint {
    return this._flushLsn;
  }

  /** Delivered messages not yet acknowledged. */
  get unacknowledged(): number {
    return this.delivered.length - this.head;
  }

  /** Their payload bytes. */
  get unacknowledgedBytes(): number {
    return this.pendingBytes;
  }

  /** Numbers a message as delivered (returns its number). */
  deliver(dataStart: bigint, size: number, payload: Uint8Array | string): number {
    const seq = this.nextSeq++;
    const end = this.physical ? dataStart + BigInt(size) : dataStart;
    this.delivered.push({ seq, dataStart, end, size, boundary: this.classify === null ? null : this.classify(payload) });
    this.pendingBytes += size;
    return seq;
  }

  /** Acknowledges the prefix up to message `seq`. Returns whether the flush position moved. */
  ackSeq(seq: number): boolean {
    if (seq < this.floor || seq <= this._ackedSeq) return false; // before the last resume, or already acknowledged
    const before = this._flushLsn;
    while (this.head < this.delivered.length && this.delivered[this.head].seq <= seq) this.settle(this.delivered[this.head++]);
    this.compact();
    return this._flushLsn !== before;
  }

  /**
   * Acknowledges by position: the prefix up to the last delivered message
   * whose `dataStart` is at most `lsn`. With nothing delivered left to
   * acknowledge and no transaction open, `lsn` itself becomes the flush
   * position when it is ahead (a position the consumer stored itself).
   * Returns whether the flush position moved.
   */
  ackLsn(lsn: bigint): boolean {
    let last = -1;
    for (let i = this.head; i < this.delivered.length; i++) if (this.delivered[i].dataStart <= lsn) last = this.delivered[i].seq;
    const before = this._flushLsn;
    if (last >= 0) this.ackSeq(last);
    if (this.unacknowledged === 0 && !this.inTransaction && this.openStreamed.size === 0 && lsn > this._flushLsn) this._flushLsn = lsn;
    return this._flushLsn !== before;
  }

  /**
   * An idle logical stream heard a keepalive at `lsn` (the walsender's
   * sent position): when nothing delivered is unacknowledged and no
   * transaction (plain or streamed in-progress) is open, `lsn` becomes the
   * flush position when it is ahead. Safe: every transaction that committed
   * before `lsn` was sent and the consumer acknowledged all of it, and the
   * slot's `confirmed_flush_lsn` only decides which commits are skipped on
   * restart. Without it a fast shutdown waits for ever (the walsender exits
   * only once the reported flush reaches its sent position). The caller
   * checks that nothing received is still buffered. Acknowledges nothing;
   * returns whether the flush position moved.
   */
  idleAt(lsn: bigint): boolean {
    if (this.physical || this.unacknowledged > 0 || this.inTransaction || this.openStreamed.size > 0 || lsn <= this._flushLsn) return false;
    this._flushLsn = lsn;
    return true;
  }

  /**
   * The stream is about to restart after an outage: forgets the
   * unacknowledged messages and returns how many messages the server will
   * send again that were acknowledged already (to be skipped).
   */
  resume(): number {
    this.delivered.length = 0;
    this.head = 0;
    this.pendingBytes = 0;
    this.floor = this.nextSeq;
    if (this.classify === null || !this.inTransaction || this.openStreamed.size > 0) {
      return 0;
    }
    return this.ackedInTransaction;
  }

  /** Whether a message is a session's description (pgoutput Relation/Type): never skipped on resume (see `boundaries.ts`). */
  isMeta(payload: Uint8Array | string): boolean {
    return this.classify !== null && this.classify(payload).kind === 'meta';
  }

  private settle(m: Delivered): void {
    this._ackedSeq = m.seq;
    this.pendingBytes -= m.size;
    const b = m.boundary;
    if (b === null) return this.advance(m.end);
    switch (b.kind) {
      case 'begin':
        this.inTransaction = true;
        this.ackedInTransaction = 1;
        return;
      case 'inside':
        if (this.inTransaction) this.ackedInTransaction++;
        return;
      case 'end':
        this.inTransaction = false;
        this.ackedInTransaction = 0;
        return this.advance(m.dataStart);
      case 'meta':
        return;
      case 'standalone':
        if (!this.inTransaction) this.advance(m.dataStart);
        return;
      case 'streamed':
        if (b.closes) this.openStreamed.delete(b.xid);
        else if (b.xid !== null) this.openStreamed.add(b.xid);
        if (b.closes && this.openStreamed.size === 0 && !this.inTransaction) this.advance(m.dataStart);
        return;
    }
  }

  private advance(lsn: bigint): void {
    if (lsn > this._flushLsn) this._flushLsn = lsn;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.delivered.length) {
      this.delivered.splice(0, this.head);
      this.head = 0;
    }
  }
}
