/**
 * The prepared-statement cache (Statements) on virtual time (issue 11),
 * seen from the scripted server: which messages each kind of call sends,
 * requests held behind a statement being prepared, LRU eviction with the
 * Close messages it prepends, the stale-plan rule (0A000 / 26000 prepared
 * again outside a transaction, once; evicted and failed inside one) and the
 * simple-protocol fallback for several statements in one string, and the
 * session's own random prefix on every statement name.
 */
import { MAX_STATEMENTS } from '../../src/connection/statements';
import { Connection, type Cursor } from '../../src/index';
import type { FrontendMessage } from '../../src/protocol/messages';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;

const N = /^SELECT (\d+) AS n$/;

beforeEach(async () => {
  w = await virtualConnection({
    before: (server) => {
      server.answer(N, (call) => ({ fields: [{ name: 'n', type: 'int4' }], rows: [[N.exec(call.sql)![1]]] }));
      server.answer('SELECT $1::int AS v', (call) => ({ fields: [{ name: 'v', type: 'int4' }], rows: [[call.params[0] as string]] }));
      server.answer('SELECT a FROM t', { fields: ['a'], rows: [['x']] });
    },
  });
});
afterEach(() => w.conn.close());

/** A session's statement name `tsp_<random prefix>_<n>`. */
const NAME = /^tsp_[0-9a-z]{8}_(\d+)$/;

/** A statement name without its session's random prefix: `tsp_<n>` (the prefix has tests of its own). */
function short(name: string): string {
  const m = NAME.exec(name);
  return m === null ? name : `tsp_${m[1]}`;
}

/** The (short) names of the statements prepared on the scripted server now. */
function preparedNames(): string[] {
  return [...w.server.current.prepared.keys()].map(short);
}

/** The messages of the query phase received since `from`, briefly: `Parse tsp_1`, `Bind tsp_1`, `Close S tsp_1`, `Sync`, ... */
function since(from: number): string[] {
  return w.server.current.received.slice(from).map((m: FrontendMessage) => {
    if (m.type === 'Parse') return `Parse ${short(m.name)}`;
    if (m.type === 'Bind') return `Bind ${short(m.statement)}`;
    if (m.type === 'Close' || m.type === 'Describe') return `${m.type} ${m.target} ${short(m.name)}`;
    if (m.type === 'Query') return `Query ${m.sql}`;
    return m.type;
  });
}
const mark = (): number => w.server.current.received.length;

describe('what each call sends', () => {
  it('new without parameters: Parse+Describe+Bind+Execute+Sync in one round; cached: Bind+Execute+Sync', async () => {
    let at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'))).toEqual([{ n: 1 }]);
    expect(since(at)).toEqual(['Parse tsp_1', 'Describe S tsp_1', 'Bind tsp_1', 'Execute', 'Sync']);
    at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'))).toEqual([{ n: 1 }]);
    expect(since(at)).toEqual(['Bind tsp_1', 'Execute', 'Sync']);
    // cached: the int4 column is asked for in binary, the first run (not described yet) in text
    const binds = w.server.current.receivedOf('Bind');
    expect(binds.map((b) => b.resultFormats)).toEqual([[0], [1]]);
  });

  it('new with parameters: Parse+Describe+Sync, then Bind+Execute+Sync with the parameters encoded for the described types', async () => {
    const at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT $1::int AS v', [41]))).toEqual([{ v: 41 }]);
    expect(since(at)).toEqual(['Parse tsp_1', 'Describe S tsp_1', 'Sync', 'Bind tsp_1', 'Execute', 'Sync']);
    expect(w.server.current.executed.map((c) => c.params)).toEqual([['41']]);
  });

  it('holds later requests behind a statement being prepared, and sends them in call order once it is described', async () => {
    const be = w.server.current;
    be.hold();
    const first = w.conn.runQuery('SELECT $1::int AS v', [7]);
    const second = w.conn.runQuery('SELECT 2 AS n');
    await settle(w.reactor);
    expect(be.held.map((r) => r.messages.map((m) => m.type))).toEqual([['Parse', 'Describe', 'Sync']]); // SELECT 2 waits
    be.answerNext();
    await settle(w.reactor);
    expect(be.held.map((r) => r.sql)).toEqual([['SELECT $1::int AS v'], ['SELECT 2 AS n']]);
    be.resume();
    expect(await outcome(w.reactor, first)).toEqual([{ v: 7 }]);
    expect(await outcome(w.reactor, second)).toEqual([{ n: 2 }]);
  });

  it('falls back to the simple protocol for several statements in one string without parameters', async () => {
    w.server.answer('SELECT 1 AS n; SELECT 2 AS n', {}); // never prepared: the server refuses to (42601)
    const at = mark();
    await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n; SELECT 2 AS n'));
    expect(since(at)).toEqual(['Parse tsp_1', 'Describe S tsp_1', 'Bind tsp_1', 'Execute', 'Sync', 'Query SELECT 1 AS n; SELECT 2 AS n']);
    expect(preparedNames()).not.toContain('tsp_1');
  });
});

describe('statement names', () => {
  /** The statement names in the Parse messages the `i`th backend received. */
  const parsed = (i: number): string[] => w.server.backends[i].receivedOf('Parse').map((p) => p.name);

  it('are tsp_<random prefix>_<n>: each session draws a prefix of its own, a reconnect a new one', async () => {
    await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'));
    const other = new Connection({ env: {}, reactor: w.reactor });
    await outcome(w.reactor, other.connect(w.server.dsn));
    await outcome(w.reactor, other.runQuery('SELECT 1 AS n'));
    other.close();
    w.conn.close();
    await outcome(w.reactor, w.conn.connect(w.server.dsn));
    await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n'));
    const names = [parsed(0)[0], parsed(1)[0], parsed(2)[0]];
    for (const name of names) expect(name).toMatch(NAME);
    expect(names.map(short)).toEqual(['tsp_1', 'tsp_1', 'tsp_1']);
    expect(new Set(names).size).toBe(3);
  });
});

describe('LRU eviction', () => {
  it(`keeps ${MAX_STATEMENTS} statements; the least recently used one is evicted and closed in front of the next batch`, async () => {
    const all = Array.from({ length: MAX_STATEMENTS }, (_, i) => w.conn.runQuery(`SELECT ${i} AS n`));
    await outcome(w.reactor, all[all.length - 1]);
    await outcome(w.reactor, w.conn.runQuery('SELECT 0 AS n')); // used again: now the most recent (tsp_2, SELECT 1, is the oldest)
    expect(w.server.current.prepared.size).toBe(MAX_STATEMENTS);
    let at = mark();
    await outcome(w.reactor, w.conn.runQuery(`SELECT ${MAX_STATEMENTS} AS n`));
    expect(since(at)).toEqual([`Parse tsp_${MAX_STATEMENTS + 1}`, `Describe S tsp_${MAX_STATEMENTS + 1}`, `Bind tsp_${MAX_STATEMENTS + 1}`, 'Execute', 'Sync']);
    at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 0 AS n'))).toEqual([{ n: 0 }]);
    expect(since(at)).toEqual(['Close S tsp_2', 'Bind tsp_1', 'Execute', 'Sync']);
    expect(preparedNames()).not.toContain('tsp_2');
    expect(w.server.current.prepared.size).toBe(MAX_STATEMENTS);
    at = mark();
    await outcome(w.reactor, w.conn.runQuery('SELECT 1 AS n')); // evicted: prepared again under a new name
    expect(since(at)[0]).toBe(`Parse tsp_${MAX_STATEMENTS + 2}`);
  });
});

describe('stale cached statements', () => {
  async function cached(sql: string): Promise<string> {
    await outcome(w.reactor, w.conn.runQuery(sql));
    const name = [...w.server.current.prepared].find(([, st]) => st.sql === sql)![0];
    return short(name);
  }

  it('outside a transaction: 0A000 (the result type changed) evicts, closes, prepares again and answers with the new shape', async () => {
    const old = await cached('SELECT a FROM t');
    w.server.answer('SELECT a FROM t', { fields: ['a', 'b'], rows: [['x', 'y']] }); // ALTER TABLE t ADD COLUMN b
    const at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT a FROM t'))).toEqual([{ a: 'x', b: 'y' }]);
    expect(since(at)).toEqual([`Bind ${old}`, 'Execute', 'Sync', `Close S ${old}`, 'Parse tsp_2', 'Describe S tsp_2', 'Bind tsp_2', 'Execute', 'Sync']);
  });

  it('outside a transaction: 26000 (the server lost it, DISCARD ALL) prepares again, with parameters too', async () => {
    await cached('SELECT 5 AS n');
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT $1::int AS v', [1]))).toEqual([{ v: 1 }]);
    await outcome(w.reactor, w.conn.runOperation('DISCARD ALL'));
    expect(w.server.current.prepared.size).toBe(0);
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 5 AS n'))).toEqual([{ n: 5 }]);
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT $1::int AS v', [2]))).toEqual([{ v: 2 }]);
    expect(w.server.current.receivedOf('Parse').map((p) => p.sql)).toEqual([
      'SELECT 5 AS n', 'SELECT $1::int AS v', 'DISCARD ALL', 'SELECT 5 AS n', 'SELECT $1::int AS v',
    ]);
  });

  it('prepares again only once: a second stale error reaches the caller', async () => {
    await cached('SELECT 3 AS n');
    w.server.answer('SELECT 3 AS n', { error: { C: '0A000', M: 'cached plan must not change result type' } }, { times: 2 });
    const error = await outcome(w.reactor, w.conn.runQuery('SELECT 3 AS n'));
    expect(error).toMatchObject({ code: '0A000' });
    expect(w.server.current.receivedOf('Parse').filter((p) => p.sql === 'SELECT 3 AS n')).toHaveLength(2);
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT 3 AS n'))).toEqual([{ n: 3 }]);
  });

  it('inside a transaction: the error is reported (the transaction is aborted), the statement evicted, the next use prepares it again', async () => {
    const old = await cached('SELECT a FROM t');
    w.server.answer('SELECT a FROM t', { fields: ['a', 'b'], rows: [['x', 'y']] });
    let at = mark();
    const error = await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c.execute('SELECT a FROM t')));
    expect(error).toMatchObject({ code: '0A000' });
    // BEGIN (unnamed) travels with the SELECT, which failed at Bind and was not sent again; the evicted statement is closed in front of the ROLLBACK
    expect(since(at)).toEqual([
      'Parse ', 'Bind ', 'Execute', `Bind ${old}`, 'Execute', 'Sync',
      `Close S ${old}`, 'Parse tsp_2', 'Describe S tsp_2', 'Bind tsp_2', 'Execute', 'Sync',
    ]);
    expect(w.server.current.executed.map((c) => c.sql).slice(-2)).toEqual(['BEGIN', 'ROLLBACK']);
    at = mark();
    expect(await outcome(w.reactor, w.conn.runQuery('SELECT a FROM t'))).toEqual([{ a: 'x', b: 'y' }]);
    expect(since(at)[0]).toBe('Parse tsp_3');
  });
});
