/**
 * The ProtocolMachine on a replication connection: which commands are legal
 * where (refused before any byte is queued otherwise), the copy-both
 * framing of XLogData / keepalives / status updates, and both endings of a
 * stream (our CopyDone first, or the server's at the end of a timeline).
 */
import { InterfaceError } from '../../src/errors/base';
import type { Command } from '../../src/core/commands';
import type { ProtocolMachine } from '../../src/core/machine';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import { decodeReplicationFrontend } from '../../src/protocol/replication';
import { fromHex } from '../../src/util/bytes';
import { be, drain, drainTypes, readyMachine, sent } from './machine-helpers';
import { concat, inputRng, mutate, splitRandomly } from '../support/fuzz';

const logical = (): ProtocolMachine => readyMachine({ startupParameters: { replication: 'database' } });
const physical = (): ProtocolMachine => readyMachine({ startupParameters: { replication: 'true' } });
const START_LOGICAL: Command = { type: 'replication', statement: { kind: 'START_REPLICATION', mode: 'logical', slot: 's', startLsn: 0x100n } };
const START_PHYSICAL: Command = { type: 'replication', statement: { kind: 'START_REPLICATION', mode: 'physical', startLsn: 0x100n } };
const STATUS: Command = { type: 'standbyStatus', writeLsn: 3n, flushLsn: 2n, applyLsn: 1n, sendTime: 42n, replyRequested: false };
const FEEDBACK: Command = { type: 'hotStandbyFeedback', sendTime: 1n, xmin: 0, xminEpoch: 0, catalogXmin: 0, catalogXminEpoch: 0 };

/** The frontend messages in `hex`. */
function frontend(hex: string): Array<{ type: string; sql?: string; data?: Uint8Array }> {
  const d = new FrontendDecoder();
  (d as unknown as { startupDone: boolean }).startupDone = true; // typed messages only: the session is past startup
  d.feed(fromHex(hex));
  const out: Array<{ type: string; sql?: string; data?: Uint8Array }> = [];
  for (let m = d.next(); m !== null; m = d.next()) out.push(m as never);
  return out;
}

function refused(m: ProtocolMachine, command: Command, message: RegExp): void {
  const state = m.state;
  expect(() => m.send(command)).toThrow(InterfaceError);
  expect(() => m.send(command)).toThrow(message);
  expect(m.state).toBe(state);
  expect(m.dataToSend()).toBeNull();
}

function streaming(m = logical()): ProtocolMachine {
  m.send(m.replication === 'logical' ? START_LOGICAL : START_PHYSICAL);
  m.dataToSend();
  m.receiveData(be({ type: 'CopyBothResponse', format: 0, columnFormats: [] }));
  expect(drainTypes(m)).toEqual(['CopyBothResponse']);
  expect(m.state).toBe('copyBoth');
  return m;
}

describe('replication connection: command legality', () => {
  test('knows its kind from the startup parameter', () => {
    expect(logical().replication).toBe('logical');
    expect(physical().replication).toBe('physical');
    expect(readyMachine({ startupParameters: { replication: 'on' } }).replication).toBe('physical');
    expect(readyMachine({ startupParameters: { replication: 'false' } }).replication).toBeNull();
    expect(readyMachine().replication).toBeNull();
  });

  test('a replication command is a simple Query of its text', () => {
    const m = logical();
    m.send({ type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } });
    expect(frontend(sent(m))).toEqual([{ type: 'Query', sql: 'IDENTIFY_SYSTEM' }]);
    expect(m.state).toBe('busy');
    expect(m.pendingOperations).toBe(1);
  });

  test('replication commands are refused on an ordinary connection', () => {
    refused(readyMachine(), { type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } }, /not a replication connection/);
  });

  test('the extended protocol is refused on replication connections of both kinds', () => {
    for (const m of [logical(), physical()]) {
      refused(m, { type: 'batch', messages: [{ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] }, { type: 'Sync' }] }, /extended query protocol/);
    }
  });

  test('replication commands may be pipelined; START_REPLICATION only when idle', () => {
    const m = logical();
    m.send({ type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } });
    m.send({ type: 'replication', statement: { kind: 'DROP_REPLICATION_SLOT', slot: 'x' } });
    m.dataToSend();
    refused(m, START_LOGICAL, /needs an idle session/);
  });

  test('START_REPLICATION is refused inside a transaction block', () => {
    const m = logical();
    m.send({ type: 'simpleQuery', sql: 'BEGIN' });
    m.dataToSend();
    m.receiveData(be({ type: 'CommandComplete', tag: 'BEGIN' }, { type: 'ReadyForQuery', status: 'T' }));
    drain(m);
    refused(m, START_LOGICAL, /transaction status T/);
  });

  test('logical START_REPLICATION needs replication=database', () => {
    refused(physical(), START_LOGICAL, /replication=database/);
  });

  test('a malformed statement or one the server lacks queues nothing', () => {
    refused(logical(), { type: 'replication', statement: { kind: 'DROP_REPLICATION_SLOT', slot: '' } }, /non-empty/);
    const old = readyMachine({ startupParameters: { replication: 'true' } });
    old.receiveData(be({ type: 'ParameterStatus', name: 'server_version', value: '14.13' }));
    drain(old);
    refused(old, { type: 'replication', statement: { kind: 'READ_REPLICATION_SLOT', slot: 'p' } }, /PostgreSQL 15 or later; the server is PostgreSQL 14/);
  });

  test('nothing else may be queued behind a START_REPLICATION until its ReadyForQuery', () => {
    const m = logical();
    m.send(START_LOGICAL);
    expect(m.replicating).toBe(true);
    m.dataToSend();
    refused(m, { type: 'simpleQuery', sql: 'SELECT 1' }, /START_REPLICATION is in progress/);
    refused(m, { type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } }, /START_REPLICATION is in progress/);
  });

  test('status updates and hot standby feedback only in copy-both', () => {
    const m = logical();
    refused(m, STATUS, /in state ready/);
    refused(m, FEEDBACK, /in state ready/);
    m.send(START_LOGICAL);
    m.dataToSend();
    refused(m, STATUS, /in state busy/);
  });

  test('in copy-both: no queries, no CopyFail', () => {
    const m = streaming();
    refused(m, { type: 'simpleQuery', sql: 'SELECT 1' }, /in state copyBoth/);
    refused(m, { type: 'copyFail', message: 'x' }, /in state copyBoth/);
    refused(m, { type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } }, /in state copyBoth/);
  });
});

describe('replication connection: copy-both framing', () => {
  test('CopyData carries XLogData and keepalives; they come out decoded', () => {
    const m = streaming();
    m.receiveData(be(
      { type: 'XLogData', dataStart: 0x100n, walEnd: 0x200n, sendTime: 7n, data: Uint8Array.of(1, 2, 3) },
      { type: 'PrimaryKeepalive', walEnd: 0x200n, sendTime: 8n, replyRequested: true },
      { type: 'NoticeResponse', fields: { S: 'NOTICE', M: 'hi' } },
    ));
    expect(drain(m)).toEqual([
      { type: 'XLogData', dataStart: 0x100n, walEnd: 0x200n, sendTime: 7n, data: Uint8Array.of(1, 2, 3) },
      { type: 'PrimaryKeepalive', walEnd: 0x200n, sendTime: 8n, replyRequested: true },
      { type: 'NoticeResponse', fields: { S: 'NOTICE', M: 'hi' } },
    ]);
    expect(m.state).toBe('copyBoth');
  });

  test('a status update is a CopyData with the driver-given time; hot standby feedback likewise', () => {
    const m = streaming();
    m.send(STATUS);
    m.send(FEEDBACK);
    const msgs = frontend(sent(m));
    expect(msgs.map((x) => x.type)).toEqual(['CopyData', 'CopyData']);
    expect(decodeReplicationFrontend(msgs[0].data!)).toEqual({ type: 'StandbyStatusUpdate', writeLsn: 3n, flushLsn: 2n, applyLsn: 1n, sendTime: 42n, replyRequested: false });
    expect(decodeReplicationFrontend(msgs[1].data!).type).toBe('HotStandbyFeedback');
  });

  test('a status update with an LSN out of range queues nothing', () => {
    refused(streaming(), { ...STATUS, flushLsn: -1n } as Command, /LSN/);
  });

  test('a malformed replication payload is a protocol violation', () => {
    const m = streaming();
    m.receiveData(be({ type: 'CopyData', data: Uint8Array.of(0x7a, 0) }));
    const events = drain(m);
    expect(events[events.length - 1]).toMatchObject({ type: 'Failed', error: { code: 'ERR_PROTOCOL_VIOLATION' } });
    expect(m.state).toBe('closed');
  });

  test('our CopyDone first: the server streams on until its CopyDone, then CommandComplete and ReadyForQuery', () => {
    const m = streaming();
    m.send({ type: 'copyDone' });
    expect(frontend(sent(m)).map((x) => x.type)).toEqual(['CopyDone']);
    expect(m.state).toBe('copyOut');
    refused(m, STATUS, /in state copyOut/);
    refused(m, { type: 'copyDone' }, /in state copyOut/);
    m.receiveData(be({ type: 'XLogData', dataStart: 1n, walEnd: 1n, sendTime: 1n, data: new Uint8Array(0) }, { type: 'CopyDone' }));
    expect(drainTypes(m)).toEqual(['XLogData', 'CopyDone']);
    expect(m.state).toBe('busy');
    // a logical walsender may send what it had decoded after its CopyDone (seen on PostgreSQL 15): tolerated
    m.receiveData(be({ type: 'XLogData', dataStart: 2n, walEnd: 2n, sendTime: 1n, data: new Uint8Array(0) }, { type: 'PrimaryKeepalive', walEnd: 2n, sendTime: 2n, replyRequested: false }));
    expect(drainTypes(m)).toEqual(['XLogData', 'PrimaryKeepalive']);
    m.receiveData(be({ type: 'CommandComplete', tag: 'COPY 0' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
    expect(m.replicating).toBe(false);
    m.send({ type: 'replication', statement: { kind: 'IDENTIFY_SYSTEM' } }); // legal again
  });

  test('the server ends first (end of a physical timeline): we answer CopyDone, then the next timeline comes as a result set', () => {
    const m = streaming(physical());
    m.receiveData(be({ type: 'CopyDone' }));
    expect(drainTypes(m)).toEqual(['CopyDone']);
    expect(m.state).toBe('copyIn');
    refused(m, STATUS, /in state copyIn/);
    refused(m, { type: 'copyFail', message: 'no' }, /START_REPLICATION is in progress/);
    m.send({ type: 'copyDone' });
    expect(frontend(sent(m)).map((x) => x.type)).toEqual(['CopyDone']);
    expect(m.state).toBe('busy');
    m.receiveData(be(
      { type: 'RowDescription', fields: [] },
      { type: 'DataRow', fields: [Uint8Array.of(0x32), Uint8Array.of(0x30)] },
      { type: 'CommandComplete', tag: 'SELECT' },
      { type: 'CommandComplete', tag: 'START_STREAMING' },
      { type: 'ReadyForQuery', status: 'I' },
    ));
    expect(drainTypes(m)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
  });

  test('an ErrorResponse in copy-both ends the copy; the operation ends with ReadyForQuery', () => {
    const m = streaming();
    m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'ERROR', C: '58P01', M: 'requested WAL segment has already been removed' } }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['ErrorResponse', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
    expect(m.replicating).toBe(false);
  });

  test('a walsender that ends copy-both with CommandComplete and no CopyDone ends the copy', () => {
    const m = streaming();
    m.receiveData(be({ type: 'CommandComplete', tag: 'START_REPLICATION' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['CommandComplete', 'ReadyForQuery']);
    expect(m.state).toBe('ready');
    expect(m.replicating).toBe(false);
  });

  test('a refused START_REPLICATION (no CopyBothResponse) ends with ReadyForQuery', () => {
    const m = logical();
    m.send(START_LOGICAL);
    m.dataToSend();
    m.receiveData(be({ type: 'ErrorResponse', fields: { S: 'ERROR', C: '42704', M: 'replication slot "s" does not exist' } }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drainTypes(m)).toEqual(['ErrorResponse', 'ReadyForQuery']);
    expect(m.replicating).toBe(false);
    expect(m.state).toBe('ready');
  });

  test('CopyData after the copy ended is still a protocol violation outside a replication stream', () => {
    const m = logical();
    m.send({ type: 'simpleQuery', sql: 'SELECT 1' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyData', data: Uint8Array.of(0x77) }));
    expect(drain(m).pop()).toMatchObject({ type: 'Failed', error: { code: 'ERR_PROTOCOL_VIOLATION' } });
  });

  test('CopyData outside a replication stream stays CopyData (COPY TO STDOUT on a logical connection)', () => {
    const m = logical();
    m.send({ type: 'simpleQuery', sql: 'COPY t TO STDOUT' });
    m.dataToSend();
    m.receiveData(be({ type: 'CopyOutResponse', format: 0, columnFormats: [] }, { type: 'CopyData', data: Uint8Array.of(0x77) }));
    expect(drainTypes(m)).toEqual(['CopyOutResponse', 'CopyData']);
  });

  test('physical START_REPLICATION is a simple Query on either kind of replication connection', () => {
    const m = physical();
    m.send(START_PHYSICAL);
    expect(frontend(sent(m))).toEqual([{ type: 'Query', sql: 'START_REPLICATION PHYSICAL 0/100' }]);
  });
});

describe('replication connection: fuzzed copy-both data', () => {
  test('mutated XLogData, keepalives and CopyDone never throw: events, or one Failed with a ProtocolViolation', () => {
    const corpus = [
      be({ type: 'XLogData', dataStart: 0x100n, walEnd: 0x200n, sendTime: 7n, data: Uint8Array.of(0x42, 1, 2, 3) }),
      be({ type: 'PrimaryKeepalive', walEnd: 0x200n, sendTime: 8n, replyRequested: true }),
      be({ type: 'CopyDone' }),
      be({ type: 'ErrorResponse', fields: { S: 'ERROR', C: 'XX000', M: 'x' } }, { type: 'ReadyForQuery', status: 'I' }),
    ];
    for (let i = 0; i < 2_000; i++) {
      const rand = inputRng(0x5eed, i);
      const m = streaming();
      const input = mutate(concat(...corpus.slice(0, 1 + Math.floor(rand() * corpus.length))), rand, corpus);
      for (const chunk of splitRandomly(input, rand)) m.receiveData(chunk);
      const events = drain(m);
      const failed = events.filter((e) => e.type === 'Failed');
      expect(failed.length).toBeLessThanOrEqual(1);
      if (failed.length === 1) {
        expect(events[events.length - 1]).toBe(failed[0]);
        expect((failed[0] as { error: Error }).error).toBeInstanceOf(Error);
        expect(m.state).toBe('closed');
      }
      // whatever happened, the legal next commands are still refused or accepted cleanly
      try {
        m.send(STATUS);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as { code?: string }).code).toMatch(/^ERR_/);
      }
    }
  });
});
