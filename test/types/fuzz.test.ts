/**
 * The type parsers' fuzz target (fuzz/targets/types.ts), the one `npm run
 * fuzz` runs a million times, run here with a small count, and over every
 * built-in type in both formats: mutated server literals and random bytes
 * decode, or fail with a library error (TypeParseError) only.
 */
import { runTarget } from '../../fuzz/runner';
import { fuzzType, TYPE_CASES, typesTarget } from '../../fuzz/targets/types';
import { createDefaultRegistry } from '../../src/types/registry';
import { utf8Encode } from '../../src/util/bytes';
import { inputRng } from '../support/fuzz';

describe('type parser fuzz', () => {
  it('decodes or refuses with a library error each of 20,000 hostile fields', () => {
    const r = runTarget(typesTarget, { seed: 5, count: 20_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    expect(r.outcomes['text value']).toBeGreaterThan(1_000);
    expect(r.outcomes['text ERR_TYPE_PARSE']).toBeGreaterThan(1_000);
    expect(r.outcomes['binary value']).toBeGreaterThan(500);
    expect(r.outcomes['binary ERR_TYPE_PARSE']).toBeGreaterThan(100);
  }, 180_000);

  it.each(TYPE_CASES.map((c) => [c.name, c] as const))('%s: 200 hostile fields per format, only library errors', (_, c) => {
    const outcomes = new Set<string>();
    for (let i = 0; i < 400; i++) outcomes.add(fuzzType(inputRng(c.oid, i), c, i % 2 === 0 ? 0 : 1));
    expect([...outcomes].every((o) => / (value|ERR_[A-Z_]+)$/.test(o))).toBe(true);
  });

  it('starts from literals every built-in type decodes (the corpus is what a server prints)', () => {
    for (const timestamps of ['date', 'precise'] as const) {
      const registry = createDefaultRegistry({ timestamps });
      for (const c of TYPE_CASES) for (const text of c.texts) expect(() => registry.decoder(c.oid, 0)(utf8Encode(text))).not.toThrow();
    }
  });
});
