/**
 * Fuzz: random and mutated inputs (seeded, deterministic) fed to both
 * decoders. Every input must end in messages or a library error (PgError);
 * no foreign exception, no endless loop, no buffering beyond what was fed.
 */
import { PgError } from '../../src/errors/base';
import { BackendDecoder } from '../../src/protocol/decode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import { fromHex } from '../../src/util/bytes';
import { fuzzInputs, rng, splitRandomly } from '../support/fuzz';
import { SESSIONS } from './vectors';

const backendCorpus = SESSIONS.flatMap((s) => s.steps.map((st) => fromHex(st.receivedHex))).filter((b) => b.length > 0);
const frontendCorpus = SESSIONS.map((s) => fromHex(s.steps.map((st) => st.sentHex).join('')));

interface Outcome { messages: number; errors: number }

function run(decoder: { feed(b: Uint8Array): void; next(): unknown; buffered: number }, chunks: Uint8Array[], outcome: Outcome): void {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  try {
    for (const c of chunks) {
      const before = c.slice();
      decoder.feed(c);
      for (let guard = 0; decoder.next() !== null; guard++) {
        outcome.messages++;
        if (guard > total) throw new Error('decoder yields more messages than bytes: endless loop');
      }
      if (decoder.buffered > total) throw new Error(`decoder buffers ${decoder.buffered} bytes of ${total} fed`);
      if (c.some((v, i) => v !== before[i])) throw new Error('decoder mutated its input');
    }
  } catch (e) {
    if (!(e instanceof PgError)) throw e;
    outcome.errors++;
  }
}

describe('decoder fuzz', () => {
  test('100,000 random and mutated server streams each end in messages or a PgError', () => {
    const rand = rng(42);
    const outcome: Outcome = { messages: 0, errors: 0 };
    for (const input of fuzzInputs({ seed: 1, count: 100_000, corpus: backendCorpus })) {
      run(new BackendDecoder({ maxMessageSize: 1 << 16 }), splitRandomly(input, rand), outcome);
    }
    // Both outcomes must really occur, or the fuzz is not exercising anything.
    expect(outcome.errors).toBeGreaterThan(10_000);
    expect(outcome.messages).toBeGreaterThan(100_000);
  });

  test('20,000 random and mutated client streams each end in messages or a PgError', () => {
    const rand = rng(7);
    const outcome: Outcome = { messages: 0, errors: 0 };
    for (const input of fuzzInputs({ seed: 2, count: 20_000, corpus: frontendCorpus, types: 'pQPBDESHCdcfFX' })) {
      run(new FrontendDecoder({ maxMessageSize: 1 << 16 }), splitRandomly(input, rand), outcome);
    }
    expect(outcome.errors).toBeGreaterThan(1_000);
    expect(outcome.messages).toBeGreaterThan(10_000);
  });

  test('the input generator is deterministic for a seed', () => {
    const a = [...fuzzInputs({ seed: 9, count: 50, corpus: backendCorpus })];
    const b = [...fuzzInputs({ seed: 9, count: 50, corpus: backendCorpus })];
    expect(a).toEqual(b);
  });
});
