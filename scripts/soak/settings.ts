/**
 * The knobs of a soak run: the liveness settings every client under test
 * gets, how long the harness waits for each step, and how hard the slow
 * faults squeeze the link. One object, so a run's JSON report can state
 * exactly what it ran with.
 */
import { DeadConnectionDetector } from '../../src/index';

/** Settings of a soak run; see {@link DEFAULT_SETTINGS}. */
export interface SoakSettings {
  /** The detector's heartbeat: probe an idle connection every `intervalMs`, dead without an answer in `timeoutMs`. */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  /** A call through the detector running longer than this declares death (ms). */
  readonly operationDeadlineMs: number;
  /** Per connection attempt (ms). */
  readonly connectTimeoutMs: number;
  /** Delay between reconnection attempts after the first, immediate one (ms); unlimited attempts. */
  readonly reconnectDelayMs: number;
  /** The pool's wait for a member (ms). */
  readonly acquireTimeoutMs: number;
  /** The harness gives up on a step (an outage noticed, a recovery, a delivery) after this (ms). */
  readonly stepMs: number;
  /** Added to a Deferred's own deadline before it counts as pending past it (ms). */
  readonly deadlineSlackMs: number;
  /** How long a slow fault lasts (ms). */
  readonly slowWindowMs: number;
  /** The latency fault: each chunk forwarded this late (ms). */
  readonly latencyMs: number;
  /** The trickle fault: at most `bytes` per direction and link every `everyMs`. */
  readonly trickle: { readonly bytes: number; readonly everyMs: number };
  /** RSS growth from the first to the last cycle that is flagged (MiB). */
  readonly rssBoundMiB: number;
}

/** The defaults: detection within seconds, deadlines generous for a loaded 2-core machine. */
export const DEFAULT_SETTINGS: SoakSettings = {
  heartbeat: { intervalMs: 500, timeoutMs: 3000 },
  operationDeadlineMs: 8000,
  connectTimeoutMs: 3000,
  reconnectDelayMs: 250,
  acquireTimeoutMs: 30_000,
  stepMs: 45_000,
  deadlineSlackMs: 15_000,
  slowWindowMs: 2000,
  latencyMs: 200,
  trickle: { bytes: 256, everyMs: 20 },
  rssBoundMiB: 64,
};

/** Reconnect at once, then every `delayMs`, for ever (the harness bounds the wait). */
export function* reconnectDelays(delayMs: number): Generator<number> {
  yield 0;
  for (;;) yield delayMs;
}

/** A detector with the run's liveness settings (one per connection). */
export function soakDetector(s: SoakSettings): DeadConnectionDetector {
  return new DeadConnectionDetector({
    heartbeat: s.heartbeat,
    operationDeadlineMs: s.operationDeadlineMs,
    reconnectionIterator: () => reconnectDelays(s.reconnectDelayMs),
  });
}

