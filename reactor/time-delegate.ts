/**
 * TimeDelegate: the clock half of a reactor, handed to a {@link ReactorTime}.
 * NodeReactor, WebSocketReactor and VirtualReactor move bytes differently
 * but keep time the same way (a NodeTime, any ReactorTime, a virtual Clock);
 * they extend this instead of repeating the three delegations.
 */
import type { DelayedCall, ReactorTime } from './interfaces';

/** Implements {@link ReactorTime} by delegating to `time`. */
export abstract class TimeDelegate implements ReactorTime {
  /** The clock every call is delegated to. */
  protected abstract readonly time: ReactorTime;

  /** The clock's time in ms (monotonic). */
  now(): number {
    return this.time.now();
  }

  /** Runs `fn` after `delayMs`, in (time, scheduling) order. */
  callLater(delayMs: number, fn: () => void): DelayedCall {
    return this.time.callLater(delayMs, fn);
  }

  /** Runs `fn` after the current stack unwinds; never a timer tick. */
  callSoon(fn: () => void): void {
    this.time.callSoon(fn);
  }
}
