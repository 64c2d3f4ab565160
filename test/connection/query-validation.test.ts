/**
 * Bad calls fail clearly, send nothing, cache nothing, and leave the
 * connection working (judged by the server where it matters).
 */
import { CancelledError, Connection, InterfaceError } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';
import { failure } from '../support/failure';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('validation');
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('CREATE TABLE t (v int)');
});
afterAll(async () => {
  conn.close();
  await db.drop();
});

const anyConn = (): { runQuery(...args: unknown[]): PromiseLike<unknown>; runOperation(...args: unknown[]): PromiseLike<unknown> } =>
  conn as never;

describe('one bad call does not poison a statement', () => {
  it('null parameters fail with InterfaceError, and the same statement then works', async () => {
    const err = await failure(anyConn().runQuery('select $1::int as v', null));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_PARAMS' });
    expect(await conn.runQuery('select $1::int as v', [1])).toEqual([{ v: 1 }]);
    expect(conn.state).toBe('ready');
  });

  it('SQL with a NUL byte fails before anything is sent, and the connection goes on', async () => {
    const err = await failure(conn.runQuery('select 1 as v\0'));
    expect(err).toMatchObject({ code: 'ERR_INVALID_SQL' });
    expect(await conn.runQuery('select 1 as v')).toEqual([{ v: 1 }]);
    expect(conn.state).toBe('ready');
  });

  it('a parameter that cannot be encoded fails, and the statement then works', async () => {
    const err = await failure(conn.runQuery('select $1::int as w', ['not a number']));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(await conn.runQuery('select $1::int as w', [5])).toEqual([{ w: 5 }]);
  });
});

describe('invalid options mean nothing was sent', () => {
  it.each([
    ['timeout: NaN', { timeout: NaN }],
    ['timeout: -1', { timeout: -1 }],
    ['timeout: "10"', { timeout: '10' }],
    ['signal: {}', { signal: {} }],
    ['rowFactory: 42', { rowFactory: 42 }],
  ])('%s fails with InterfaceError and the INSERT is not committed', async (_name, options) => {
    const err = await failure(anyConn().runOperation('INSERT INTO t VALUES (1)', [], options));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('an already-aborted signal fails with CancelledError and the INSERT is not committed', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await failure(conn.runOperation('INSERT INTO t VALUES (2)', [], { signal: ac.signal }));
    expect(err).toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('simple: true with parameters fails before sending instead of dropping them', async () => {
    const err = await failure(conn.runOperation('INSERT INTO t VALUES ($1)', [3], { simple: true }));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(err.message).toMatch(/simple/);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });
});

describe('misuse that used to fail silently', () => {
  it('runQuery(12345) fails with InterfaceError instead of resolving []', async () => {
    const err = await failure(anyConn().runQuery(12345));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_SQL' });
  });

  it('a bad call fails in its turn: earlier calls still fire first', async () => {
    const fired: string[] = [];
    const first = conn.runQuery('SELECT pg_sleep(0.05)').addBoth((v) => (fired.push('first'), v));
    const bad = anyConn().runQuery(12345) as unknown as { addBoth(fn: (v: unknown) => unknown): PromiseLike<unknown> };
    const second = bad.addBoth((v) => (fired.push('bad'), v));
    await Promise.allSettled([first, second]);
    expect(fired).toEqual(['first', 'bad']);
  });
});
