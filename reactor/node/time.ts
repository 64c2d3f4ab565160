/**
 * NodeTime: the real clock of the Node reactors.
 *
 * Theory of operation.
 * - `now()` is `performance.now()`: monotonic milliseconds, immune to wall
 *   clock changes.
 * - `callLater` keeps every call in one {@link TimerQueue} and arms a single
 *   Node timer for the earliest one, so ordering is exact (time, then FIFO)
 *   and thousands of reset keepalive timers cost one Node timer. A Node timer
 *   holds at most {@link MAX_NODE_TIMER_MS} (2^31-1 ms, about 24.8 days;
 *   longer ones fire after 1 ms with a TimeoutOverflowWarning), so a later
 *   call is reached by a chain of timers of at most that length: when one
 *   fires with nothing due, the next is armed for the time still left. A call
 *   delayed by `Infinity` arms no Node timer at all.
 * - `callSoon` batches calls in a FIFO drained by one microtask (a
 *   reaction of an already resolved Promise: `queueMicrotask` wraps every
 *   callback in an AsyncResource, which cost about 2 µs per call in the W8
 *   profile against 0.4 µs). A microtask runs only after the current JavaScript
 *   stack has unwound (after the I/O handler that scheduled it returned), so
 *   it is never re-entrant, and it costs no event-loop turn: measured in
 *   `bench/callsoon.ts`, a hop is far below `setImmediate`, and ~1,000x below
 *   `setTimeout(0)` (which Node clamps to 1 ms). Because microtasks run before
 *   I/O, a callback chain that keeps re-scheduling itself could starve the
 *   event loop; so every {@link MAX_MICROTASK_HOPS}th microtask batch goes
 *   through `setImmediate` instead, which lets pending I/O and timers run.
 *   The count is of batches since the last such yield, whether or not the
 *   event loop turned meanwhile: noticing a turn would take a `setImmediate`
 *   armed in every turn that schedules anything, and that extra event-loop
 *   work cost more than the hop itself (W8, one notification per turn: about
 *   11 µs of CPU per notification, measured). So no chain ever runs more than
 *   that many batches without a turn, and any other batch is delayed by one
 *   check phase at most once in that many.
 * Exceptions thrown by callbacks do not break the queues: they are passed to
 * `onError` (default: rethrown from a fresh microtask, i.e. an uncaught exception).
 */
import type { DelayedCall, ReactorTime } from '../interfaces';
import { TimerQueue } from '../timer-queue';

/** The settled Promise whose reactions schedule callSoon's microtasks (see the file comment). */
const RESOLVED = Promise.resolve();

/** Every this many callSoon batches, one goes through setImmediate (yielding to the event loop) instead of a microtask. */
export const MAX_MICROTASK_HOPS = 1000;

/** The longest delay one Node timer can hold (2^31-1 ms); longer waits are chained. */
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

/** Options for {@link NodeTime}. */
export interface NodeTimeOptions {
  /** Receives exceptions thrown by scheduled callbacks (default: rethrow asynchronously). */
  onError?: (error: unknown) => void;
}

/** A {@link ReactorTime} on Node's event loop. */
export class NodeTime implements ReactorTime {
  private readonly timers = new TimerQueue(() => performance.now(), () => this.arm());
  private handle: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private soon: Array<() => void> = [];
  /** The empty array the next batch collects into while `soon` runs. */
  private spare: Array<() => void> = [];
  private soonScheduled = false;
  /** Microtask batches since the last batch that went through setImmediate. */
  private hops = 0;
  private readonly onError: (error: unknown) => void;
  private readonly drainSoon = (): void => this.runSoonBatch();
  private readonly fireTimers = (): void => this.runDueTimers();

  constructor(options: NodeTimeOptions = {}) {
    this.onError = options.onError ?? rethrowAsync;
  }

  /** Monotonic milliseconds (`performance.now()`). */
  now(): number {
    return performance.now();
  }

  /**
   * Runs `fn` after `delayMs` (any length: longer than 2^31-1 ms is chained);
   * calls due at the same time run in scheduling order. `Infinity` never
   * runs (until reset); NaN, a negative delay or a non-number is a RangeError.
   */
  callLater(delayMs: number, fn: () => void): DelayedCall {
    return this.timers.add(delayMs, fn);
  }

  /** Runs `fn` in a microtask batch after the current stack unwinds (see the file comment). */
  callSoon(fn: () => void): void {
    this.soon.push(fn);
    if (this.soonScheduled) return;
    this.soonScheduled = true;
    if (++this.hops < MAX_MICROTASK_HOPS) {
      void RESOLVED.then(this.drainSoon);
    } else {
      this.hops = 0;
      setImmediate(this.drainSoon);
    }
  }

  /** Runs one batch. Two arrays take turns (no new array per batch, and an index loop: no iterator object). */
  private runSoonBatch(): void {
    const batch = this.soon;
    this.soon = this.spare;
    this.soonScheduled = false;
    for (let i = 0; i < batch.length; i++) this.guard(batch[i]);
    while (batch.length > 0) batch.pop(); // keeps the storage: length = 0 drops it, and the next push allocates again
    this.spare = batch;
  }

  private runDueTimers(): void {
    this.handle = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    for (let due = this.timers.popDue(now); due; due = this.timers.popDue(now)) this.guard(due.fn);
    this.arm();
  }

  /**
   * Keeps one Node timer armed for the earliest pending call (`armedFor` is
   * that call's due time, even while the timer is one link of a chain); none
   * when nothing is pending or the earliest call is due at Infinity.
   */
  private arm(): void {
    const next = this.timers.nextTime() ?? Infinity;
    if (next === this.armedFor) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = next;
    if (next === Infinity) return;
    this.handle = setTimeout(this.fireTimers, Math.min(MAX_NODE_TIMER_MS, Math.max(0, next - performance.now())));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onError(error);
    }
  }
}

function rethrowAsync(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
