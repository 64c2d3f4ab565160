/**
 * Real-time helpers for the reactor tests: the shipped drivers
 * (`runUntilReal`, `waitReal` from `tspostgres/reactor/testing`) and a DNS
 * lookup that never answers, for connects that can only time out.
 */
import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';

export { runUntilReal, waitReal } from '../../reactor/testing';

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
