/**
 * The work queue on virtual time (issue 11): who may use the session, and
 * when, seen from the scripted server. Shared work (runQuery, runOperation)
 * is pipelined; exclusive work (an interaction) waits for the shared work
 * sent before it and holds the connection; queued work can be withdrawn;
 * close fails whatever waits. The server holds every round until the test
 * answers it, so "sent" and "answered" are told apart.
 */
import { CancelledError, ConnectionClosed, type Cursor } from '../../src/index';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;

beforeEach(async () => {
  w = await virtualConnection({
    before: (server) => {
      server.answer(/^SELECT (\d+) AS n$/, (call) => ({ fields: ['n'], rows: [[/\d+/.exec(call.sql)![0]]] }));
      server.answer(/^INSERT/, { tag: 'INSERT 0 1' });
    },
  });
  w.server.current.hold();
});
afterEach(() => w.conn.close());

/** The SQL of the rounds the server holds (sent, not answered). */
const held = (): string[] => w.server.current.held.flatMap((r) => r.sql);
/** The SQL the server has run, in order. */
const executed = (): string[] => w.server.current.executed.map((c) => c.sql);

/** Answers the oldest held round and lets everything it sets off run. */
async function answerNext(): Promise<void> {
  w.server.current.answerNext();
  await settle(w.reactor);
}

describe('shared work', () => {
  it('is pipelined: every runQuery is sent before the first is answered, and each gets its own result in call order', async () => {
    const ds = [1, 2, 3].map((i) => w.conn.runQuery(`SELECT ${i} AS n`));
    w.reactor.flush();
    expect(held()).toEqual(['SELECT 1 AS n', 'SELECT 2 AS n', 'SELECT 3 AS n']);
    w.server.current.resume();
    expect(await Promise.all(ds.map((d) => outcome(w.reactor, d)))).toEqual([[{ n: '1' }], [{ n: '2' }], [{ n: '3' }]]);
  });

  it('keeps the state busy while work runs or waits, and ready once it drains', async () => {
    const d = w.conn.runOperation('INSERT INTO t VALUES (1)');
    w.reactor.flush();
    expect(w.conn.state).toBe('busy');
    w.server.current.resume();
    await outcome(w.reactor, d);
    expect(w.conn.state).toBe('ready');
    expect(w.states).toEqual(['busy', 'ready']);
  });
});

describe('exclusive work (an interaction)', () => {
  it('waits for the shared work sent before it, and work called after it waits until its COMMIT', async () => {
    const before = w.conn.runQuery('SELECT 1 AS n');
    const interaction = w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('SELECT 2 AS n');
      return c.fetchall();
    });
    const after = w.conn.runQuery('SELECT 3 AS n');
    await settle(w.reactor);
    expect(held()).toEqual(['SELECT 1 AS n']); // BEGIN waits for the shared query sent before it
    await answerNext();
    expect(before.called).toBe(true);
    expect(held()).toEqual(['BEGIN', 'SELECT 2 AS n']); // one round: BEGIN goes out with the first statement
    await answerNext();
    expect(held()).toEqual(['COMMIT']); // the later runQuery is still not sent
    await answerNext();
    expect(await outcome(w.reactor, interaction)).toEqual([{ n: '2' }]);
    w.server.current.resume();
    expect(await outcome(w.reactor, after)).toEqual([{ n: '3' }]);
    expect(executed()).toEqual(['SELECT 1 AS n', 'BEGIN', 'SELECT 2 AS n', 'COMMIT', 'SELECT 3 AS n']);
  });

  it('runs one after the other, in call order (FIFO), never interleaved', async () => {
    w.server.current.resume();
    const a = w.conn.runInteraction((c: Cursor) => c.execute('INSERT INTO a').addCallback(() => c.execute('SELECT 1 AS n')));
    const b = w.conn.runInteraction((c: Cursor) => c.execute('INSERT INTO b'));
    await outcome(w.reactor, a);
    await outcome(w.reactor, b);
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO a', 'SELECT 1 AS n', 'COMMIT', 'BEGIN', 'INSERT INTO b', 'COMMIT']);
  });
});

describe('withdrawing and failing queued work', () => {
  it('cancelling queued work removes it: it never reaches the server, fails with CancelledError at once, and sends no CancelRequest', async () => {
    const interaction = w.conn.runInteraction((c: Cursor) => c.execute('SELECT 1 AS n'));
    const queued = w.conn.runQuery('SELECT 2 AS n');
    const next = w.conn.runQuery('SELECT 3 AS n');
    w.reactor.flush();
    queued.cancel();
    const error = await outcome(w.reactor, queued);
    expect(error).toBeInstanceOf(CancelledError);
    expect(held()).toEqual(['BEGIN', 'SELECT 1 AS n']); // the interaction still holds the connection
    w.server.current.resume();
    await outcome(w.reactor, interaction);
    expect(await outcome(w.reactor, next)).toEqual([{ n: '3' }]);
    expect(executed()).not.toContain('SELECT 2 AS n');
    expect(w.server.cancelRequests).toEqual([]);
  });

  it('close fails the running and the queued work with ConnectionClosed, the queries in call order, and ends the session with Terminate', async () => {
    const running = w.conn.runQuery('SELECT 1 AS n');
    const interaction = w.conn.runInteraction((c: Cursor) => c.execute('SELECT 2 AS n'));
    const queued = w.conn.runQuery('SELECT 3 AS n');
    w.reactor.flush();
    const order: string[] = [];
    for (const [name, d] of [['running', running], ['interaction', interaction], ['queued', queued]] as const) {
      d.addErrback((e: Error) => {
        order.push(name);
        throw e;
      });
    }
    w.conn.close();
    for (const d of [running, interaction, queued] as Array<PromiseLike<unknown>>) expect(await outcome(w.reactor, d)).toBeInstanceOf(ConnectionClosed);
    // runQuery calls fire in call order; the queued interaction is failed as it is withdrawn (no call-order ticket)
    expect(order.filter((n) => n !== 'interaction')).toEqual(['running', 'queued']);
    expect(w.server.current.receivedTypes().at(-1)).toBe('Terminate');
  });
});
