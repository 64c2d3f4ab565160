/**
 * Deferred-chain helpers for the streaming room.
 *
 * Theory of operation. Streaming code runs as Deferred chains scheduled by
 * the reactor (design.md section 5), never on Promise microtasks, so it runs
 * the same on a VirtualReactor as on Node. The pull loops of COPY and of a
 * row stream need four things Deferreds do not give directly:
 * - {@link soon}: a Deferred fired from the reactor's `callSoon` (one turn,
 *   no timer), e.g. to let the session flush what was just sent;
 * - {@link loop}: run a step again and again until it says stop, each step
 *   possibly waiting on a Deferred, in constant stack depth and constant
 *   memory however many steps (no chain of nested Deferreds);
 * - {@link Shared}: one result handed to any number of later waiters (a
 *   Deferred's result is consumed by its chain);
 * - {@link detach}: the Deferred handed to the caller, fed by the internal
 *   chain, so cancelling it never cuts the internal work short (a COPY or a
 *   FETCH in flight must finish before the connection is given back).
 */
import type { ReactorTime } from '../../reactor/interfaces';
import { Deferred } from '../defer';

/** A Deferred fired (with undefined) from the reactor's `callSoon`. */
export function soon(reactor: ReactorTime): Deferred<void> {
  const d = new Deferred<void>();
  reactor.callSoon(() => d.callback(undefined));
  return d;
}

/**
 * Calls `step` until it returns (or fires with) false; fires with undefined
 * then, or fails with the first error `step` throws or fails with. A step
 * that returns a value at once runs the next one in the same loop (no
 * recursion); one that returns a Deferred resumes the loop when it fires.
 */
export function loop(step: () => boolean | Deferred<boolean>): Deferred<void> {
  const done = new Deferred<void>();
  const run = (): void => {
    for (;;) {
      let next: boolean | Deferred<boolean>;
      try {
        next = step();
      } catch (e) {
        return done.errback(e);
      }
      if (next instanceof Deferred) {
        let inside = true;
        let now: { more: boolean } | { error: Error } | null = null;
        next.addCallbacks(
          (more: boolean) => {
            if (inside) now = { more };
            else if (more) run();
            else done.callback(undefined);
          },
          (error: Error) => {
            if (inside) now = { error };
            else done.errback(error);
          },
        );
        inside = false;
        const outcome = now as { more: boolean } | { error: Error } | null; // set by the callbacks above when the Deferred had fired
        if (outcome === null) return; // the Deferred's callback resumes the loop
        if ('error' in outcome) return done.errback(outcome.error);
        next = outcome.more;
      }
      if (!next) return done.callback(undefined);
    }
  };
  run();
  return done;
}

/** One outcome, handed to every waiter as a fresh Deferred (a Deferred's own result is consumed by its chain). */
export class Shared<T> {
  private outcome: { value: T } | { error: Error } | null = null;
  private waiters: Array<Deferred<T>> = [];

  /** Takes over `source` (its result goes to the waiters, so it ends handled). */
  constructor(source: Deferred<T>) {
    source.addCallbacks(
      (value: T) => this.settle({ value }),
      (error: Error) => this.settle({ error }),
    );
  }

  /** Whether the outcome is in. */
  get settled(): boolean {
    return this.outcome !== null;
  }

  /** A new Deferred of the outcome (already fired when it is in). */
  get(): Deferred<T> {
    const d = new Deferred<T>();
    if (this.outcome === null) this.waiters.push(d);
    else fire(d, this.outcome);
    return d;
  }

  private settle(outcome: { value: T } | { error: Error }): void {
    this.outcome = outcome;
    const waiters = this.waiters;
    this.waiters = [];
    for (const d of waiters) fire(d, outcome);
  }
}

function fire<T>(d: Deferred<T>, outcome: { value: T } | { error: Error }): void {
  if ('error' in outcome) d.errback(outcome.error);
  else d.callback(outcome.value);
}

/**
 * The Deferred handed to a caller for `internal`: fires with its outcome.
 * Cancelling it runs `onCancel` (e.g. to dequeue work not started yet) and
 * fails it with `CancelledError` at once; the internal chain runs on to its
 * end, its late outcome then ignored (and handled).
 */
export function detach<T>(internal: Deferred<T>, onCancel?: () => void): Deferred<T> {
  const out = new Deferred<T>(onCancel === undefined ? undefined : () => onCancel());
  internal.addCallbacks(
    (value: T) => {
      if (!out.called) out.callback(value);
    },
    (error: Error) => {
      if (!out.called) out.errback(error);
    },
  );
  return out;
}
