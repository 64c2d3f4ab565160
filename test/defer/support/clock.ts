/**
 * A tiny virtual clock for the defer and retrying tests (ReactorTime).
 * Time only moves on `advance(ms)`; `callSoon` calls run on `advance` too
 * (including `advance(0)`), before due timers.
 */
import type { DelayedCall, ReactorTime } from '../../../reactor/interfaces';

interface Entry {
  time: number;
  seq: number;
  fn: () => void;
  state: 'active' | 'done';
}

export class TestClock implements ReactorTime {
  private current = 0;
  private seq = 0;
  private entries: Entry[] = [];
  private soon: Array<() => void> = [];
  /** Every delay ever passed to callLater, in order. */
  readonly requested: number[] = [];

  now(): number {
    return this.current;
  }

  callLater(delayMs: number, fn: () => void): DelayedCall {
    this.requested.push(delayMs);
    const entry: Entry = { time: this.current + delayMs, seq: this.seq++, fn, state: 'active' };
    this.entries.push(entry);
    const active = (): boolean => entry.state === 'active';
    const must = (): void => {
      if (!active()) throw new Error('the call is not active');
    };
    return {
      get time() {
        return entry.time;
      },
      active,
      cancel: () => {
        entry.state = 'done';
      },
      reset: (ms: number) => {
        must();
        entry.time = this.current + ms;
      },
      delay: (ms: number) => {
        must();
        entry.time += ms;
      },
    };
  }

  callSoon(fn: () => void): void {
    this.soon.push(fn);
  }

  /** The number of calls still scheduled. */
  get pending(): number {
    return this.entries.filter((e) => e.state === 'active').length;
  }

  /** Moves time forward by `ms`, running callSoon calls and every call that becomes due, in time order. */
  advance(ms: number): void {
    const target = this.current + ms;
    this.runSoon();
    for (let e = this.nextDue(target); e !== undefined; e = this.nextDue(target)) {
      this.current = e.time;
      e.state = 'done';
      e.fn();
      this.runSoon();
    }
    this.current = target;
  }

  private runSoon(): void {
    while (this.soon.length > 0) (this.soon.shift() as () => void)();
  }

  private nextDue(target: number): Entry | undefined {
    this.entries = this.entries.filter((e) => e.state === 'active');
    let best: Entry | undefined;
    for (const e of this.entries) {
      if (e.time <= target && (best === undefined || e.time < best.time || (e.time === best.time && e.seq < best.seq))) best = e;
    }
    return best;
  }
}
