/**
 * WriteFlow: the producer side of a transport's write buffer.
 *
 * Theory of operation. Every transport keeps its own buffer (a socket's
 * writable state, a WebSocket's `bufferedAmount`, a link's undelivered
 * bytes) and knows when it is over its high-water mark and when it has
 * drained. WriteFlow keeps the rest, once for all three: the registered
 * {@link Producer}, whether it is paused, and the rule that it is paused once
 * per crossing of the high-water mark and resumed once per drain, never
 * twice in a row. A producer registered while the buffer is full is paused
 * at once.
 */
import type { Producer } from './interfaces';

/** The registered producer of one transport and its paused state. */
export class WriteFlow {
  private producer: Producer | null = null;
  private full = false;

  /** True from a {@link filled} until the next {@link drained}. */
  get isFull(): boolean {
    return this.full;
  }

  /** Registers `producer` (replacing one before); pauses it at once when the buffer is full. */
  register(producer: Producer): void {
    this.producer = producer;
    if (this.full) producer.pauseProducing();
  }

  /** Forgets the producer. */
  unregister(): void {
    this.producer = null;
  }

  /** The buffer reached its high-water mark: pause the producer (once). */
  filled(): void {
    if (this.full) return;
    this.full = true;
    this.producer?.pauseProducing();
  }

  /** The buffer drained to its low-water mark: resume the producer (once, after a pause). */
  drained(): void {
    if (!this.full) return;
    this.full = false;
    this.producer?.resumeProducing();
  }
}
