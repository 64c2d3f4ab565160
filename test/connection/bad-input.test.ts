/**
 * Every public entry point given bad input fails with a clear library error
 * (a PgError with a stable `code`, or a DatabaseError from the server) and
 * leaves the connection usable where it can be (issue 16, "Bad input").
 * The table goes over the constructors, connect, the query methods, the
 * cursor, interactions, the pool, listen() and a reactor that throws; after
 * each bad call the shared connection must still answer `SELECT 1`.
 */
import { from, lastValueFrom } from 'rxjs';
import type { Reactor } from '../../reactor/interfaces';
import { Connection, ConnectionPool, DatabaseError, DeadConnectionDetector, PgError, listen, registerType } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('badinput');
  conn = new Connection({ env: {} });
  await conn.connect(db.url());
});
afterAll(async () => {
  conn.close();
  await db.drop();
});

/** Runs `call` (sync throw, rejected Deferred/Promise, or an Observable error) and returns what it failed with. */
async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    if (result !== null && typeof result === 'object' && 'subscribe' in result) await lastValueFrom(from(result as never));
    else await result;
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A clear library error: a PgError with a code and a message, or the server's DatabaseError. */
function expectClear(error: unknown, name: string): void {
  const ok = (error instanceof PgError || error instanceof DatabaseError) && typeof (error as { code?: unknown }).code === 'string' && (error as Error).message.length > 0;
  expect({ name, ok, error: ok ? 'clear' : String(error) }).toEqual({ name, ok: true, error: 'clear' });
}

const any = (x: unknown): never => x as never;

describe('bad input to a connected Connection, then SELECT 1 still works', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: Array<[string, () => unknown]> = [
    ['runQuery(undefined)', () => conn.runQuery(any(undefined))],
    ['runQuery({})', () => conn.runQuery(any({}))],
    ['runQuery(sql, "params")', () => conn.runQuery('SELECT $1::text', any('params'))],
    ['runQuery(sql, [Symbol()])', () => conn.runQuery('SELECT $1::text', [Symbol('s')])],
    ['runQuery(sql, [function])', () => conn.runQuery('SELECT $1::text', [() => 1])],
    ['runQuery(sql, [circular object])', () => conn.runQuery('SELECT $1::jsonb', [circular])],
    ['runQuery(sql, [2n ** 70n]) into int8', () => conn.runQuery('SELECT $1::int8', [2n ** 70n])],
    ['runQuery(sql, [NaN]) into int4', () => conn.runQuery('SELECT $1::int4', [NaN])],
    ['runQuery with 65,536 parameters', () => conn.runQuery('SELECT 1', new Array(65_536).fill(1))],
    ['runQuery with too few parameters', () => conn.runQuery('SELECT $1::int + $2::int', [1])],
    ['runQuery of a syntax error', () => conn.runQuery('SELEC 1')],
    ['runOperation(null)', () => conn.runOperation(any(null))],
    ['runInteraction(not a function)', () => conn.runInteraction(any('BEGIN'))],
    ['runInteraction whose function throws a string', () => conn.runInteraction(() => { throw 'boom'; })],
    ['runInteractionWith(bad isolation)', () => conn.runInteractionWith(any({ isolationLevel: 'chaos' }), async () => 1)],
    ['cursor().execute(42)', () => conn.cursor().execute(any(42))],
    ['listen(conn, 42)', () => listen(conn, any(42))],
    ['listen(conn, "")', () => listen(conn, '')],
    ['registerType(nonsense, conn)', () => registerType(any({ oid: 'x' }), conn)],
  ];
  it.each(cases)('%s', async (name, call) => {
    expectClear(await failureOf(call), name);
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(conn.state).toBe('ready');
  });
});

describe('bad input before or without a connection', () => {
  const cases: Array<[string, () => unknown]> = [
    ['new Connection("dsn")', () => new Connection(any('postgres://x'))],
    ['new Connection({ reactor: 5 })', () => new Connection(any({ reactor: 5 }))],
    ['new Connection({ detector: "yes" })', () => new Connection(any({ detector: 'yes' }))],
    ['connect(null)', () => new Connection({ env: {} }).connect(any(null))],
    ['connect(42)', () => new Connection({ env: {} }).connect(any(42))],
    ['connect("===")', () => new Connection({ env: {} }).connect('===')],
    ['connect({ port: "abc" })', () => new Connection({ env: {} }).connect(any({ host: '127.0.0.1', port: 'abc', user: 'u' }))],
    ['connect({ bogusKey: 1 })', () => new Connection({ env: {} }).connect(any({ host: '127.0.0.1', user: 'u', bogusKey: 1 }))],
    ['runQuery before connect', () => new Connection({ env: {} }).runQuery('SELECT 1')],
    ['runQuery after close', () => { const c = new Connection({ env: {} }); c.close(); return c.runQuery('SELECT 1'); }],
    ['new ConnectionPool({ max: -1 })', () => new ConnectionPool(any({ max: -1 }))],
    ['new ConnectionPool({ min: "3" })', () => new ConnectionPool(any({ min: '3' }))],
    ['pool.runQuery after close', async () => { const p = new ConnectionPool({ connect: db.url(), min: 0 }); await p.close(); return p.runQuery('SELECT 1'); }],
    ['new DeadConnectionDetector({ reconnectionIterator: 5 })', () => new DeadConnectionDetector(any({ reconnectionIterator: 5 }))],
  ];
  it.each(cases)('%s', async (name, call) => {
    expectClear(await failureOf(call), name);
  });

  it('a reactor that throws on connect fails the connect with a library error', async () => {
    const real = new Connection({ env: {} }).reactor;
    const throwing = new Proxy(real, {
      get: (target, key) => (key === 'connect' ? () => { throw new Error('reactor exploded'); } : (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target)),
    }) as Reactor;
    const c = new Connection({ env: {}, reactor: throwing });
    const error = await failureOf(() => c.connect(db.url()));
    expectClear(error, 'throwing reactor');
    expect(String((error as Error).message)).toContain('reactor exploded');
  });
});
