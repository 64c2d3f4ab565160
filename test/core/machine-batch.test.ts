/**
 * A batch is queued all or nothing: a message the codec refuses (here a Bind
 * of 65,536 parameters, one more than the protocol can count) leaves nothing
 * of the batch queued and the machine as it was, so the session goes on.
 */
import { toHex } from '../../src/util/bytes';
import { be, drain, readyMachine, sent } from './machine-helpers';

describe('a batch the codec refuses', () => {
  it('refuses a batch whose later message cannot be encoded (65,536 parameters) with nothing of it queued, and goes on', () => {
    const m = readyMachine();
    m.send({ type: 'batch', messages: [{ type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] }, { type: 'Sync' }] });
    sent(m);
    const params = new Array<string>(65_536).fill('1');
    const batch = {
      type: 'batch' as const,
      messages: [
        { type: 'Parse' as const, name: 'big', sql: 'SELECT $1', paramTypes: [] },
        { type: 'Sync' as const },
        { type: 'Bind' as const, portal: '', statement: 'big', paramFormats: [], params, resultFormats: [] },
        { type: 'Execute' as const, portal: '', maxRows: 0 },
        { type: 'Sync' as const },
      ],
    };
    m.send({ type: 'batch', messages: [{ type: 'Flush' }] });
    const state = m.state;
    const pending = m.pendingOperations;
    expect(() => m.send(batch)).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_PARAMETERS' }));
    expect(m.state).toBe(state);
    expect(m.pendingOperations).toBe(pending);
    expect(sent(m)).toBe('4800000004'); // only the Flush sent before the refused batch
    m.receiveData(be({ type: 'ParseComplete' }, { type: 'ReadyForQuery', status: 'I' }));
    expect(drain(m).map((e) => e.type)).toEqual(['ParseComplete', 'ReadyForQuery']);
    expect(m.state).toBe('busy'); // the Flush still waits for a Sync
    m.send({ type: 'batch', messages: [{ type: 'Sync' }] });
    m.receiveData(be({ type: 'ReadyForQuery', status: 'I' }));
    expect(drain(m).map((e) => e.type)).toEqual(['ReadyForQuery']);
    expect(m.state).toBe('ready');
  });
});

describe('dataToSendView', () => {
  it('hands over the same bytes as dataToSend, once, as a view of the machine\'s buffer that the next write reuses', () => {
    const a = readyMachine();
    const b = readyMachine();
    const batch = { type: 'batch' as const, messages: [{ type: 'Parse' as const, name: '', sql: 'SELECT 1', paramTypes: [] }, { type: 'Sync' as const }] };
    a.send(batch);
    b.send(batch);
    const copy = a.dataToSend()!;
    const view = b.dataToSendView()!;
    expect(toHex(view)).toBe(toHex(copy));
    expect(b.dataToSendView()).toBeNull();
    expect(b.poll()).toBe('read');
    b.send({ type: 'batch', messages: [{ type: 'Sync' }] });
    const next = b.dataToSendView()!;
    expect(next.buffer).toBe(view.buffer); // lent, not copied: the caller must copy before calling the machine again
    expect(toHex(next)).toBe('5300000004');
  });
});
