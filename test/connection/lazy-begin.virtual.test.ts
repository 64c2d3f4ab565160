/**
 * An interaction's BEGIN goes out with its first statement (issue 15,
 * src/connection/prelude.ts), on virtual time against the scripted server:
 * the exact messages of each protocol path (BEGIN and the statement in one
 * sync group), a failed BEGIN skipping its statement and everything after
 * it, statements issued while BEGIN is in flight waiting for it, and an
 * interaction that issues no statement sending nothing.
 */
import { InFailedSqlTransaction, type Cursor } from '../../src/index';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import type { FrontendMessage } from '../../src/protocol/messages';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;
let unhandled: CapturedFailures;

const SYNTAX = { C: '42601', M: 'syntax error at or near "BOGUS"' };

async function start(prepare = true): Promise<void> {
  w = await virtualConnection({
    connection: { prepare },
    before: (server) => {
      server.answer(/^INSERT INTO t VALUES \(\$1\)$/, { tag: 'INSERT 0 1' });
      server.answer(/^INSERT INTO t VALUES \(\d+\)$/, { tag: 'INSERT 0 1' });
      server.answer('SELECT x FROM t', { fields: [{ name: 'x', type: 'int4' }], rows: [['1'], ['2']] });
      server.answer('BEGIN ISOLATION LEVEL SERIALIZABLE', { error: SYNTAX }); // a BEGIN the server refuses
    },
  });
}

beforeEach(() => {
  unhandled = captureUnhandledFailures();
});
afterEach(() => {
  w.conn.close();
  unhandled.restore();
});

const mark = (): number => w.server.current.received.length;
const executed = (): string[] => w.server.current.executed.map((c) => c.sql);

/** One message, briefly: `Parse "BEGIN"`, `Bind tsp_1`, `Execute`, `Query "..."`, `Sync`. */
function brief(m: FrontendMessage): string {
  switch (m.type) {
    case 'Parse':
      return m.name === '' ? `Parse "${m.sql}"` : `Parse ${m.name.replace(/^tsp_[0-9a-z]+_/, 'tsp_')} "${m.sql}"`;
    case 'Bind':
      return `Bind ${m.statement === '' ? '""' : m.statement.replace(/^tsp_[0-9a-z]+_/, 'tsp_')}`;
    case 'Describe':
      return `Describe ${m.target}`;
    case 'Query':
      return `Query "${m.sql}"`;
    default:
      return m.type;
  }
}

/** The query-phase messages received since `from`, in sync groups (each ends with its Sync, or is one Query). */
function groups(from: number): string[][] {
  const out: string[][] = [];
  let group: string[] = [];
  for (const m of w.server.current.received.slice(from)) {
    group.push(brief(m));
    if (m.type === 'Sync' || m.type === 'Query') {
      out.push(group);
      group = [];
    }
  }
  if (group.length > 0) out.push(group);
  return out;
}

describe('BEGIN travels with the first statement, in its sync group', () => {
  it('a new statement without parameters: BEGIN, then Parse/Describe/Bind/Execute of the statement, one Sync; COMMIT after', async () => {
    await start();
    const at = mark();
    expect(await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('SELECT x FROM t').addCallback(() => c.fetchall())))).toEqual([{ x: 1 }, { x: 2 }]);
    expect(groups(at)).toEqual([
      ['Parse "BEGIN"', 'Bind ""', 'Execute', 'Parse tsp_1 "SELECT x FROM t"', 'Describe S', 'Bind tsp_1', 'Execute', 'Sync'],
      ['Parse tsp_2 "COMMIT"', 'Describe S', 'Bind tsp_2', 'Execute', 'Sync'],
    ]);
    expect(executed()).toEqual(['BEGIN', 'SELECT x FROM t', 'COMMIT']);
  });

  it('a cached statement: BEGIN, Bind/Execute, one Sync; a statement with parameters: BEGIN with its Parse/Describe', async () => {
    await start();
    await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('SELECT x FROM t')));
    let at = mark();
    await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('SELECT x FROM t')));
    expect(groups(at)).toEqual([['Parse "BEGIN"', 'Bind ""', 'Execute', 'Bind tsp_1', 'Execute', 'Sync'], ['Bind tsp_2', 'Execute', 'Sync']]);
    at = mark();
    await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('INSERT INTO t VALUES ($1)', [7])));
    expect(groups(at)).toEqual([
      ['Parse "BEGIN"', 'Bind ""', 'Execute', 'Parse tsp_3 "INSERT INTO t VALUES ($1)"', 'Describe S', 'Sync'],
      ['Bind tsp_3', 'Execute', 'Sync'],
      ['Bind tsp_2', 'Execute', 'Sync'],
    ]);
    expect(executed().slice(-3)).toEqual(['BEGIN', 'INSERT INTO t VALUES ($1)', 'COMMIT']);
  });

  it('with its options, and without preparing (prepare: false): one unnamed batch', async () => {
    await start(false);
    const at = mark();
    const d = w.conn.runInteractionWith({ isolationLevel: 'repeatable read', readOnly: true }, (c: Cursor) => c.execute('SELECT x FROM t'));
    await outcome(w.reactor, d);
    expect(groups(at)).toEqual([
      ['Parse "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"', 'Bind ""', 'Execute', 'Parse "SELECT x FROM t"', 'Bind ""', 'Describe P', 'Execute', 'Sync'],
      ['Parse "COMMIT"', 'Bind ""', 'Describe P', 'Execute', 'Sync'],
    ]);
  });

  it('a simple-protocol statement: one Query, BEGIN in front; the result is the statement\'s alone', async () => {
    await start();
    const at = mark();
    const d = w.conn.runInteraction((c: Cursor) => c.execute('SELECT x FROM t', [], { simple: true }).addCallback(() => [c.statusmessage, c.fetchall()]));
    expect(await outcome(w.reactor, d)).toEqual(['SELECT 2', [{ x: 1 }, { x: 2 }]]);
    expect(groups(at)[0]).toEqual(['Query "BEGIN;SELECT x FROM t"']);
    expect(executed()).toEqual(['BEGIN', 'SELECT x FROM t', 'COMMIT']);
  });

  it('a simple-protocol statement\'s error position counts from its own text, not from the BEGIN in front', async () => {
    await start();
    w.server.answer('SELECT nope', { error: { C: '42703', M: 'column "nope" does not exist', P: '14' } }); // 'BEGIN;SELECT nope': at "nope"
    const error = await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('SELECT nope', [], { simple: true })));
    expect(error).toMatchObject({ code: '42703', position: '8' });
  });

  it('a savepoint block first: BEGIN goes out with its SAVEPOINT', async () => {
    await start();
    const at = mark();
    await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.runInteraction((i: Cursor) => i.execute('INSERT INTO t VALUES (1)'))));
    const [first] = groups(at);
    expect(first.slice(0, 4)).toEqual(['Parse "BEGIN"', 'Bind ""', 'Execute', expect.stringMatching(/^Parse tsp_1 "SAVEPOINT tsp_sp_\d+"$/)]);
    expect(first.filter((m) => m === 'Sync')).toHaveLength(1);
    expect(executed().filter((s) => /^(BEGIN|COMMIT|INSERT)/.test(s))).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'COMMIT']);
  });
});

describe('a BEGIN the server refuses', () => {
  it('skips the statement it travels with; the interaction fails with its error and ends nothing (no ROLLBACK)', async () => {
    await start();
    let ran = false;
    const at = mark();
    const d = w.conn.runInteractionWith({ isolationLevel: 'serializable' }, (c: Cursor) => {
      ran = true;
      return c.execute('INSERT INTO t VALUES (1)');
    });
    expect(await outcome(w.reactor, d)).toMatchObject({ code: '42601' });
    expect(ran).toBe(true);
    expect(executed()).toEqual(['BEGIN ISOLATION LEVEL SERIALIZABLE']); // the INSERT never ran
    expect(groups(at)).toHaveLength(1);
    expect(w.server.current.transactionStatus).toBe('I');
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT x FROM t'))).toHaveLength(2); // the connection goes on
  });

  it('a function that swallows the error: later statements are not sent (25P02), and the block fails with InFailedSqlTransaction', async () => {
    await start();
    const errors: unknown[] = [];
    const d = w.conn.runInteractionWith({ isolationLevel: 'serializable' }, async (c: Cursor) => {
      errors.push(await outcome(w.reactor, c.execute('INSERT INTO t VALUES (1)')));
      errors.push(await outcome(w.reactor, c.execute('INSERT INTO t VALUES (2)')));
      return 'value that must not be returned';
    });
    const error = await outcome(w.reactor, d);
    expect(error).toBeInstanceOf(InFailedSqlTransaction);
    expect(error).toMatchObject({ cause: expect.objectContaining({ code: '42601' }) });
    expect(errors).toEqual([expect.objectContaining({ code: '42601' }), expect.objectContaining({ code: '25P02' })]);
    expect(executed()).toEqual(['BEGIN ISOLATION LEVEL SERIALIZABLE']);
  });

  it('statements issued while BEGIN is in flight wait for it: after a failed BEGIN none of them runs outside the transaction', async () => {
    await start();
    const be = w.server.current;
    be.hold();
    const d = w.conn.runInteractionWith({ isolationLevel: 'serializable' }, (c: Cursor) => {
      const all = [1, 2, 3].map((n) => c.execute(`INSERT INTO t VALUES (${n})`));
      for (const d of all.slice(0, 2)) d.addErrback(() => null); // only the last one's failure is the block's
      return all[2];
    });
    await settle(w.reactor);
    expect(be.held.map((r) => r.sql)).toEqual([['BEGIN ISOLATION LEVEL SERIALIZABLE', 'INSERT INTO t VALUES (1)']]); // the others wait
    be.resume();
    expect(await outcome(w.reactor, d)).toMatchObject({ code: '25P02', cause: expect.objectContaining({ code: '42601' }) });
    expect(executed()).toEqual(['BEGIN ISOLATION LEVEL SERIALIZABLE']);
    expect(w.server.current.receivedOf('Sync')).toHaveLength(1); // one round went out: nothing after the failed BEGIN
  });
});

describe('the link lost while BEGIN is in flight', () => {
  it('fails the statement it travels with and the ones waiting behind it with the link\'s own error (for a detector), and ends nothing', async () => {
    await start();
    const be = w.server.current;
    be.hold();
    const errors: unknown[] = [];
    const d = w.conn.runInteraction((c: Cursor) => {
      const all = [1, 2].map((n) => c.execute(`INSERT INTO t VALUES (${n})`).addErrback((e: Error) => {
        errors.push(e);
        throw e;
      }));
      all[0].addErrback(() => null); // only the last one's failure is the block's
      return all[1];
    });
    await settle(w.reactor);
    expect(be.held.map((r) => r.sql)).toEqual([['BEGIN', 'INSERT INTO t VALUES (1)']]);
    be.reset();
    const error = await outcome(w.reactor, d);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_LOST' });
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_CONNECTION_LOST', 'ERR_CONNECTION_LOST']);
    expect(executed()).toEqual([]);
  });
});

describe('statements issued while BEGIN is in flight', () => {
  it('go out, in order, once it has completed', async () => {
    await start();
    const be = w.server.current;
    be.hold();
    const d = w.conn.runInteraction((c: Cursor) => {
      const all = [1, 2, 3].map((n) => c.execute(`INSERT INTO t VALUES (${n})`));
      return all[2].addCallback(() => 'done');
    });
    await settle(w.reactor);
    expect(be.held.map((r) => r.sql)).toEqual([['BEGIN', 'INSERT INTO t VALUES (1)']]);
    be.answerNext();
    await settle(w.reactor);
    expect(be.held.map((r) => r.sql)).toEqual([['INSERT INTO t VALUES (2)'], ['INSERT INTO t VALUES (3)']]);
    be.resume();
    expect(await outcome(w.reactor, d)).toBe('done');
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (3)', 'COMMIT']);
  });
});

describe('a statement cancelled while it waits behind BEGIN', () => {
  it('is never sent (no CancelRequest either) and fails with CancelledError; the others go out once BEGIN has completed', async () => {
    await start();
    const be = w.server.current;
    be.hold();
    let third: ReturnType<Cursor['execute']> | null = null;
    const d = w.conn.runInteraction((c: Cursor) => {
      const all = [1, 2, 3].map((n) => c.execute(`INSERT INTO t VALUES (${n})`));
      third = all[2];
      return all[1].addCallback(() => outcome(w.reactor, all[2]));
    });
    await settle(w.reactor);
    third!.cancel();
    be.resume();
    expect(await outcome(w.reactor, d)).toMatchObject({ name: 'CancelledError', serverCancelled: false });
    expect(executed()).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'COMMIT']);
    expect(w.server.cancelRequests).toEqual([]);
  });
});

describe('an interaction that issues no statement', () => {
  it('sends nothing, and fires with the function value; one that throws fails with its error, sending nothing', async () => {
    await start();
    const at = mark();
    expect(await outcome(w.reactor, w.conn.runInteractionWith({ isolationLevel: 'serializable' }, () => 42))).toBe(42);
    const boom = new Error('boom');
    expect(await outcome(w.reactor, w.conn.runInteraction(async () => {
      throw boom;
    }))).toBe(boom);
    expect(w.server.current.received.slice(at)).toEqual([]);
    expect(w.conn.state).toBe('ready');
  });

  it('options BEGIN could not carry fail when the interaction is called (InterfaceError, ERR_INVALID_OPTION), the function not run', async () => {
    await start();
    const at = mark();
    let ran = false;
    const bad = { isolationLevel: 'chaos' } as unknown as { isolationLevel: 'serializable' };
    const error = await outcome(w.reactor, w.conn.runInteractionWith(bad, () => (ran = true)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"chaos"') });
    expect(await outcome(w.reactor, w.conn.runInteractionWith({ readOnly: 'yes' as unknown as boolean }, () => (ran = true)))).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expect(ran).toBe(false);
    expect(w.server.current.received.slice(at)).toEqual([]);
  });
});
