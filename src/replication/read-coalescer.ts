/**
 * ReadCoalescer: a replication stream reads its socket at most once per
 * window while the server keeps sending.
 *
 * Theory of operation. A walsender sends each change as soon as it is
 * decoded, a few dozen bytes at a time. A client that is faster than the
 * walsender waits in the event loop for each send, so every few changes
 * cost it a wakeup and a read, and they cost the walsender too: on
 * loopback the sender's system call does the receiver's TCP work and
 * wakes it, and the woken client competes with the walsender for a core
 * (measured on 2 cores, 1,000,000 inserts: 8k to 51k reads, 8k to 14k
 * involuntary context switches of the walsender; 2.6k to 3.2k reads, 1.7k
 * to 2.8k switches and about 10% less walsender CPU with a 1 ms window).
 * So, after a read that brought messages, reading is held for `windowMs`:
 * meanwhile the kernel's receive buffer collects what the server sends
 * (without waking us), and the next read takes all of it at once.
 *
 * A "read" is everything the transport delivers before the reactor's next
 * `callSoon` batch: the window opens there, not at the first message. A
 * transport may hand over what it holds in several chunks in one go (Node
 * emits a paused socket's buffered chunks one by one when it resumes);
 * holding after the first chunk would let one chunk through per window and
 * starve a consumer that had paused the stream (measured: a paced stream
 * of 20,000 changes took 28 s instead of 2).
 *
 * The latency this adds is bounded by the window: a message is delayed
 * only when it arrives less than `windowMs` after the previous read, and
 * by at most the rest of the window; the first message after a quiet
 * spell is read at once. A window of 0 turns it off (read as data
 * arrives). The coalescer only says whether it holds reading; the stream
 * combines that with its own pacing (`ReplicationStream`).
 */
import type { DelayedCall, ReactorTime } from '../../reactor/interfaces';

/** Holds reading for a bounded window after each read; see the file comment. */
export class ReadCoalescer {
  private timer: DelayedCall | null = null;
  /** A window is to open at the end of the current batch of reads (the count tells a cancelled one apart). */
  private opening = 0;
  private opened = 0;

  /**
   * @param time - the reactor's clock.
   * @param windowMs - how long reading is held after a read (0 = never).
   * @param changed - called when the hold starts or ends (the window opened or ran out), so the stream pauses or reads again.
   */
  constructor(
    private readonly time: ReactorTime,
    private readonly windowMs: number,
    private readonly changed: () => void,
  ) {}

  /** Whether reading is held (a window is open). */
  get holding(): boolean {
    return this.timer !== null;
  }

  /**
   * Messages were just read: a window opens at the end of this batch of
   * reads, unless one is open or about to open (or windows are off).
   */
  read(): void {
    if (this.timer !== null || this.opening !== 0 || this.windowMs <= 0) return;
    const ticket = (this.opening = ++this.opened);
    this.time.callSoon(() => {
      if (this.opening !== ticket) return; // cancelled meanwhile
      this.opening = 0;
      this.timer = this.time.callLater(this.windowMs, () => {
        this.timer = null;
        this.changed();
      });
      this.changed();
    });
  }

  /** Closes the window at once, or forgets one about to open (the session ended, the stream stops); `changed` is not called. */
  cancel(): void {
    this.opening = 0;
    this.timer?.cancel();
    this.timer = null;
  }
}
