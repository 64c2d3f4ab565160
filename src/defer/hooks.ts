/**
 * The public face of unhandled-failure reporting.
 *
 * A failure that ends a Deferred's chain with no errback consuming it and no
 * `then`/`await` observing it is reported once, through the handler set
 * here, either when the Deferred is garbage-collected still holding it, or
 * when {@link flushUnhandledFailures} is called, whichever comes first.
 * Adding a callback to the Deferred before that withdraws the report. The
 * default handler emits a process warning (`DeferredUnhandledFailure`).
 */
import type { Deferred } from './deferred';
import { flushHeld, swapHandler, type RawUnhandledHandler } from './unhandled';

/**
 * Receives an unhandled failure: the Error, and the Deferred that held it
 * (undefined when it is reported because that Deferred was garbage-collected).
 */
export type UnhandledFailureHandler = (error: Error, d: Deferred<unknown> | undefined) => void;

/**
 * Installs the handler for unhandled failures and returns the previous one
 * (restore it when done). The handler must not throw.
 */
export function setUnhandledFailureHandler(fn: UnhandledFailureHandler): UnhandledFailureHandler {
  return swapHandler(fn as RawUnhandledHandler) as UnhandledFailureHandler;
}

/**
 * Reports, now, every failure currently held unhandled by a live Deferred.
 * Deterministic: tests call it (through {@link captureUnhandledFailures}) to
 * check that nothing was left unhandled.
 */
export function flushUnhandledFailures(): void {
  flushHeld();
}

/** What {@link captureUnhandledFailures} returns. */
export interface CapturedFailures {
  /** Every failure reported since the capture started, in report order. */
  readonly failures: Error[];
  /** Flushes held failures into {@link failures} and returns that array. */
  flush(): Error[];
  /** Flushes, then reinstalls the previous handler. Returns the captured failures. */
  restore(): Error[];
}

/**
 * For tests: routes unhandled-failure reports into an array instead of the
 * current handler. Call `restore()` (or `flush()`) and assert the array.
 * @example
 * const capture = captureUnhandledFailures();
 * try { ... } finally { expect(capture.restore()).toEqual([]); }
 */
export function captureUnhandledFailures(): CapturedFailures {
  const failures: Error[] = [];
  const previous = swapHandler((error) => failures.push(error));
  const flush = (): Error[] => {
    flushHeld();
    return failures;
  };
  return {
    failures,
    flush,
    restore: () => {
      flush();
      swapHandler(previous);
      return failures;
    },
  };
}
