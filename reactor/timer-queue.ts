/**
 * TimerQueue: the ordered set of pending delayed calls shared by every reactor.
 *
 * Theory of operation. Calls are kept in a binary min-heap keyed on
 * `(time, seq)`: the due time first, then a sequence number taken when the
 * call was (re)scheduled, so calls due at the same time run in the order they
 * were scheduled (FIFO), whatever delays produced that time. `cancel`,
 * `reset` and `delay` are O(log n) (each entry knows its heap index), so
 * thousands of idle timers that are reset on every byte cost little. The
 * queue does not run anything by itself: a reactor asks for the next due call
 * ({@link TimerQueue.popDue}) and is told when the earliest time changes
 * (`onChange`), so it can re-arm its single underlying timer. A call delayed
 * by `Infinity` is due at time `Infinity`: it is never popped, only cancelled
 * or reset.
 */
import type { DelayedCall } from './interfaces';

/** One scheduled call; the {@link DelayedCall} handed to users. */
class Timer implements DelayedCall {
  time: number;
  seq: number;
  index = -1;
  private done = false;

  constructor(private readonly queue: TimerQueue, time: number, seq: number, readonly fn: () => void) {
    this.time = time;
    this.seq = seq;
  }

  active(): boolean {
    return !this.done;
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.queue.remove(this);
  }

  reset(delayMs: number): void {
    this.assertActive('reset');
    this.queue.reschedule(this, this.queue.now() + checkDelay(delayMs));
  }

  delay(delayMs: number): void {
    this.assertActive('delay');
    this.queue.reschedule(this, this.time + checkDelay(delayMs));
  }

  /** Marks the call as run; called by the queue just before running it. */
  finish(): void {
    this.done = true;
  }

  private assertActive(what: string): void {
    if (this.done) throw new Error(`cannot ${what} a delayed call that already ran or was cancelled`);
  }
}

/**
 * Validates a delay: a number >= 0, where `Infinity` means "never" (the call
 * stays pending until cancelled or reset). NaN, negative delays and
 * non-numbers are caller bugs: RangeError.
 */
export function checkDelay(delayMs: number): number {
  if (typeof delayMs !== 'number' || !(delayMs >= 0)) throw new RangeError(`delay must be a number >= 0 (or Infinity), got ${String(delayMs)}`);
  return delayMs;
}

/** A heap of delayed calls ordered by due time, then scheduling order. */
export class TimerQueue {
  private readonly heap: Timer[] = [];
  private seq = 0;

  /**
   * @param now - the clock the delays are measured on.
   * @param onChange - called whenever the earliest due time may have changed.
   */
  constructor(readonly now: () => number, private readonly onChange: () => void = () => {}) {}

  /** Schedules `fn` at `now() + delayMs`. */
  add(delayMs: number, fn: () => void): DelayedCall {
    const timer = new Timer(this, this.now() + checkDelay(delayMs), this.seq++, fn);
    this.insert(timer);
    this.onChange();
    return timer;
  }

  /** The due time of the earliest pending call, or undefined when none is pending. */
  nextTime(): number | undefined {
    return this.heap[0]?.time;
  }

  /** The number of pending calls. */
  get size(): number {
    return this.heap.length;
  }

  /** The pending calls in the order they will run. */
  pending(): DelayedCall[] {
    return [...this.heap].sort(compare);
  }

  /**
   * Removes and returns the earliest call if it is due at or before `time`
   * (marking it inactive), else undefined. The caller runs `fn`.
   */
  popDue(time: number): { fn: () => void; time: number } | undefined {
    const top = this.heap[0];
    if (top === undefined || top.time > time) return undefined;
    this.unlink(top);
    top.finish();
    return top;
  }

  /** Removes a timer (cancel). */
  remove(timer: Timer): void {
    this.unlink(timer);
    this.onChange();
  }

  private unlink(timer: Timer): void {
    const i = timer.index;
    if (i < 0) return;
    const last = this.heap.pop() as Timer;
    timer.index = -1;
    if (last !== timer) {
      this.heap[i] = last;
      last.index = i;
      this.siftDown(this.siftUp(i));
    }
  }

  /** Moves a timer to a new due time; it counts as newly scheduled for FIFO purposes. */
  reschedule(timer: Timer, time: number): void {
    this.unlink(timer);
    timer.time = time;
    timer.seq = this.seq++;
    this.insert(timer);
    this.onChange();
  }

  private insert(timer: Timer): void {
    timer.index = this.heap.length;
    this.heap.push(timer);
    this.siftUp(timer.index);
  }

  private siftUp(i: number): number {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[parent], heap[i]) <= 0) break;
      this.swap(i, parent);
      i = parent;
    }
    return i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && compare(heap[l], heap[m]) < 0) m = l;
      if (r < heap.length && compare(heap[r], heap[m]) < 0) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    heap[a].index = a;
    heap[b].index = b;
  }
}

function compare(a: Timer, b: Timer): number {
  // Infinity - Infinity is NaN (falsy), so calls due "never" keep FIFO order too.
  return a.time - b.time || a.seq - b.seq;
}
