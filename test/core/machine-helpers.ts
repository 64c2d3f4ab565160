/**
 * Helpers for driving a ProtocolMachine by hand in tests: backend bytes from
 * the real encoder, a started machine, event draining, and the replay of a
 * captured session (test/protocol/vectors.ts) through the machine.
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import type { Command } from '../../src/core/commands';
import type { MachineEvent } from '../../src/core/events';
import { ProtocolMachine, type MachineOptions } from '../../src/core/machine';
import { encodeBackend } from '../../src/protocol/backend-encode';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { concatBytes, toHex } from '../../src/util/bytes';
import type { VectorStep } from '../protocol/vectors';

/** The wire bytes of `msgs`, as a server would send them. */
export function be(...msgs: BackendMessage[]): Uint8Array {
  return concatBytes(msgs.map(encodeBackend));
}

/** Every pending event. */
export function drain(m: ProtocolMachine): MachineEvent[] {
  const out: MachineEvent[] = [];
  for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) out.push(e);
  return out;
}

/** The types of every pending event. */
export function drainTypes(m: ProtocolMachine): string[] {
  return drain(m).map((e) => e.type);
}

/** The hex of what the machine wants to send ('' for nothing). */
export function sent(m: ProtocolMachine): string {
  const b = m.dataToSend();
  return b === null ? '' : toHex(b);
}

/** What a server sends after authentication: parameters, key, ReadyForQuery. */
export const STARTUP_REPLY: BackendMessage[] = [
  { type: 'AuthenticationOk' },
  { type: 'ParameterStatus', name: 'server_version', value: '15.18' },
  { type: 'ParameterStatus', name: 'TimeZone', value: 'UTC' },
  { type: 'BackendKeyData', processId: 4242, secretKey: Uint8Array.of(1, 2, 3, 4) },
  { type: 'ReadyForQuery', status: 'I' },
];

/** A machine past a trust startup, ready, with its output and events drained. */
export function readyMachine(options: Partial<MachineOptions> = {}): ProtocolMachine {
  const m = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, ...options });
  m.start();
  m.dataToSend();
  m.receiveData(be(...STARTUP_REPLY));
  drain(m);
  return m;
}

const MACHINE_MADE = new Set(['StartupMessage', 'PasswordMessage', 'SASLInitialResponse', 'SASLResponse']);

/** The commands a driver sends to produce `messages` (authentication replies are the machine's own). */
export function commandsFor(messages: FrontendMessage[]): Command[] {
  const out: Command[] = [];
  let batch: FrontendMessage[] = [];
  const flushBatch = (): void => {
    if (batch.length > 0) out.push({ type: 'batch', messages: batch });
    batch = [];
  };
  for (const msg of messages) {
    if (MACHINE_MADE.has(msg.type)) continue;
    if (msg.type === 'Query') { flushBatch(); out.push({ type: 'simpleQuery', sql: msg.sql }); }
    else if (msg.type === 'CopyData') { flushBatch(); out.push({ type: 'copyData', data: msg.data }); }
    else if (msg.type === 'CopyDone') { flushBatch(); out.push({ type: 'copyDone' }); }
    else if (msg.type === 'CopyFail') { flushBatch(); out.push({ type: 'copyFail', message: msg.message }); }
    else if (msg.type === 'Terminate') { flushBatch(); out.push({ type: 'terminate' }); }
    else batch.push(msg);
  }
  flushBatch();
  return out;
}

/**
 * Merges a step that ends in Flush (no Sync) with the step after it: the
 * machine counts operations by Sync, so the driver sends the Sync before the
 * replies to a flushed Parse are fed (see the report on Flush without Sync).
 */
export function mergeFlushSteps(steps: VectorStep[]): VectorStep[] {
  const out: VectorStep[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const flushOnly = s.sent.some((m) => m.type === 'Flush') && !s.sent.some((m) => m.type === 'Sync');
    if (flushOnly && i + 1 < steps.length) {
      const n = steps[++i];
      out.push({ name: `${s.name} + ${n.name}`, sent: [...s.sent, ...n.sent], sentHex: s.sentHex + n.sentHex, receivedHex: s.receivedHex + n.receivedHex, messages: [...s.messages, ...n.messages] });
    } else out.push(s);
  }
  return out;
}

const SILENT = new Set(['BackendKeyData', 'NegotiateProtocolVersion']);

/** The events the machine should yield for a step's backend messages (startup's ReadyForQuery becomes StartupComplete). */
export function expectedEvents(messages: BackendMessage[], startingUp: boolean): string[] {
  return messages
    .filter((msg) => !SILENT.has(msg.type) && !msg.type.startsWith('Authentication'))
    .map((msg) => (startingUp && msg.type === 'ReadyForQuery' ? 'StartupComplete' : msg.type));
}
