/**
 * Fuzz target: the ProtocolMachine after a valid startup.
 *
 * Each input is a mutated captured post-startup server stream
 * (test/protocol/vectors.ts) or random message-shaped bytes, cut into random
 * chunks and fed to a fresh ready machine; half the machines have a simple
 * query and an extended-protocol Sync in flight, so query responses are
 * legal; between chunks a random command (query, batch, COPY data/end,
 * Terminate) is tried. The rules are those of `machine-oracle.ts`.
 */
import type { Command } from '../../src/core/commands';
import type { FrontendMessage } from '../../src/protocol/messages';
import { fromHex } from '../../src/util/bytes';
import { readyMachine } from '../../test/core/machine-helpers';
import { fuzzBytes, int, pick, randomBytes, splitRandomly } from '../../test/support/fuzz';
import { SESSIONS } from '../../test/protocol/vectors';
import type { FuzzTarget } from '../target';
import { feedMachine } from './machine-oracle';

/** Every backend byte string captured after startup. */
const CORPUS = SESSIONS.flatMap((s) => s.steps.slice(1)).map((st) => fromHex(st.receivedHex)).filter((b) => b.length > 0);

const BATCH_PARTS: Array<(rand: () => number) => FrontendMessage> = [
  () => ({ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] }),
  () => ({ type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] }),
  () => ({ type: 'Describe', target: 'P', name: '' }),
  (rand) => ({ type: 'Execute', portal: '', maxRows: int(rand, 3) }),
  () => ({ type: 'Flush' }),
  () => ({ type: 'Sync' }),
];

/** A random command: a query, a batch (maybe without its Sync), COPY data or its end, or (rarely) Terminate. */
export function randomCommand(rand: () => number): Command {
  const r = rand();
  if (r < 0.25) return { type: 'simpleQuery', sql: 'SELECT 1' };
  if (r < 0.5) return { type: 'batch', messages: Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, BATCH_PARTS)(rand)) };
  if (r < 0.7) return { type: 'copyData', data: randomBytes(rand, int(rand, 16)) };
  if (r < 0.85) return { type: 'copyDone' };
  if (r < 0.97) return { type: 'copyFail', message: 'fuzz' };
  return { type: 'terminate' };
}

/** The ProtocolMachine after startup. */
export const machineTarget: FuzzTarget = {
  name: 'machine',
  about: 'ProtocolMachine after startup: mutated captured server streams and random messages, in random chunks, with random commands between them',
  run(rand) {
    const m = readyMachine();
    if (rand() < 0.5) {
      m.send({ type: 'simpleQuery', sql: 'SELECT 1' });
      m.send({ type: 'batch', messages: [{ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] }, { type: 'Sync' }] });
      m.dataToSend();
    }
    const input = fuzzBytes(rand, CORPUS);
    return feedMachine(m, splitRandomly(input, rand), rand, { command: randomCommand });
  },
};
