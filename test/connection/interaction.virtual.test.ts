/**
 * runInteraction on virtual time (issue 11), against the scripted server
 * (which keeps the transaction status and savepoints as PostgreSQL does):
 * commit, rollback with the original error, RollbackFailed, BEGIN options,
 * savepoints for nested interactions, retries after serialization failures
 * (with their backoff on the virtual clock), a block the server rolled back
 * (COMMIT answered with the tag ROLLBACK, RELEASE refused with 25P02) failing
 * with InFailedSqlTransaction, and cancellation.
 */
import { CancelledError, InFailedSqlTransaction, RollbackFailed, type Cursor } from '../../src/index';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;
let unhandled: CapturedFailures;

const DUPLICATE = { C: '23505', M: 'duplicate key value violates unique constraint "t_pkey"' };
const SERIALIZATION = { C: '40001', M: 'could not serialize access due to concurrent update' };

beforeEach(async () => {
  unhandled = captureUnhandledFailures();
  w = await virtualConnection({
    before: (server) => {
      server.answer(/^INSERT INTO t VALUES \(\d+\)$/, { tag: 'INSERT 0 1' });
      server.answer('INSERT INTO t VALUES (0)', { error: DUPLICATE });
      server.answer('SELECT x FROM t', { fields: [{ name: 'x', type: 'int4' }], rows: [['1'], ['2']] });
    },
  });
});
afterEach(() => {
  w.conn.close();
  unhandled.restore();
});

/** The SQL the server ran, in order. */
const executed = (): string[] => w.server.current.executed.map((c) => c.sql);

describe('commit and rollback', () => {
  it('BEGIN; the function with its arguments; COMMIT; fires with the function value', async () => {
    const d = w.conn.runInteraction(
      async (c: Cursor, a: number, b: number) => {
        await c.execute(`INSERT INTO t VALUES (${a})`);
        await c.execute(`INSERT INTO t VALUES (${b})`);
        await c.execute('SELECT x FROM t');
        return c.fetchall();
      },
      1,
      2,
    );
    expect(await outcome(w.reactor, d)).toEqual([{ x: 1 }, { x: 2 }]);
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'SELECT x FROM t', 'COMMIT']);
    expect(w.server.current.transactionStatus).toBe('I');
  });

  it('rolls back when the function throws, and fails with the original error', async () => {
    const boom = new Error('boom');
    const error = await outcome(w.reactor, w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO t VALUES (1)');
      throw boom;
    }));
    expect(error).toBe(boom);
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'ROLLBACK']);
  });

  it('rolls back when a statement fails, and fails with the server error', async () => {
    const error = await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('INSERT INTO t VALUES (0)')));
    expect(error).toMatchObject({ code: '23505' });
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (0)', 'ROLLBACK']);
  });

  it('fails with RollbackFailed, carrying the original error, when ROLLBACK fails too', async () => {
    w.server.answer('ROLLBACK', { error: { C: '08006', M: 'connection failure' } });
    const error = await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('INSERT INTO t VALUES (0)')));
    expect(error).toBeInstanceOf(RollbackFailed);
    expect((error as RollbackFailed).originalError).toMatchObject({ code: '23505' });
    expect(unhandled.flush().map((e) => (e as { code?: string }).code)).toEqual(['08006']); // the ROLLBACK failure is reported
  });

  it('sends the BEGIN options', async () => {
    const select = (c: Cursor) => c.execute('SELECT x FROM t');
    await outcome(w.reactor, w.conn.runInteractionWith({ isolationLevel: 'serializable', readOnly: true, deferrable: true }, select));
    await outcome(w.reactor, w.conn.runInteractionWith({ isolationLevel: 'read committed', readOnly: false }, select));
    expect(executed().filter((s) => s.startsWith('BEGIN'))).toEqual([
      'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE',
      'BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE',
    ]);
  });
});

describe('savepoints', () => {
  it('a nested interaction on the cursor is a savepoint: released on success, rolled back to on failure; the outer one commits', async () => {
    const d = w.conn.runInteraction(async (c: Cursor) => {
      await c.runInteraction((inner: Cursor) => inner.execute('INSERT INTO t VALUES (1)'));
      const failed = await outcome(w.reactor, c.runInteraction((inner: Cursor) => inner.execute('INSERT INTO t VALUES (0)')));
      await c.execute('INSERT INTO t VALUES (2)');
      return failed;
    });
    expect(await outcome(w.reactor, d)).toMatchObject({ code: '23505' });
    const sql = executed();
    const [sp1, sp2] = sql.filter((s) => s.startsWith('SAVEPOINT')).map((s) => s.split(' ')[1]);
    expect(sql).toEqual([
      'BEGIN',
      `SAVEPOINT ${sp1}`, 'INSERT INTO t VALUES (1)', `RELEASE SAVEPOINT ${sp1}`,
      `SAVEPOINT ${sp2}`, 'INSERT INTO t VALUES (0)', `ROLLBACK TO SAVEPOINT ${sp2}`,
      'INSERT INTO t VALUES (2)', 'COMMIT',
    ]);
    expect(w.server.current.receivedOf('Query')).toEqual([]); // all through the extended protocol
  });
});

describe('a block the server rolled back', () => {
  it('fails with InFailedSqlTransaction (25P02) caused by the first error, when the function swallowed it and COMMIT answered ROLLBACK', async () => {
    const d = w.conn.runInteraction(async (c: Cursor) => {
      await outcome(w.reactor, c.execute('INSERT INTO t VALUES (0)')); // caught: the block goes on, failed
      return 'value that must not be returned';
    });
    const error = await outcome(w.reactor, d);
    expect(error).toBeInstanceOf(InFailedSqlTransaction);
    expect(error).toMatchObject({ code: '25P02', cause: expect.objectContaining({ code: '23505' }) });
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (0)', 'COMMIT']); // nothing left to roll back
  });

  it('fails when the function never awaited the failing statement', async () => {
    const d = w.conn.runInteraction((c: Cursor) => {
      c.execute('INSERT INTO t VALUES (0)').addErrback(() => undefined);
      return 'value';
    });
    expect(await outcome(w.reactor, d)).toMatchObject({ code: '25P02', cause: expect.objectContaining({ code: '23505' }) });
  });

  it('fails a nested block whose RELEASE the server refused (25P02); the outer block goes on and commits', async () => {
    const d = w.conn.runInteraction(async (c: Cursor) => {
      const inner = await outcome(w.reactor, c.runInteraction(async (i: Cursor) => {
        await outcome(w.reactor, i.execute('INSERT INTO t VALUES (0)'));
        return 'inner value';
      }));
      await c.execute('INSERT INTO t VALUES (3)');
      return inner;
    });
    const inner = await outcome(w.reactor, d);
    expect(inner).toBeInstanceOf(InFailedSqlTransaction);
    expect(inner).toMatchObject({ cause: expect.objectContaining({ code: '23505' }) });
    // RELEASE was refused at Parse (the block had failed), so it never ran; ROLLBACK TO SAVEPOINT recovered the outer block
    const sent = w.server.current.receivedOf('Parse').map((p) => p.sql.split(' ').slice(0, 2).join(' '));
    expect(sent.filter((s) => /^(RELEASE|ROLLBACK TO)/.test(s))).toEqual(['RELEASE SAVEPOINT', 'ROLLBACK TO']);
    expect(executed().slice(-2)).toEqual(['INSERT INTO t VALUES (3)', 'COMMIT']);
    expect(w.server.current.transactionStatus).toBe('I');
  });
});

describe('retries', () => {
  it('reruns the whole interaction after a serialization failure at COMMIT, after its backoff on the virtual clock', async () => {
    w.server.answerOnce('COMMIT', { error: SERIALIZATION });
    let runs = 0;
    const d = w.conn.runInteractionWith({ retry: { attempts: 3, delayMs: 50 } }, async (c: Cursor) => {
      runs++;
      await c.execute('INSERT INTO t VALUES (1)');
      return runs;
    });
    await settle(w.reactor);
    expect(runs).toBe(1);
    expect(executed().filter((sql) => sql === 'BEGIN')).toHaveLength(1);
    w.reactor.advance(49);
    await settle(w.reactor);
    expect(runs).toBe(1); // still waiting
    w.reactor.advance(1);
    expect(await outcome(w.reactor, d)).toBe(2);
    // a failed COMMIT ends the transaction on the server; the driver's ROLLBACK after it is harmless
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'COMMIT', 'ROLLBACK', 'BEGIN', 'INSERT INTO t VALUES (1)', 'COMMIT']);
  });

  it('reruns when the swallowed error of a block the server rolled back was a serialization failure', async () => {
    w.server.answerOnce('INSERT INTO t VALUES (5)', { error: SERIALIZATION });
    let runs = 0;
    const d = w.conn.runInteractionWith({ retry: { attempts: 2, delayMs: 10 } }, async (c: Cursor) => {
      runs++;
      await outcome(w.reactor, c.execute('INSERT INTO t VALUES (5)'));
      return runs;
    });
    await settle(w.reactor);
    w.reactor.advance(10);
    expect(await outcome(w.reactor, d)).toBe(2);
  });

  it('gives up after the attempts with the last error, and does not rerun other errors', async () => {
    w.server.answer('COMMIT', { error: SERIALIZATION });
    const d = w.conn.runInteractionWith({ retry: { attempts: 2, delayMs: 10 } }, (c: Cursor) => c.execute('INSERT INTO t VALUES (1)'));
    await settle(w.reactor);
    w.reactor.advance(10);
    expect(await outcome(w.reactor, d)).toMatchObject({ code: '40001' });
    expect(executed().filter((s) => s === 'BEGIN')).toHaveLength(2);
    const other = w.conn.runInteractionWith({ retry: { attempts: 5, delayMs: 10 } }, (c: Cursor) => c.execute('INSERT INTO t VALUES (0)'));
    expect(await outcome(w.reactor, other)).toMatchObject({ code: '23505' });
    expect(executed().filter((s) => s === 'BEGIN')).toHaveLength(3);
  });
});

describe('cancellation', () => {
  it('cancelling the interaction cancels the statement it awaits (a CancelRequest), then rolls back, and fails with CancelledError', async () => {
    const be = w.server.current;
    be.hold();
    const d = w.conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO t VALUES (1)');
      await c.execute('SELECT x FROM t');
    });
    await settle(w.reactor);
    be.answerNext(); // BEGIN and the INSERT, in one round
    await settle(w.reactor);
    expect(be.held.flatMap((r) => r.sql)).toEqual(['SELECT x FROM t']); // "running"
    d.cancel();
    await settle(w.reactor);
    expect(w.server.cancelRequests).toHaveLength(1); // the server stopped the SELECT (57014) ...
    expect(be.held.flatMap((r) => r.sql)).toEqual(['ROLLBACK']); // ... and the interaction rolls back before it fails
    expect(d.called && d.paused === 0).toBe(false);
    be.resume();
    expect(await outcome(w.reactor, d)).toBeInstanceOf(CancelledError);
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'SELECT x FROM t', 'ROLLBACK']);
    expect(be.transactionStatus).toBe('I');
  });
});
