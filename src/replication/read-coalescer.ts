/**
 * ReadCoalescer: a replication stream reads its socket at most once per
 * window while the server keeps sending (opt-in: `readCoalesceMs`).
 *
 * Theory of operation. A walsender sends each change as soon as it is
 * decoded, a few dozen bytes at a time. A client that is faster than the
 * walsender waits in the event loop for each send, so every few changes
 * cost it a wakeup and a read system call. After a read that brought
 * messages, the coalescer holds reading for `windowMs`: meanwhile the
 * kernel's receive buffer collects what the server sends, and the next
 * read takes more of it at once.
 *
 * What it buys, measured (W12, 1,000,000 inserts through pgoutput, 2
 * shared cores at load 6 to 10): with a 1 ms window 7.5k to 20k reads
 * instead of 20k to 51k (Node's socket pause keeps reading into the
 * stream's 16 KiB buffer, so a window stops the reads only once that is
 * full; a pause that stops the socket's handle gave 1.6k to 2.9k), and
 * about half the walsender's involuntary context switches. It did not buy
 * W12 throughput or walsender CPU: perf shows the walsender's time in its
 * spill-file reads and its sends, the TCP receive work and wakeups a
 * reading client causes it under 1% either way. So it is off by default.
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
