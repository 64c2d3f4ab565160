/**
 * The fuzz runner: deterministic per seed, each input replayable alone, a
 * broken rule reported with its seed, input index and replay command, and a
 * foreign exception treated as a broken rule.
 */
import { countOutcomes, replayCommand, runTarget } from '../../fuzz/runner';
import { check, outcomeOf, type FuzzTarget } from '../../fuzz/target';
import { TARGETS } from '../../fuzz/targets';
import { ConfigurationError } from '../../src/errors/base';
import { fuzzBytes, fuzzText, inputRng } from '../support/fuzz';

/** A target that breaks its rule on the inputs whose first draw is below 0.01, and throws a library error on others. */
const picky: FuzzTarget = {
  name: 'picky',
  about: 'a test target',
  run(rand) {
    const x = rand();
    check(x >= 0.01, () => `drew ${x}`);
    try {
      if (x < 0.5) throw new ConfigurationError('refused');
    } catch (e) {
      return outcomeOf(e);
    }
    return 'ok';
  },
};

describe('the fuzz runner', () => {
  it('gives each input of a seed its own PRNG: the same bytes whatever else is generated', () => {
    const corpus = [Uint8Array.of(0x5a, 0, 0, 0, 5, 0x49)];
    const forward = Array.from({ length: 50 }, (_, i) => fuzzBytes(inputRng(9, i), corpus));
    const backward = Array.from({ length: 50 }, (_, i) => fuzzBytes(inputRng(9, 49 - i), corpus)).reverse();
    expect(backward).toEqual(forward);
    expect(fuzzText(inputRng(9, 3), ['host=a'], ['='])).toBe(fuzzText(inputRng(9, 3), ['host=a'], ['=']));
    expect(fuzzBytes(inputRng(10, 0), corpus)).not.toEqual(fuzzBytes(inputRng(9, 0), corpus));
  });

  it('reports a broken rule with its seed, index and replay command, and the replay breaks it again', () => {
    const r = runTarget(picky, { seed: 4, count: 10_000, maxFailures: 3 });
    expect(r.failures).toHaveLength(3);
    const first = r.failures[0];
    expect(first.message).toBe(`picky: input ${first.index} of seed 4: FuzzBreach: ${(first.error as Error).message}`);
    expect(first.replay).toBe(replayCommand('picky', 4, first.index));
    expect(first.replay).toBe(`npm run fuzz -- --only picky --seed 4 --from ${first.index} --count 1`);
    expect(r.inputs).toBe(r.failures[2].index + 1); // it stopped at the third
    const replay = runTarget(picky, { seed: 4, from: first.index, count: 1 });
    expect(replay.failures.map((f) => f.message)).toEqual([first.message]);
  });

  it('tallies outcomes: library errors by code, the rest by label', () => {
    const r = runTarget(picky, { seed: 4, count: 1_000, maxFailures: 1_000 });
    expect(countOutcomes(r) + r.failures.length).toBe(1_000);
    expect(r.outcomes.ERR_INVALID_CONFIG).toBeGreaterThan(400);
    expect(r.outcomes.ok).toBeGreaterThan(400);
  });

  it('treats a foreign exception escaping a target as a broken rule', () => {
    const throwing: FuzzTarget = { name: 'throwing', about: '', run: () => JSON.parse('{') as string };
    const r = runTarget(throwing, { seed: 1, count: 1 });
    expect(r.failures[0].message).toMatch(/^throwing: input 0 of seed 1: SyntaxError: /);
    expect(() => outcomeOf(new TypeError('x'))).toThrow('a foreign exception escaped: TypeError: x');
  });

  it('lists each target under a distinct name', () => {
    const names = TARGETS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(['decoder', 'frontend-decoder', 'machine', 'copy', 'startup', 'dsn', 'types']);
  });
});
