/**
 * Every state$ subscriber sees every transition, in the order it happened,
 * even when a listener changes the state while the others are being told.
 */
import { Connection, ConnectionPool, DeadConnectionDetector, type ConnectionState } from '../../src/index';
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { until } from '../support/until';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('stateorder');
});
afterAll(async () => {
  await db.drop();
});

describe('state transitions', () => {
  it('a transition made by a listener reaches the later listeners after the one in progress', () => {
    const conn = new Connection({ reactor: new VirtualReactor() });
    const first: ConnectionState[] = [];
    const second: ConnectionState[] = [];
    let handedOver = false;
    conn.onStateChange((s) => {
      first.push(s);
      if (s === 'ready' && !handedOver) {
        handedOver = true;
        conn.setState('busy'); // like a pool handing the recovered connection to a waiting request
      }
    });
    conn.onStateChange((s) => second.push(s));
    conn.setState('ready');
    expect(conn.state).toBe('busy');
    conn.setState('busy'); // a duplicate of the current state is not a transition
    conn.setState('ready');
    expect(first).toEqual(['ready', 'busy', 'ready']);
    expect(second).toEqual(['ready', 'busy', 'ready']);
  });

  it('a pool member that recovers while a request waits reports reconnecting, ready, busy, ready', async () => {
    const pool = new ConnectionPool({
      min: 1,
      max: 1,
      connect: db.url(),
      detector: () => new DeadConnectionDetector({ reconnectionIterator: () => [300, 300, 1000, 1000, 2000][Symbol.iterator]() }),
    });
    await pool.start();
    const member = pool.connections[0];
    const states: ConnectionState[] = [];
    member.onStateChange((s) => states.push(s));
    await adminQuery('SELECT pg_terminate_backend($1)', [member.processId]);
    await until(() => states.includes('reconnecting'), 20_000, 'reconnecting');
    const rows = await pool.runQuery<{ one: number }>('SELECT 1 AS one'); // waits for the member to recover
    expect(rows).toEqual([{ one: 1 }]);
    await until(() => states[states.length - 1] === 'ready' && member.state === 'ready');
    expect(states.slice(states.indexOf('reconnecting'))).toEqual(['reconnecting', 'ready', 'busy', 'ready']);
    await pool.close();
  });
});
