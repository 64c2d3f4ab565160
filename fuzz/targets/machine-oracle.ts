/**
 * The rules of a {@link ProtocolMachine} fed hostile bytes, shared by the
 * machine targets (after startup, COPY, startup/auth).
 *
 * Theory of operation. {@link feedMachine} hands the chunks of one input to
 * `receiveData`, now and then trying a command between two chunks (a
 * command may be refused, with a PgError only), and drains the events after
 * each. Rules checked:
 * - `receiveData`, `receiveEof`, `poll` and `nextEvent` never throw;
 * - the input ends in events, or in one `Failed` event that is the last
 *   thing the machine says, with a PgError or the server's DatabaseError
 *   (null only after Terminate), and
 *   the machine is closed exactly when it said `Failed`;
 * - the work is linear: at most one event per 5 bytes received, plus one;
 * - the server parameters kept are bounded ({@link MAX_SERVER_PARAMETERS});
 * - the end of the stream closes an open machine with exactly one more
 *   event, and a closed machine has nothing to send and nothing to wait for.
 * The outcome label is `Failed:<code>` or `open:<state>`.
 */
import type { Command } from '../../src/core/commands';
import type { MachineEvent } from '../../src/core/events';
import { MAX_SERVER_PARAMETERS, type ProtocolMachine } from '../../src/core/machine';
import { check, libraryErrorLabel, outcomeOf } from '../target';

/** Options of {@link feedMachine}. */
export interface FeedOptions {
  /** Makes a command to try before a chunk. */
  command?: (rand: () => number) => Command;
  /** The chance of trying a command before each chunk (default 0.25). */
  commandRate?: number;
  /** Called after each chunk's events are drained (to take the output, finish a TLS handshake, ...). */
  afterChunk?: () => void;
}

const POLL_STATES = new Set(['ok', 'read', 'write', 'starttls']);

/** Feeds `chunks` to `m` and checks the rules (see the file comment); returns the outcome label. */
export function feedMachine(m: ProtocolMachine, chunks: readonly Uint8Array[], rand: () => number, o: FeedOptions = {}): string {
  const events: MachineEvent[] = [];
  let bytes = 0;
  let terminated = false;
  for (const chunk of chunks) {
    if (o.command !== undefined && rand() < (o.commandRate ?? 0.25)) terminated = trySend(m, o.command(rand)) || terminated;
    m.receiveData(chunk);
    bytes += chunk.length;
    drainInto(m, events);
    o.afterChunk?.();
    const poll = m.poll();
    check(POLL_STATES.has(poll), () => `poll() said ${String(poll)}`);
  }
  const label = checkEvents(m, events, bytes, terminated);
  checkEof(m, terminated);
  return label;
}

/** Sends `command` unless the machine refuses it (with a PgError); true when it was a Terminate that went out. */
export function trySend(m: ProtocolMachine, command: Command): boolean {
  try {
    m.send(command);
  } catch (e) {
    outcomeOf(e);
    return false;
  }
  m.dataToSend();
  return command.type === 'terminate';
}

function drainInto(m: ProtocolMachine, events: MachineEvent[]): void {
  for (let e = m.nextEvent(); e !== null; e = m.nextEvent()) events.push(e);
}

function checkEvents(m: ProtocolMachine, events: MachineEvent[], bytes: number, terminated: boolean): string {
  check(events.length <= Math.floor(bytes / 5) + 1, () => `${events.length} events from ${bytes} bytes`);
  check(m.parameters.size <= MAX_SERVER_PARAMETERS, () => `${m.parameters.size} server parameters kept`);
  const failedAt = events.findIndex((e) => e.type === 'Failed');
  if (failedAt < 0) {
    check(m.state !== 'closed', () => 'closed without a Failed event');
    return `open:${m.state}`;
  }
  check(failedAt === events.length - 1, () => `Failed is event ${failedAt} of ${events.length}`);
  check(m.state === 'closed', () => `Failed, but the machine is ${m.state}`);
  return `Failed:${failureCode(events[failedAt], terminated)}`;
}

function failureCode(event: MachineEvent, terminated: boolean): string {
  const error = (event as { error: unknown }).error;
  if (error === null) {
    check(terminated, () => 'a clean end (Failed with null) without Terminate');
    return 'clean';
  }
  const label = libraryErrorLabel(error);
  check(label !== undefined, () => `Failed with a foreign error: ${String(error)}`);
  return label as string;
}

function checkEof(m: ProtocolMachine, terminated: boolean): void {
  const wasClosed = m.state === 'closed';
  m.receiveEof();
  const after: MachineEvent[] = [];
  drainInto(m, after);
  check(after.length === (wasClosed ? 0 : 1), () => `${after.length} events after the end of the stream`);
  if (after.length === 1) failureCode(after[0], terminated);
  check(m.state === 'closed', () => `${m.state} after the end of the stream`);
  check(m.poll() === 'ok' && m.dataToSend() === null, () => 'a closed machine still wants to write or read');
}
