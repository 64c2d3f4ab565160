/**
 * PgBouncer for the tests: a throwaway pooler (scripts/pgbouncer.ts) in
 * front of the run's server.
 *
 * Theory of operation. A suite declared with {@link describePgBouncer} needs
 * Debian's pgbouncer and the local throwaway cluster (PgBouncer logs in to
 * the server as the client's user with no password: the cluster trusts
 * `postgres` and `tsp_trust`). When either is missing the suite is skipped
 * with the reason in its title (as `describeLocal` does for a server
 * that is not the local cluster), except for a missing pgbouncer under
 * `CI=true`: there the suite runs, and {@link startTestPgBouncer} fails in
 * `beforeAll` with what to install, so a CI machine without pgbouncer fails
 * instead of passing silently.
 */
import { findPgBouncer, startPgBouncer, type PgBouncer, type PgBouncerOptions } from '../../scripts/pgbouncer';
import { describeUnless, localServer, maybeTestServer, testServer } from './server';

/** Why the PgBouncer suites cannot run here, or null when they can. */
export function pgBouncerMissing(): string | null {
  if (findPgBouncer() === null) return 'no pgbouncer (install the Debian package pgbouncer)';
  if (!maybeTestServer()?.local) return `needs the local throwaway cluster; server is ${process.env.PGTEST_KIND ?? 'absent'}`;
  return null;
}

/** `describe` when PgBouncer can run (and under CI=true without pgbouncer, to fail there), else skipped with the reason. */
export function describePgBouncer(name: string, fn: () => void): void {
  const failInstead = process.env.CI === 'true' && findPgBouncer() === null;
  describeUnless(failInstead ? null : pgBouncerMissing(), name, fn);
}

/** Starts a PgBouncer (transaction mode, default_pool_size 2 unless told) in front of the run's local cluster. */
export async function startTestPgBouncer(options: Omit<PgBouncerOptions, 'server'> = {}): Promise<PgBouncer> {
  const missing = pgBouncerMissing();
  if (missing !== null) throw new Error(`cannot start PgBouncer: ${missing}`);
  const server = testServer(), users = localServer().users;
  return startPgBouncer({ server: { host: server.host, port: server.port }, users: [users.superuser.user, users.trust.user], ...options });
}
