/**
 * An RxJS scheduler on a reactor's clock.
 *
 * Theory of operation. RxJS asks a scheduler for `now()` and to `schedule`
 * work after a delay; the work may reschedule itself through the action it
 * receives as `this` (that is how `interval` and `timer(d, period)` repeat).
 * Here every delay becomes one `reactor.callLater`, and `now()` is the
 * reactor's clock, so on a `VirtualReactor` `debounceTime`, `timer` and
 * friends advance only with `reactor.advance(ms)`: time-based pipelines are
 * tested deterministically, without sleeps.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { DelayedCall, ReactorTime } from '../../reactor/interfaces';

/** One scheduled piece of work; reschedulable through `this.schedule`. */
class ReactorAction<T> extends Subscription implements SchedulerAction<T> {
  private call: DelayedCall | null = null;

  constructor(
    private readonly clock: ReactorTime,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => this.call?.cancel());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.call?.cancel();
    this.call = this.clock.callLater(Math.max(0, delay), () => this.run(state));
    return this;
  }

  private run(state?: T): void {
    this.call = null;
    if (this.closed) return;
    this.work.call(this, state);
    if (this.call === null) this.unsubscribe(); // not rescheduled: done
  }
}

/**
 * A `SchedulerLike` whose `now()` is `clock.now()` (ms) and whose delays are
 * `clock.callLater` calls. Unsubscribing a scheduled action cancels its call.
 * @param clock a reactor (or any `ReactorTime`)
 * @example
 * const s = reactorScheduler(reactor);
 * source$.pipe(debounceTime(100, s)).subscribe(...);
 * reactor.advance(100);
 */
export function reactorScheduler(clock: ReactorTime): SchedulerLike {
  return {
    now: () => clock.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new ReactorAction<T>(clock, work).schedule(state, delay);
    },
  };
}
