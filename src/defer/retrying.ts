/**
 * Retrying a call with backoff (txpostgres' `retrying.py`).
 *
 * Theory of operation. {@link backoffIterator} yields delays in milliseconds:
 * optionally 0 first, then `initialDelay * factor`, each next one the previous
 * times `factor`, with Gaussian jitter that compounds (the jittered value is
 * the base of the next step), capped at `maxDelay`. `maxRetries` counts every
 * value yielded, the leading 0 included. Randomness comes in as `random`, so
 * tests are deterministic.
 *
 * {@link RetryingCall} calls a function, and on failure asks the failure
 * tester whether to go on; if so, it takes the next delay from the iterator
 * and calls again: at once (synchronously) for 0, after a `clock.callLater`
 * otherwise. When the iterator runs out, the call fails with the *first*
 * failure seen. Cancelling stops everything: the attempt in progress (or the
 * pending delay) is cancelled and the call fails with `CancelledError`.
 */
import type { ReactorTime } from '../../reactor/interfaces';
import { maybeDeferred } from './combinators';
import { Deferred } from './deferred';
import { deferLater } from './later';
import { InterfaceError } from '../errors/base';

/** Options of {@link backoffIterator}; all times in milliseconds. */
export interface BackoffOptions {
  /** The base delay; the first non-zero value is `initialDelay * factor`. Default 1000. */
  initialDelay?: number;
  /** The cap of every delay; 0 means no cap. Default 10000. */
  maxDelay?: number;
  /** The growth factor per step. Default 1.7. */
  factor?: number;
  /** The standard deviation of the jitter, relative to the delay; 0 disables it. Default 0.11962656472. */
  jitter?: number;
  /** How many values to yield in all (the leading 0 included); 0 means unlimited. Default 0. */
  maxRetries?: number;
  /** Whether to yield 0 first (retry at once). Default true. */
  now?: boolean;
  /** A uniform random source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** txpostgres' default jitter: a standard deviation of about 12% of the delay. */
export const DEFAULT_JITTER = 0.11962656472;

/**
 * The delays (ms) between attempts. The defaults are the reconnection
 * schedule: 0, then about 1700, 2890, 4913, 8352 ms, then 10000 ms for ever.
 * @example
 * [...backoffIterator({ initialDelay: 10, factor: 2, jitter: 0, maxDelay: 90, maxRetries: 6 })]
 * // [0, 20, 40, 80, 90, 90]
 */
export function* backoffIterator(options: BackoffOptions = {}): Generator<number, void, undefined> {
  const { initialDelay = 1000, maxDelay = 10_000, factor = 1.7, jitter = DEFAULT_JITTER } = options;
  const { maxRetries = 0, now = true, random = Math.random } = options;
  let yielded = 0;
  if (now) {
    yielded++;
    yield 0;
  }
  let delay = initialDelay;
  while (maxRetries === 0 || yielded < maxRetries) {
    delay *= factor;
    if (jitter !== 0) delay = Math.max(0, delay + delay * jitter * gaussian(random));
    if (maxDelay !== 0) delay = Math.min(delay, maxDelay);
    yielded++;
    yield delay;
  }
}

/** A standard normal deviate from two uniform ones (Box-Muller). */
export function gaussian(random: () => number): number {
  const u1 = 1 - random(); // (0, 1]: keeps log finite
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Decides what a failure means: return undefined to retry, an Error to stop
 * with that Error; throwing stops with what was thrown.
 */
export type FailureTester = (error: Error) => Error | undefined | void;

/** Options of {@link RetryingCall.start}. */
export interface RetryingCallOptions {
  /** The clock that times non-zero delays (a reactor). */
  clock: ReactorTime;
  /** The delays; default {@link backoffIterator}() (the unlimited reconnection schedule). */
  backoff?: Iterable<number>;
  /** Which failures to retry; default: all. */
  failureTester?: FailureTester;
}

/**
 * Calls `fn(...args)` until it succeeds, the failure tester says stop, the
 * delays run out, or the call is cancelled (txpostgres' RetryingCall).
 * @example
 * new RetryingCall(connect, dsn).start({ clock: reactor, backoff: backoffIterator() })
 */
export class RetryingCall<T, A extends unknown[] = []> {
  /** True once the Deferred from {@link start} was cancelled. */
  cancelled = false;
  /** The first failure seen (what the call fails with when the delays run out). */
  failure: Error | undefined = undefined;
  private readonly fn: (...args: A) => T | PromiseLike<T>;
  private readonly args: A;
  private iterator: Iterator<number> = [][Symbol.iterator]();
  private clock: ReactorTime | undefined;
  private tester: FailureTester = () => undefined;
  private deferred: Deferred<T> | undefined;
  private inProgress: Deferred<T> | null = null;
  private attempting = false;
  private again = false;

  constructor(fn: (...args: A) => T | PromiseLike<T>, ...args: A) {
    this.fn = fn;
    this.args = args;
  }

  /**
   * Starts calling. The first delay comes from the iterator at once (0 calls
   * synchronously). Returns a Deferred of the first success; it fails with
   * the tester's verdict, with the first failure when the delays run out, or
   * with `CancelledError` when cancelled (no call is made after that).
   */
  start(options: RetryingCallOptions): Deferred<T> {
    this.clock = options.clock;
    this.resetBackoff(options.backoff);
    this.tester = options.failureTester ?? (() => undefined);
    this.cancelled = false;
    this.failure = undefined;
    const deferred = new Deferred<T>(() => this.stop());
    this.deferred = deferred;
    this.attempt();
    return deferred;
  }

  /** Replaces the delays; a delay already scheduled still runs its course. */
  resetBackoff(backoff?: Iterable<number>): void {
    this.iterator = (backoff ?? backoffIterator())[Symbol.iterator]();
  }

  private stop(): void {
    this.cancelled = true;
    this.inProgress?.cancel();
  }

  /** Runs attempts; a synchronous failure while attempting loops here instead of recursing. */
  private attempt(): void {
    if (this.attempting) {
      this.again = true;
      return;
    }
    this.attempting = true;
    do {
      this.again = false;
      this.attemptOnce();
    } while (this.again);
    this.attempting = false;
  }

  private attemptOnce(): void {
    const step = this.iterator.next();
    if (step.done === true) {
      this.finish().errback(this.failure ?? exhaustedBeforeStart());
      return;
    }
    const d =
      step.value <= 0
        ? maybeDeferred(this.fn, ...this.args)
        : deferLater(this.clock as ReactorTime, step.value, this.fn, ...this.args);
    this.inProgress = d;
    d.addCallbacks(
      (value: T) => this.succeeded(value),
      (error: Error) => this.failed(error),
    );
  }

  private succeeded(value: T): void {
    this.inProgress = null;
    if (!this.cancelled) this.finish().callback(value);
  }

  private failed(error: Error): void {
    this.inProgress = null;
    if (this.cancelled) return;
    let verdict: Error | undefined | void;
    try {
      verdict = this.tester(error);
    } catch (e) {
      this.finish().errback(e);
      return;
    }
    if (verdict !== undefined) {
      this.finish().errback(verdict);
      return;
    }
    this.failure ??= error;
    this.attempt();
  }

  private finish(): Deferred<T> {
    return this.deferred as Deferred<T>;
  }
}

function exhaustedBeforeStart(): InterfaceError {
  return new InterfaceError('the backoff yielded no delay, so no attempt was made', { code: 'ERR_BACKOFF_EMPTY' });
}
