/**
 * The tracing channels (src/connection/tracing.ts) against the real server:
 * a query's start and end, a failing query's error, state changes, a
 * reconnect by the detector after pg_terminate_backend, a pool's acquire and
 * release, and no event carrying the password or a parameter value unless
 * asked to.
 */
import * as dc from 'node:diagnostics_channel';
import { publish } from '../../src/connection/tracing';
import { CancelledError, Connection, ConnectionPool, DeadConnectionDetector, setTracingOptions, TRACING_CHANNELS } from '../../src/index';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';

type Events = Array<{ channel: string; event: Record<string, unknown> }>;

/** Subscribes to every tracing channel; returns the log and the unsubscriber. */
function listen(): { events: Events; stop: () => void } {
  const events: Events = [];
  const subs = Object.values(TRACING_CHANNELS).map((name) => {
    const fn = (event: unknown): void => void events.push({ channel: name, event: event as Record<string, unknown> });
    dc.subscribe(name, fn);
    return () => dc.unsubscribe(name, fn);
  });
  return { events, stop: () => subs.forEach((s) => s()) };
}

function on(events: Events, channel: string): Array<Record<string, unknown>> {
  return events.filter((e) => e.channel === channel).map((e) => e.event);
}

/** Every string reachable from `value` (errors' messages and causes included). */
function strings(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null || seen.has(value)) return [];
  seen.add(value);
  const keys = new Set([...Object.keys(value), ...(value instanceof Error ? ['message', 'cause', 'stack'] : [])]);
  return [...keys].flatMap((k) => strings((value as Record<string, unknown>)[k], seen));
}

let db: TestDatabase;
let log: { events: Events; stop: () => void };
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  db = await createTestDatabase('tracing');
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(() => {
  log = listen();
});
afterEach(async () => {
  log.stop();
  setTracingOptions({});
  for (const close of closers.splice(0)) await close();
});

async function connect(url = db.url(), detector?: DeadConnectionDetector): Promise<Connection> {
  const conn = new Connection({ detector });
  closers.push(() => conn.close());
  await conn.connect(url);
  return conn;
}

describeServer('tracing channels', () => {
  it('publishes a query start and end with the SQL, the server and a duration', async () => {
    const conn = await connect();
    await conn.runQuery('SELECT 1 AS n UNION ALL SELECT 2');
    const [start] = on(log.events, TRACING_CHANNELS.queryStart);
    const [end] = on(log.events, TRACING_CHANNELS.queryEnd);
    expect(start).toMatchObject({ sql: 'SELECT 1 AS n UNION ALL SELECT 2', database: db.name, host: new URL(db.url()).hostname });
    expect(end).toMatchObject({ id: start.id, sql: start.sql, database: db.name, command: 'SELECT 2', rowCount: 2 });
    expect(typeof end.durationMs).toBe('number');
    expect(end.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(on(log.events, TRACING_CHANNELS.queryError)).toEqual([]);
  });

  it('publishes a failing query on the error channel with its error', async () => {
    const conn = await connect();
    await expect(conn.runQuery('SELECT 1/0')).rejects.toThrow(/division by zero/);
    const [start] = on(log.events, TRACING_CHANNELS.queryStart);
    const [error] = on(log.events, TRACING_CHANNELS.queryError);
    expect(error).toMatchObject({ id: start.id, sql: 'SELECT 1/0', database: db.name });
    expect((error.error as Error).message).toMatch(/division by zero/);
    expect(error.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(on(log.events, TRACING_CHANNELS.queryEnd)).toEqual([]);
  });

  it('publishes state changes with the previous state', async () => {
    const conn = await connect();
    conn.close();
    const states = on(log.events, TRACING_CHANNELS.connectionState);
    expect(states.map((s) => `${s.previous}>${s.state}`)).toEqual(expect.arrayContaining(['closed>connecting', 'connecting>ready']));
    expect(states[states.length - 1]).toMatchObject({ state: 'closed' });
    expect(new Set(states.map((s) => s.connectionId)).size).toBe(1);
  });

  it('publishes the reconnect attempts of a detector after pg_terminate_backend', async () => {
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [0, 50, 50, 50, 50] });
    const conn = await connect(db.url(), detector);
    const pid = conn.processId!;
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => on(log.events, TRACING_CHANNELS.reconnectEnd).some((e) => e.error === undefined) && conn.state === 'ready', 20_000, 'a reconnect');
    const attempts = on(log.events, TRACING_CHANNELS.reconnectAttempt);
    const ends = on(log.events, TRACING_CHANNELS.reconnectEnd);
    expect(attempts[0]).toEqual({ attempt: 1 });
    const ok = ends.find((e) => e.error === undefined)!;
    expect(ok.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(attempts.map((a) => a.attempt)).toContain(ok.attempt);
    const states = on(log.events, TRACING_CHANNELS.connectionState).map((s) => s.state);
    expect(states).toEqual(expect.arrayContaining(['dead', 'reconnecting', 'ready']));
    expect(conn.processId).not.toBe(pid);
  });

  it('publishes a pool acquire and release', async () => {
    const pool = new ConnectionPool({ min: 1, max: 2, connect: db.url() });
    closers.push(() => pool.close());
    await pool.start();
    await pool.withConnection((c) => c.runQuery('SELECT 1'));
    const [acquire] = on(log.events, TRACING_CHANNELS.poolAcquire);
    const [release] = on(log.events, TRACING_CHANNELS.poolRelease);
    expect(acquire.waitMs as number).toBeGreaterThanOrEqual(0);
    expect(acquire.size).toBe(1);
    expect(release.heldMs as number).toBeGreaterThanOrEqual(0);
    expect(release.size).toBe(1);
    const kinds = log.events.map((e) => e.channel).filter((c) => c.startsWith('tspostgres:pool') || c === TRACING_CHANNELS.queryEnd);
    expect(kinds).toEqual([TRACING_CHANNELS.poolAcquire, TRACING_CHANNELS.queryEnd, TRACING_CHANNELS.poolRelease]);
  });

  it('publishes a pool release to a subscriber of that channel alone, and a connection state change to one of the state channel alone', async () => {
    log.stop();
    const releases: unknown[] = [];
    const states: unknown[] = [];
    const onRelease = (e: unknown): void => void releases.push(e);
    const onState = (e: unknown): void => void states.push(e);
    dc.subscribe(TRACING_CHANNELS.poolRelease, onRelease);
    dc.subscribe(TRACING_CHANNELS.connectionState, onState);
    try {
      const pool = new ConnectionPool({ min: 1, max: 1, connect: db.url() });
      closers.push(() => pool.close());
      await pool.start();
      await pool.withConnection((c) => c.runQuery('SELECT 1'));
      expect(releases).toEqual([{ heldMs: expect.any(Number), size: 1 }]);
      expect(states).toEqual(expect.arrayContaining([expect.objectContaining({ state: 'busy', previous: 'ready' }), expect.objectContaining({ state: 'ready', previous: 'busy' })]));
    } finally {
      dc.unsubscribe(TRACING_CHANNELS.poolRelease, onRelease);
      dc.unsubscribe(TRACING_CHANNELS.connectionState, onState);
    }
  });

  it('carries neither the password nor a parameter value by default, and the parameters only when asked', async () => {
    const password = `pw_${Math.random().toString(36).slice(2)}`;
    const role = `tsp_tracing_${process.pid}`;
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    try {
      const conn = await connect(db.url({ user: role, password }));
      const secret = `secret_${Math.random().toString(36).slice(2)}`;
      await conn.runQuery('SELECT $1::text AS s', [secret]);
      await expect(conn.runQuery('SELECT $1::text, 1/0', [secret])).rejects.toThrow(/division by zero/);
      conn.close();
      expect(on(log.events, TRACING_CHANNELS.queryEnd)).toHaveLength(1);
      expect(on(log.events, TRACING_CHANNELS.queryError)).toHaveLength(1);
      const all = strings(log.events);
      expect(all.some((s) => s.includes(password))).toBe(false);
      expect(all.some((s) => s.includes(secret))).toBe(false);

      setTracingOptions({ includeParameters: true });
      const again = await connect(db.url({ user: role, password }));
      await again.runQuery('SELECT $1::text AS s', [secret]);
      const starts = on(log.events, TRACING_CHANNELS.queryStart);
      expect(starts[starts.length - 1].params).toEqual([secret]);
      expect(strings(log.events).some((s) => s.includes(password))).toBe(false);
      again.close();
    } finally {
      for (const close of closers.splice(0)) await close();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('publishes a query cancelled while queued on the error channel', async () => {
    const conn = await connect();
    let release!: () => void;
    const held = conn.runInteraction(() => new Promise<void>((r) => (release = r)));
    const queued = conn.runQuery('SELECT 42');
    await until(() => release !== undefined);
    queued.cancel();
    await expect(queued).rejects.toThrow(/cancel/i);
    release();
    await held;
    const start = on(log.events, TRACING_CHANNELS.queryStart).find((e) => e.sql === 'SELECT 42')!;
    const error = on(log.events, TRACING_CHANNELS.queryError).find((e) => e.id === start.id)!;
    expect(error.error).toBeInstanceOf(CancelledError);
    expect(on(log.events, TRACING_CHANNELS.queryEnd).some((e) => e.id === start.id)).toBe(false);
  });

  it('builds no payload when nobody listens, and one per event when someone does', () => {
    log.stop();
    const make = jest.fn(() => ({}));
    publish(TRACING_CHANNELS.poolAcquire, make);
    expect(make).not.toHaveBeenCalled();
    const seen: unknown[] = [];
    const fn = (m: unknown): void => void seen.push(m);
    dc.subscribe(TRACING_CHANNELS.poolAcquire, fn);
    try {
      publish(TRACING_CHANNELS.poolAcquire, make);
    } finally {
      dc.unsubscribe(TRACING_CHANNELS.poolAcquire, fn);
    }
    expect(make).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(1);
  });

  it('publishes nothing when nobody listens', async () => {
    log.stop();
    const conn = await connect();
    await conn.runQuery('SELECT 1');
    expect(log.events).toEqual([]);
  });
});
