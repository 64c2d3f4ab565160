/**
 * Connect and session errors say what happened: class, code and cause.
 */
import { Connection, ConnectionClosed, ConnectionFailed, ConnectionLost, ConnectionPool, DatabaseError, defaultDeathChecker } from '../../src/index';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { until } from '../support/until';
import { failure } from '../support/failure';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('connerrors');
});
afterAll(async () => {
  await db.drop();
});

describe('connect errors', () => {
  it('one unreachable host: ConnectionFailed (not "lost") with the refusal as cause', async () => {
    const err = await failure(new Connection().connect('postgres://u@127.0.0.1:1/db?sslmode=disable'));
    expect(err).toBeInstanceOf(ConnectionFailed);
    expect(err).not.toBeInstanceOf(ConnectionLost);
    expect(err).toMatchObject({ code: 'ERR_CONNECTION_FAILED' });
    expect(err.message).toMatch(/could not connect/);
    expect(err.message).not.toMatch(/was lost/);
    expect(err.cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect((err as ConnectionFailed).errors).toHaveLength(1);
    expect(defaultDeathChecker(err)).toBe(true); // a detector's first connect may start reconnecting on it
  });

  it('the server refusing us stays its own DatabaseError', async () => {
    const err = await failure(new Connection().connect(db.url().replace(/\/[^/?]+(\?|$)/, '/no_such_database_here$1')));
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err).toMatchObject({ code: '3D000' });
  });

  it('a failed pool.start() fails with the connect error itself, not a FirstError wrapper', async () => {
    const pool = new ConnectionPool({ min: 2, connect: 'postgres://u@127.0.0.1:1/db?sslmode=disable' });
    const err = await failure(pool.start());
    expect(err).toBeInstanceOf(ConnectionFailed);
    expect(err.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a call after the server ended the session: ConnectionLost whose cause is why; after close(): ConnectionClosed', async () => {
    const conn = new Connection();
    await conn.connect(db.url());
    await adminQuery('SELECT pg_terminate_backend($1)', [conn.processId]);
    await until(() => conn.closed, 20_000, 'the session to end');
    const err = await failure(conn.runQuery('SELECT 1'));
    expect(err).toBeInstanceOf(ConnectionLost);
    expect(err).toMatchObject({ code: 'ERR_CONNECTION_LOST' });
    expect(err.cause).toMatchObject({ code: '57P01' });
    conn.close();
    expect(await failure(conn.runQuery('SELECT 1'))).toBeInstanceOf(ConnectionClosed);
  });
});

describe('pool sizing', () => {
  it('ConnectionPool({ max: 2 }) opens at most 2 connections (min defaults to at most max)', async () => {
    const pool = new ConnectionPool({ max: 2, connect: db.url() });
    expect(pool.min).toBe(2);
    await pool.start();
    expect(pool.connections).toHaveLength(2);
    await pool.close();
    expect(new ConnectionPool({ max: 1 }).min).toBe(1);
    expect(new ConnectionPool({}).min).toBe(3);
    expect(new ConnectionPool({ min: 2 }).max).toBe(2);
  });
});
