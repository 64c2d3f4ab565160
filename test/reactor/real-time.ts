/**
 * Real-time drivers for the conformance suite on real reactors: poll a
 * condition every millisecond up to a deadline (generous: it only fails a test
 * whose event never comes, never bounds how fast it comes; the
 * conformance suite tests real timers and real sockets, so it must wait for them).
 */
import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';

/** Polls `done` until it holds; rejects after `maxMs`. */
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

/** The host name whose DNS lookup never answers: connects to it can only time out. */
export const BLACKHOLE_HOST = 'blackhole.invalid';

/**
 * A DNS lookup that never answers for {@link BLACKHOLE_HOST} and defers to
 * `dns.lookup` otherwise. It makes "connect never completes" deterministic in
 * a sandbox, where non-routable addresses may be answered or refused at once.
 */
export const blackholeLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === BLACKHOLE_HOST) return;
  dns.lookup(hostname, options, callback);
};
