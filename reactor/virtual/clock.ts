/**
 * Clock: virtual time, usable alone or inside the {@link VirtualReactor}.
 *
 * Theory of operation. Time only moves when a test says so. `now()` starts
 * at 0 (or the `start` given). `callLater` puts calls in a
 * {@link TimerQueue}; `callSoon` puts them in a FIFO. Nothing runs until
 * {@link Clock.advance} or {@link Clock.flush}: `flush()` runs the callSoon
 * queue and the calls already due, until none is left; `advance(ms)` walks
 * the clock forward one due call at a time, in time order (same time: FIFO),
 * setting `now()` to each call's time before running it and settling
 * (callSoon calls, and I/O in the VirtualReactor) after each one. A callSoon
 * call therefore always runs before a timer, and a call scheduled by a timer
 * for a time still inside the advanced window runs in the same `advance`.
 * This is Twisted's `task.Clock`, plus a callSoon queue.
 */
import type { DelayedCall, ReactorTime } from '../interfaces';
import { TimerQueue, checkDelay } from '../timer-queue';

/** Options for {@link Clock}. */
export interface ClockOptions {
  /** The initial value of `now()` (default 0). */
  start?: number;
  /**
   * What "settle" means between due calls: by default, {@link Clock.flush}.
   * The VirtualReactor passes its own flush, which also moves I/O.
   */
  settle?: () => void;
}

/**
 * A deterministic {@link ReactorTime}: time moves only with `advance(ms)`.
 *
 * @example
 * const clock = new Clock();
 * const d = clock.callLater(1000, () => console.log('tick'));
 * clock.advance(999); // nothing
 * clock.advance(1);   // 'tick'
 */
export class Clock implements ReactorTime {
  private time: number;
  private readonly timers: TimerQueue;
  private soon: Array<() => void> = [];
  private readonly settle: () => void;

  constructor(options: ClockOptions = {}) {
    this.time = options.start ?? 0;
    this.timers = new TimerQueue(() => this.time);
    this.settle = options.settle ?? (() => this.flush());
  }

  /** The current virtual time in ms. */
  now(): number {
    return this.time;
  }

  /**
   * Schedules `fn` at `now() + delayMs`; it runs during a later `advance`/`flush`.
   * `Infinity` never runs (until reset); NaN or a negative delay is a RangeError.
   */
  callLater(delayMs: number, fn: () => void): DelayedCall {
    return this.timers.add(delayMs, fn);
  }

  /** Queues `fn` to run at the next `flush()` or `advance()`, in FIFO order. */
  callSoon(fn: () => void): void {
    this.soon.push(fn);
  }

  /**
   * Moves time forward by `ms`, running every call due up to the new time in
   * time order (same time: FIFO) and settling after each.
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`advance needs a finite number of ms, got ${String(ms)}`);
    const target = this.time + checkDelay(ms);
    this.settle();
    while (this.runNextDue(target)) this.settle();
    this.time = target;
    this.settle();
  }

  /**
   * Runs callSoon calls and calls due at or before `now()` until none is
   * left. Exceptions propagate to the caller (the failing call is gone).
   * @returns whether anything ran.
   */
  flush(): boolean {
    let ran = false;
    while (this.runSoon() || this.runNextDue(this.time)) ran = true;
    return ran;
  }

  /** Runs the callSoon calls queued so far (not those they queue). Returns whether any ran. */
  runSoon(): boolean {
    const batch = this.soon;
    if (batch.length === 0) return false;
    this.soon = [];
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]();
      } catch (error) {
        this.soon = batch.slice(i + 1).concat(this.soon);
        throw error;
      }
    }
    return true;
  }

  /** The calls still pending, in the order they will run (Twisted's `getDelayedCalls`). */
  getDelayedCalls(): DelayedCall[] {
    return this.timers.pending();
  }

  /** The number of calls still scheduled (neither run nor cancelled). */
  get pending(): number {
    return this.timers.size;
  }

  /** The due time of the next pending call, or undefined. */
  nextCallTime(): number | undefined {
    return this.timers.nextTime();
  }

  /** The number of queued callSoon calls. */
  get soonCount(): number {
    return this.soon.length;
  }

  private runNextDue(limit: number): boolean {
    const due = this.timers.popDue(limit);
    if (due === undefined) return false;
    if (due.time > this.time) this.time = due.time;
    due.fn();
    return true;
  }
}
