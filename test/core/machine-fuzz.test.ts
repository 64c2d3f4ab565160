/**
 * Fuzzing the ProtocolMachine after a valid startup: 100,000 deterministic
 * inputs (mutated captured server bytes and random message-shaped bytes,
 * from test/support/fuzz.ts), each cut into random chunks, fed to a fresh
 * ready machine (half of them with operations in flight, so query responses
 * are legal). receiveData must never throw; each input ends in events, or in
 * one Failed event that is the last thing the machine says; nothing hangs.
 */
import type { MachineEvent } from '../../src/core/events';
import { PgError } from '../../src/errors/base';
import { fromHex } from '../../src/util/bytes';
import { fuzzInputs, rng, splitRandomly } from '../support/fuzz';
import { SESSIONS } from '../protocol/vectors';
import { readyMachine } from './machine-helpers';

const COUNT = 100_000;

/** Every backend byte string captured after startup. */
const corpus = SESSIONS.flatMap((s) => s.steps.slice(1)).map((st) => fromHex(st.receivedHex)).filter((b) => b.length > 0);

describe('ProtocolMachine fuzz', () => {
  it(`ends each of ${COUNT.toLocaleString('en')} mutated inputs in events or one final Failed event, never throwing`, () => {
    const rand = rng(0x5eed);
    const tally = { failed: 0, clean: 0, events: 0, bytes: 0 };
    let i = 0;
    for (const input of fuzzInputs({ seed: 20240229, count: COUNT, corpus })) {
      const m = readyMachine();
      if (i++ % 2 === 1) {
        m.send({ type: 'simpleQuery', sql: 'SELECT 1' });
        m.send({ type: 'batch', messages: [{ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] }, { type: 'Sync' }] });
        m.dataToSend();
      }
      const events: MachineEvent[] = [];
      tally.bytes += input.length;
      for (const chunk of splitRandomly(input, rand)) {
        m.receiveData(chunk); // a throw fails the test
        for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) events.push(e);
      }
      const failedAt = events.findIndex((e) => e.type === 'Failed');
      if (failedAt >= 0) {
        if (failedAt !== events.length - 1 || m.state !== 'closed') throw new Error(`input ${i}: Failed is not the last event, or the machine is open`);
        const error = (events[failedAt] as { error: Error | null }).error;
        if (!(error instanceof PgError)) throw new Error(`input ${i}: Failed with a non-library error: ${String(error)}`);
        tally.failed++;
      } else {
        if (m.state === 'closed') throw new Error(`input ${i}: closed without a Failed event`);
        tally.clean++;
      }
      // each event comes from a message of 5 bytes or more, plus at most one Failed: the work is linear in the input
      if (events.length > Math.floor(input.length / 5) + 1) throw new Error(`input ${i}: ${events.length} events from ${input.length} bytes`);
      tally.events += events.length;
    }
    expect(tally.failed + tally.clean).toBe(COUNT);
    expect(tally.failed).toBeGreaterThan(COUNT / 10); // the inputs really are hostile
    expect(tally.clean).toBeGreaterThan(100); // and some stay legal
    expect(tally.events).toBeGreaterThan(0);
  }, 180_000); // speed is the benchmark's business; a loaded machine may take minutes

  it('closes every machine that was fed hostile bytes once the stream ends, with exactly one more event', () => {
    const rand = rng(7);
    for (const input of fuzzInputs({ seed: 99, count: 2_000, corpus })) {
      const m = readyMachine();
      for (const chunk of splitRandomly(input, rand)) m.receiveData(chunk);
      while (m.nextEvent() !== null) { /* drain */ }
      const wasClosed = m.state === 'closed';
      m.receiveEof();
      const after: MachineEvent[] = [];
      for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) after.push(e);
      expect(after.length).toBe(wasClosed ? 0 : 1);
      expect(m.state).toBe('closed');
      expect(m.poll()).toBe('ok');
    }
  });
});
