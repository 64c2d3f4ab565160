/**
 * The DSN layer's fuzz target (fuzz/targets/dsn.ts), the one `npm run
 * fuzz` runs a million times, run here with a small count: mutated URIs
 * and key=value strings, random parameter objects and PG* environments
 * resolve, or fail with a ConfigurationError or InterfaceError only, and a
 * resolved configuration has between 1 and MAX_HOSTS hosts with valid ports.
 */
import { countOutcomes, runTarget } from '../../fuzz/runner';
import { dsnTarget } from '../../fuzz/targets/dsn';

describe('DSN fuzz', () => {
  it('resolves or refuses each of 20,000 hostile connection inputs with a library error', () => {
    const r = runTarget(dsnTarget, { seed: 3, count: 20_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    for (const form of ['string', 'object', 'env']) {
      expect(countOutcomes(r, (l) => l === `${form} resolved`)).toBeGreaterThan(50);
      expect(countOutcomes(r, (l) => l === `${form} ERR_INVALID_CONFIG`)).toBeGreaterThan(50);
    }
  }, 180_000);
});
