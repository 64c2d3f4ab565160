/**
 * Fuzz target: the ProtocolMachine during COPY.
 *
 * A fresh ready machine is brought into a COPY sub-state by a real
 * exchange: COPY FROM STDIN through the simple protocol or through
 * Parse/Bind/Execute/Sync (where one more Sync is owed after the copy),
 * COPY TO STDOUT, or CopyBoth (the sub-state streaming replication will
 * use). Then it is fed a mutated stream of what a server sends in and after
 * that state (CopyData, CopyDone, CommandComplete, ErrorResponse,
 * ReadyForQuery, asynchronous messages), or random messages, while COPY
 * commands (data, done, fail) are tried between chunks. The rules are those
 * of `machine-oracle.ts`.
 */
import type { Command } from '../../src/core/commands';
import type { ProtocolMachine } from '../../src/core/machine';
import type { BackendMessage } from '../../src/protocol/messages';
import { be, drain, readyMachine } from '../../test/core/machine-helpers';
import { fuzzBytes, pick, splitRandomly } from '../../test/support/fuzz';
import { check, type FuzzTarget } from '../target';
import { feedMachine } from './machine-oracle';
import { randomCommand } from './machine';

type Mode = 'in-simple' | 'in-extended' | 'out' | 'both';
const MODES: readonly Mode[] = ['in-simple', 'in-extended', 'out', 'both'];

const formats = (): { format: 0; columnFormats: Array<0 | 1> } => ({ format: 0, columnFormats: [0, 0] });
const data = (text: string): BackendMessage => ({ type: 'CopyData', data: new TextEncoder().encode(text) });
const done: BackendMessage[] = [{ type: 'CommandComplete', tag: 'COPY 2' }, { type: 'ReadyForQuery', status: 'I' }];
const failed: BackendMessage[] = [
  { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '22P02', M: 'invalid input syntax for type integer' } },
  { type: 'ReadyForQuery', status: 'I' },
];
const asyncMessages: BackendMessage[] = [
  { type: 'NoticeResponse', fields: { S: 'NOTICE', V: 'NOTICE', C: '00000', M: 'hello' } },
  { type: 'NotificationResponse', processId: 7, channel: 'jobs', payload: 'x' },
  { type: 'ParameterStatus', name: 'TimeZone', value: 'UTC' },
];

/** What a server sends once the machine is in each COPY sub-state. */
const CORPUS: Record<Mode, Uint8Array[]> = {
  'in-simple': [be(...done), be(...failed), be(...asyncMessages, ...done)],
  'in-extended': [be(...done), be(...failed), be(asyncMessages[1], ...done)],
  out: [be(data('1\ta\n'), data('2\tb\n'), { type: 'CopyDone' }, ...done), be(data('1\t'), ...failed), be(data('x'), ...asyncMessages, { type: 'CopyDone' }, ...done)],
  both: [be(data('w'), data('k'), { type: 'CopyDone' }, ...done), be(data('w'), ...failed), be(...asyncMessages, data('w'))],
};

const STATE: Record<Mode, string> = { 'in-simple': 'copyIn', 'in-extended': 'copyIn', out: 'copyOut', both: 'copyBoth' };

/** A ready machine brought into `mode`'s COPY sub-state by a valid exchange. */
export function machineInCopy(mode: Mode): ProtocolMachine {
  const m = readyMachine();
  if (mode === 'in-extended') {
    m.send({ type: 'batch', messages: [
      { type: 'Parse', name: '', sql: 'COPY t FROM STDIN', paramTypes: [] },
      { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
      { type: 'Execute', portal: '', maxRows: 0 },
      { type: 'Sync' },
    ] });
    m.receiveData(be({ type: 'ParseComplete' }, { type: 'BindComplete' }, { type: 'CopyInResponse', ...formats() }));
  } else {
    m.send({ type: 'simpleQuery', sql: 'COPY t' });
    const response = mode === 'in-simple' ? 'CopyInResponse' : mode === 'out' ? 'CopyOutResponse' : 'CopyBothResponse';
    m.receiveData(be({ type: response, ...formats() } as BackendMessage));
  }
  m.dataToSend();
  drain(m);
  check(m.state === STATE[mode], () => `the setup of ${mode} left the machine ${m.state}`);
  return m;
}

/** COPY commands most of the time, any command otherwise. */
function copyCommand(rand: () => number): Command {
  const r = rand();
  if (r < 0.5) return { type: 'copyData', data: new Uint8Array([49, 10]) };
  if (r < 0.65) return { type: 'copyDone' };
  if (r < 0.75) return { type: 'copyFail', message: 'fuzz' };
  return randomCommand(rand);
}

/** The ProtocolMachine in COPY IN, COPY OUT and CopyBoth. */
export const copyTarget: FuzzTarget = {
  name: 'copy',
  about: 'ProtocolMachine during COPY FROM STDIN (simple and extended), COPY TO STDOUT and CopyBoth: mutated copy streams, with COPY commands between chunks',
  run(rand) {
    const mode = pick(rand, MODES);
    const m = machineInCopy(mode);
    const input = fuzzBytes(rand, CORPUS[mode]);
    return `${mode} ${feedMachine(m, splitRandomly(input, rand), rand, { command: copyCommand, commandRate: 0.4 })}`;
  },
};
