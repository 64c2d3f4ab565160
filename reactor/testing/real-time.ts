/**
 * Real-time drivers for a {@link ConformanceEnv} of a reactor on a real
 * clock (`runUntil` and `wait`).
 *
 * Theory of operation. A real reactor runs on its own; the test only waits.
 * {@link runUntilReal} polls a condition every millisecond up to a deadline
 * that is generous: it fails a test whose event never comes, never bounds how
 * fast it comes.
 */
import type { ConformanceEnv } from './conformance';

/** Polls `done` every millisecond until it holds; rejects after `maxMs` of real time. */
export async function runUntilReal(done: () => boolean, maxMs = 10_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${maxMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets `ms` of real time pass. */
export function waitReal(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The `runUntil` and `wait` of an env whose reactor runs on real time. */
export const realTimeDrivers: Pick<ConformanceEnv, 'runUntil' | 'wait'> = { runUntil: runUntilReal, wait: waitReal };
