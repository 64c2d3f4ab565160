/**
 * CancelRequests and the pipeline on virtual time (issue 11). A
 * CancelRequest lands on whatever the backend runs when it arrives. The
 * scripted server here records CancelRequests and lets the test decide
 * where each one lands (`interrupt()` fails the round the backend runs with
 * 57014), so every race is played out deterministically.
 *
 * test/connection/cancellation.test.ts already plays the basic rerun (a
 * neighbour hit by our CancelRequest runs again, at most 3 times, only within
 * 1 s); it needs a server for its other tests. These add what it does not
 * cover: call order across a rerun, a pipelined statement getting its
 * CancelRequest only when it starts, and the 57014s that are not run again
 * (inside an interaction, or with no CancelRequest of ours).
 */
import { CancelledError, type Cursor } from '../../src/index';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;

beforeEach(async () => {
  w = await virtualConnection({
    server: { cancel: 'record' },
    before: (server) => server.answer(/^SELECT (\d+) AS v$/, (call) => ({ fields: ['v'], rows: [[/\d+/.exec(call.sql)![0]]] })),
  });
  w.server.current.hold();
});
afterEach(() => w.conn.close());

/** How often the server ran `sql`. */
const runs = (sql: string): number => w.server.current.executed.filter((c) => c.sql === sql).length;
const held = (): string[] => w.server.current.held.flatMap((r) => r.sql);

/** Two pipelined statements; the first is cancelled while it runs but finishes before the CancelRequest lands. */
async function strayCancel(): Promise<{ first: ReturnType<typeof w.conn.runQuery>; second: ReturnType<typeof w.conn.runQuery> }> {
  const first = w.conn.runQuery('SELECT 1 AS v');
  const second = w.conn.runQuery('SELECT 2 AS v');
  await settle(w.reactor);
  first.cancel();
  await settle(w.reactor);
  expect(w.server.cancelRequests).toHaveLength(1);
  w.server.current.answerNext(); // the first statement finished ...
  expect(await outcome(w.reactor, first)).toMatchObject({ name: 'CancelledError', serverCancelled: false });
  return { first, second };
}

describe('a CancelRequest that hits the neighbour', () => {
  it('runs the neighbour again, and a later call still fires after it, in call order', async () => {
    const { second } = await strayCancel();
    const third = w.conn.runQuery('SELECT 3 AS v');
    await settle(w.reactor);
    const order: string[] = [];
    second.addCallback((r) => order.push('second') && r);
    third.addCallback((r) => order.push('third') && r);
    expect(w.server.current.interrupt()).toBe(true); // ... and the CancelRequest landed on the second
    await settle(w.reactor);
    expect(held()).toEqual(['SELECT 3 AS v', 'SELECT 2 AS v']); // sent again at once, behind the third
    w.server.current.resume();
    expect(await outcome(w.reactor, third)).toEqual([{ v: '3' }]);
    expect(await outcome(w.reactor, second)).toEqual([{ v: '2' }]);
    expect(order).toEqual(['second', 'third']);
    expect(runs('SELECT 2 AS v')).toBe(2);
  });

  // The rerun is meant for autocommit statements only: a 57014 aborts a transaction, so a rerun inside one could only fail.
  it('does not run again a statement of an interaction: it fails with 57014 and the interaction rolls back', async () => {
    const first = w.conn.runQuery('SELECT 1 AS v');
    const interaction = w.conn.runInteraction((c: Cursor) => c.execute('SELECT 4 AS v').addCallback(() => c.execute('SELECT 5 AS v')));
    await settle(w.reactor);
    first.cancel();
    await settle(w.reactor);
    w.server.current.answerNext(); // the first finished before the CancelRequest landed
    expect(await outcome(w.reactor, first)).toMatchObject({ name: 'CancelledError', serverCancelled: false });
    w.server.current.answerNext(); // BEGIN with the first statement
    await settle(w.reactor);
    expect(held()).toEqual(['SELECT 5 AS v']);
    w.server.current.interrupt(); // the stray CancelRequest lands inside the transaction
    w.server.current.resume();
    const error = await outcome(w.reactor, interaction);
    expect(error).toMatchObject({ code: '57014' });
    expect(error).not.toBeInstanceOf(CancelledError);
    expect(runs('SELECT 5 AS v')).toBe(1);
    expect(w.server.current.executed.at(-1)?.sql).toBe('ROLLBACK');
  });
});

describe('57014 without a stray CancelRequest', () => {
  it('is not run again when no CancelRequest of ours was sent (statement_timeout): it fails with QueryCanceled', async () => {
    const d = w.conn.runQuery('SELECT 1 AS v');
    await settle(w.reactor);
    w.server.current.interrupt({ C: '57014', M: 'canceling statement due to statement timeout' });
    const error = await outcome(w.reactor, d);
    expect(error).toMatchObject({ code: '57014', name: 'QueryCanceled' });
    expect(runs('SELECT 1 AS v')).toBe(1);
  });

  it('hits its target: the running statement cancelled by the server fails with CancelledError (serverCancelled) and its neighbour is untouched', async () => {
    const first = w.conn.runQuery('SELECT 1 AS v');
    const second = w.conn.runQuery('SELECT 2 AS v');
    await settle(w.reactor);
    first.cancel();
    await settle(w.reactor);
    w.server.current.interrupt();
    w.server.current.resume();
    expect(await outcome(w.reactor, first)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
    expect(await outcome(w.reactor, second)).toEqual([{ v: '2' }]);
    expect(runs('SELECT 1 AS v') + runs('SELECT 2 AS v')).toBe(2);
  });
});

describe('a pipelined statement', () => {
  it('gets its CancelRequest only when it starts running, never while its neighbour runs', async () => {
    const first = w.conn.runQuery('SELECT 1 AS v');
    const second = w.conn.runQuery('SELECT 2 AS v');
    await settle(w.reactor);
    second.cancel();
    await settle(w.reactor);
    expect(w.server.cancelRequests).toEqual([]); // the first one runs: a CancelRequest now would hit it
    w.server.current.answerNext();
    expect(await outcome(w.reactor, first)).toEqual([{ v: '1' }]);
    await settle(w.reactor);
    expect(w.server.cancelRequests).toHaveLength(1); // the second runs now
    w.server.current.interrupt();
    expect(await outcome(w.reactor, second)).toMatchObject({ name: 'CancelledError', serverCancelled: true });
  });
});
