/**
 * The codec's fuzz targets (fuzz/targets/decoder.ts), the ones `npm run
 * fuzz` runs a million times, run here with a small count: random and
 * mutated streams in random chunks end in messages or a PgError; no
 * foreign exception, no endless loop, no buffering beyond what was fed.
 */
import { countOutcomes, runTarget } from '../../fuzz/runner';
import { decoderTarget, frontendDecoderTarget } from '../../fuzz/targets/decoder';

const isError = (label: string): boolean => label.startsWith('ERR_');

describe('decoder fuzz', () => {
  test('20,000 random and mutated server streams each end in messages or a PgError', () => {
    const r = runTarget(decoderTarget, { seed: 1, count: 20_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    // Every outcome must really occur, or the fuzz is not exercising anything.
    expect(countOutcomes(r, isError)).toBeGreaterThan(5_000);
    expect(r.outcomes.messages).toBeGreaterThan(500);
    expect(r.outcomes.partial).toBeGreaterThan(1_000);
  });

  test('10,000 random and mutated client streams each end in messages or a PgError', () => {
    const r = runTarget(frontendDecoderTarget, { seed: 2, count: 10_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    expect(countOutcomes(r, isError)).toBeGreaterThan(2_000);
    expect(r.outcomes.messages).toBeGreaterThan(200);
  });
});
