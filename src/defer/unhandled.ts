/**
 * Tracking of failures nobody handled.
 *
 * Theory of operation. When a Deferred's callback chain runs dry while its
 * result is a failure that no errback consumed and no `then` observed, the
 * Deferred *holds* that failure: it is entered here. Adding a callback to the
 * Deferred (or stealing its result into another chain) *releases* it. A held
 * failure is reported exactly once through the handler, at the first of:
 *
 * - the Deferred being garbage-collected while still holding it (a
 *   FinalizationRegistry; this is Twisted's rule, and the only one that never
 *   reports a failure someone handles later), or
 * - an explicit {@link flushHeld} (deterministic; what tests use).
 *
 * The set of held failures references Deferreds only weakly, so an unhandled
 * failure never keeps its Deferred alive. An error's stack, until it is
 * first read, is a list of frames holding their receivers and functions:
 * an error thrown by one of a Deferred's own callbacks holds that Deferred
 * (the frame of its callback loop), so the set would keep it alive through
 * its own failure, and the failure would never be reported. Holding a
 * failure therefore turns the stacks of the error and its causes into text
 * first. No timers are involved.
 */
import { Failure } from './failure';

/** Receives an unhandled failure and, unless it was garbage-collected, its owner. */
export type RawUnhandledHandler = (error: Error, owner: object | undefined) => void;

/** A failure currently held by an owner (a Deferred). */
export interface Held {
  readonly ref: WeakRef<object>;
  readonly failure: Failure;
}

const pending = new Set<Held>();
const finalizer = new FinalizationRegistry<Held>((held) => {
  if (pending.delete(held)) report(held.failure, undefined);
});

/** The default handler: a process warning (or a console warning outside Node). */
export function warnUnhandled(error: Error): void {
  const text = `Unhandled error in Deferred: ${error.stack ?? `${error.name}: ${error.message}`}`;
  const proc = (globalThis as { process?: { emitWarning?: (w: string, o: object) => void } }).process;
  if (typeof proc?.emitWarning === 'function') {
    proc.emitWarning(text, { type: 'DeferredUnhandledFailure', code: 'ERR_UNHANDLED_FAILURE' });
  } else {
    console.warn(text);
  }
}

let handler: RawUnhandledHandler = warnUnhandled;

/** Installs `fn` as the handler and returns the previous one. */
export function swapHandler(fn: RawUnhandledHandler): RawUnhandledHandler {
  const previous = handler;
  handler = fn;
  return previous;
}

/** Passes `error` to the handler directly (for errors with no chain to travel, e.g. a throwing canceller). */
export function reportError(error: Error, owner: object | undefined): void {
  handler(error, owner);
}

/** Marks `failure` reported and hands it to the handler, unless it was observed already. */
function report(failure: Failure, owner: object | undefined): void {
  if (failure.observed) return;
  failure.observed = true;
  handler(failure.error, owner);
}

/** Records that `owner` ended its chain holding `failure`; null when there is nothing to report. */
export function hold(owner: object, failure: Failure): Held | null {
  if (failure.observed) return null;
  stackToText(failure.error);
  const held: Held = { ref: new WeakRef(owner), failure };
  pending.add(held);
  finalizer.register(owner, held, held);
  return held;
}

/** The deepest `cause` chain whose stacks are turned into text. */
const MAX_CAUSES = 8;

/**
 * Reads the stacks of `error` and its causes, which makes V8 format them
 * and drop the frames they held (see the file comment). A stack getter
 * that throws is left alone.
 */
function stackToText(error: unknown): void {
  for (let e = error, depth = 0; e instanceof Error && depth <= MAX_CAUSES; e = e.cause, depth++) {
    try {
      void e.stack;
    } catch {
      return;
    }
  }
}

/** Forgets a held failure: its owner got a new callback or gave its result away. */
export function release(held: Held): void {
  pending.delete(held);
  finalizer.unregister(held);
}

/** Reports every failure held right now, oldest first, and forgets them. */
export function flushHeld(): void {
  for (const held of [...pending]) {
    release(held);
    report(held.failure, held.ref.deref());
  }
}
