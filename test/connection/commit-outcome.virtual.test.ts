/**
 * The outcome of a COMMIT whose answer never came (issue 16), on virtual
 * time against the scripted server: the backend dies right after it
 * received (and ran) COMMIT, or right before COMMIT reached it.
 *
 * After: the transaction may have committed, so the interaction fails with
 * CommitOutcomeUnknown (cause: the connection's error), never with a plain
 * connection error, and `retry` does not rerun it. Before: the server rolled
 * the transaction back with the session, so the failure is the plain
 * connection error, safe to retry.
 */
import {
  CancelledError, CommitOutcomeUnknown, Connection, ConnectionError, ConnectionPool, DeadConnectionDetector, type Cursor,
} from '../../src/index';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import type { FakeBackend } from '../../src/testing';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;
let unhandled: CapturedFailures;

beforeEach(async () => {
  unhandled = captureUnhandledFailures();
  w = await virtualConnection({ before: (server) => server.answer(/^INSERT INTO t VALUES \(\d+\)$/, { tag: 'INSERT 0 1' }) });
});
afterEach(() => {
  w.conn.close();
  unhandled.restore();
});

/** Every statement every backend of the server ran, in order. */
const executedEverywhere = (): string[] => w.server.backends.flatMap((b) => b.executed.map((c) => c.sql));

/**
 * From now on, `be` dies as soon as it has run a COMMIT: it takes the round
 * (Parse/Bind/Execute run, so the transaction is committed on the server),
 * then `die` ends the session instead of the Sync that would send the answer.
 */
function dieAfterCommit(be: FakeBackend, die: (be: FakeBackend) => void): void {
  be.onMessage('Sync', (m) => {
    if (be.executed.at(-1)?.sql === 'COMMIT' && be.transactionStatus === 'I') die(be);
    else be.serveMessage(m);
  });
}

const insert = async (c: Cursor): Promise<string> => {
  await c.execute('INSERT INTO t VALUES (1)');
  return 'value';
};

describe('the backend dies right after it received COMMIT', () => {
  it.each([
    ['terminated (FATAL 57P01, then the end of the stream)', (be: FakeBackend) => be.kill()],
    ['reset (the network dropped the link)', (be: FakeBackend) => be.reset()],
    ['closed (a clean end of stream)', (be: FakeBackend) => be.close()],
  ])('%s: fails with CommitOutcomeUnknown, caused by the connection error; nothing is rolled back', async (_, die) => {
    const be = w.server.current;
    dieAfterCommit(be, die);
    const error = await outcome(w.reactor, w.conn.runInteraction(insert));
    expect(error).toBeInstanceOf(CommitOutcomeUnknown);
    expect(error).not.toBeInstanceOf(ConnectionError); // never a plain connection error
    expect(error).toMatchObject({ code: 'ERR_COMMIT_OUTCOME_UNKNOWN', outcomeUnknown: true });
    const cause = (error as Error).cause as { code?: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.code === '57P01' || cause.code === 'ERR_CONNECTION_LOST').toBe(true);
    expect(be.executed.map((c) => c.sql)).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'COMMIT']); // it did commit
  });

  it('is not rerun by the retry option (the transaction may have committed)', async () => {
    dieAfterCommit(w.server.current, (be) => be.kill());
    let runs = 0;
    const d = w.conn.runInteractionWith({ retry: { attempts: 5, delayMs: 1 } }, (c: Cursor) => {
      runs++;
      return insert(c);
    });
    const error = await outcome(w.reactor, d);
    w.reactor.advance(1000);
    await settle(w.reactor);
    expect(error).toBeInstanceOf(CommitOutcomeUnknown);
    expect(runs).toBe(1);
    expect(executedEverywhere().filter((s) => s === 'BEGIN')).toHaveLength(1);
  });

  it('with a detector: the interaction fails with CommitOutcomeUnknown, the connection reconnects, nothing is replayed', async () => {
    w.conn.close();
    const detector = new DeadConnectionDetector({ reactor: w.reactor, reconnectionIterator: () => [0][Symbol.iterator]() });
    const conn = new Connection({ env: {}, reactor: w.reactor, detector });
    await settle(w.reactor, conn.connect(w.server.dsn));
    const first = w.server.current;
    dieAfterCommit(first, (be) => be.kill());
    const error = await outcome(w.reactor, conn.runInteraction(insert));
    expect(error).toBeInstanceOf(CommitOutcomeUnknown);
    await settle(w.reactor);
    expect(conn.state).toBe('ready');
    expect(w.server.current).not.toBe(first);
    expect(w.server.current.executed).toEqual([]); // nothing replayed
    expect(await outcome(w.reactor, conn.runInteraction(insert))).toBe('value');
    conn.close();
  });

  it('through a pool with detectors: CommitOutcomeUnknown reaches the caller, and the pool goes on serving', async () => {
    w.conn.close();
    const pool = new ConnectionPool({
      min: 1, max: 1, reactor: w.reactor, connect: w.server.dsn, connectionOptions: { env: {} },
      detector: () => new DeadConnectionDetector({ reactor: w.reactor, reconnectionIterator: () => [0][Symbol.iterator]() }),
    });
    await settle(w.reactor, pool.start());
    dieAfterCommit(w.server.current, (be) => be.kill());
    expect(await outcome(w.reactor, pool.runInteraction(insert))).toBeInstanceOf(CommitOutcomeUnknown);
    expect(await outcome(w.reactor, pool.runInteraction(insert))).toBe('value');
    expect(executedEverywhere().filter((s) => s === 'COMMIT')).toHaveLength(2);
    await settle(w.reactor, pool.close());
  });
});

describe('the backend dies right before COMMIT reached it', () => {
  it('killed after the last statement of the block: COMMIT is never sent, and the failure is the plain connection error', async () => {
    const be = w.server.current;
    const d = w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO t VALUES (1)');
      be.kill();
      await settle(w.reactor); // the client has seen the end of the session
      return 'value';
    });
    const error = await outcome(w.reactor, d);
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknown);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_LOST' });
    expect(be.executed.map((c) => c.sql)).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)']); // the server never saw COMMIT
  });

  it('killed while the last statement ran: the statement fails with the connection error, which the interaction passes on', async () => {
    const be = w.server.current;
    be.onMessage('Sync', (m) => {
      if (be.executed.at(-1)?.sql.startsWith('INSERT') === true) be.kill();
      else be.serveMessage(m);
    });
    const error = await outcome(w.reactor, w.conn.runInteraction(insert));
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknown);
    expect((error as { code?: string }).code === '57P01' || (error as { code?: string }).code === 'ERR_CONNECTION_LOST').toBe(true);
    expect(be.executed.map((c) => c.sql)).not.toContain('COMMIT');
  });

  it('is rerun by a caller (here: once, on a reconnected connection) and then commits exactly once', async () => {
    w.conn.close();
    const detector = new DeadConnectionDetector({ reactor: w.reactor, reconnectionIterator: () => [0][Symbol.iterator]() });
    const conn = new Connection({ env: {}, reactor: w.reactor, detector });
    await settle(w.reactor, conn.connect(w.server.dsn));
    const first = w.server.current;
    first.onMessage('Sync', (m) => {
      if (first.executed.at(-1)?.sql.startsWith('INSERT') === true) first.kill();
      else first.serveMessage(m);
    });
    const failed = await outcome(w.reactor, conn.runInteraction(insert));
    expect(failed).not.toBeInstanceOf(CommitOutcomeUnknown);
    await settle(w.reactor);
    expect(await outcome(w.reactor, conn.runInteraction(insert))).toBe('value');
    expect(executedEverywhere().filter((s) => s === 'COMMIT')).toHaveLength(1);
    conn.close();
  });
});

describe('a COMMIT the server answered', () => {
  it('refused with an ERROR (a deferred constraint): the plain server error; the transaction was rolled back', async () => {
    w.server.answerOnce('COMMIT', { error: { C: '23505', M: 'duplicate key value violates unique constraint "t_pkey"' } });
    const error = await outcome(w.reactor, w.conn.runInteraction(insert));
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknown);
    expect(error).toMatchObject({ code: '23505' });
  });

  it('cancelled while COMMIT ran and the server stopped it (57014): CancelledError, rolled back', async () => {
    const be = w.server.current;
    be.onMessage('Sync', (m) => {
      be.serveMessage(m);
      if (be.executed.length === 2) be.hold(); // BEGIN and the INSERT answered; COMMIT waits ("running")
    });
    const d = w.conn.runInteraction(insert);
    await settle(w.reactor);
    expect(be.held.flatMap((r) => r.sql)).toEqual(['COMMIT']);
    d.cancel(); // the CancelRequest interrupts the held COMMIT with 57014
    await settle(w.reactor);
    be.resume();
    const error = await outcome(w.reactor, d);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error).toMatchObject({ serverCancelled: true });
  });

  it('cancelled while COMMIT ran but the server completed it anyway: CommitOutcomeUnknown (the answer was discarded)', async () => {
    w.conn.close();
    w = await virtualConnection({ server: { cancel: 'record' }, before: (server) => server.answer(/^INSERT INTO t VALUES \(\d+\)$/, { tag: 'INSERT 0 1' }) });
    const be = w.server.current;
    be.onMessage('Sync', (m) => {
      be.serveMessage(m);
      if (be.executed.length === 2) be.hold();
    });
    const d = w.conn.runInteraction(insert);
    await settle(w.reactor);
    d.cancel(); // recorded only: the COMMIT goes on
    await settle(w.reactor);
    expect(w.server.cancelRequests).toHaveLength(1);
    be.resume();
    const error = await outcome(w.reactor, d);
    expect(error).toBeInstanceOf(CommitOutcomeUnknown);
    expect((error as Error).cause).toBeInstanceOf(CancelledError);
    expect(be.executed.map((c) => c.sql)).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'COMMIT']); // committed; no ROLLBACK after it
  });
});
