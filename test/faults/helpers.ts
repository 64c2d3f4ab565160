/**
 * Shared pieces of the real-fault tests: a connection with a detector and a
 * listen() subscription, polling on real events with a deadline, and a
 * check that every Deferred a test made has settled.
 */
import type { Subscription } from 'rxjs';
import { Connection } from '../../src/index';
import type { Deferred } from '../../src/defer';
import { DeadConnectionDetector, type DetectorOptions } from '../../src/reconnect/detector';
import { Notification, NotificationGap } from '../../src/connection/notification';
import { listen } from '../../src/rx/listen';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { testServer } from '../support/server';
import { until } from '../support/until';

export { until } from '../support/until';

/**
 * A fault proxy in front of the test server for the whole file (started in
 * beforeAll, closed in afterAll), and the server URL routed through it.
 */
export function useFaultProxy(): { readonly proxy: FaultProxy; viaProxy(): string } {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    const { host, port } = testServer();
    proxy = await startFaultProxy({ targetHost: host, targetPort: port });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  return {
    get proxy(): FaultProxy {
      return proxy!;
    },
    viaProxy(): string {
      const u = new URL(testServer().url);
      u.host = `${proxy!.host}:${proxy!.port}`;
      return u.toString();
    },
  };
}

/** A connection under test: its detector, the states it went through, what its listen() got. */
export interface Watched {
  conn: Connection;
  detector: DeadConnectionDetector;
  states: string[];
  received: Array<Notification | NotificationGap>;
  /** Every Deferred handed out by {@link track}. */
  tracked: Array<Deferred<unknown>>;
  track<T>(d: Deferred<T>): Deferred<T>;
  close(): void;
}

/** Connects with a detector (short schedule by default) and subscribes `listen(channel)`. */
export async function watched(url: string, channel: string, options: DetectorOptions = {}, connectTimeoutMs = 10_000): Promise<Watched> {
  const detector = new DeadConnectionDetector({ reconnectionIterator: () => shortSchedule(), ...options });
  const conn = new Connection({ detector, connectTimeoutMs });
  await conn.connect(url);
  const states: string[] = [];
  conn.onStateChange((s, reason) => states.push(reason ? `${s}: ${reason.message}` : s));
  const received: Array<Notification | NotificationGap> = [];
  const sub: Subscription = listen(conn, channel).subscribe((n) => received.push(n));
  await until(() => conn.state === 'ready' && !conn.busy, 20_000, 'LISTEN');
  const tracked: Array<Deferred<unknown>> = [];
  return {
    conn,
    detector,
    states,
    received,
    tracked,
    track<T>(d: Deferred<T>): Deferred<T> {
      tracked.push(d as Deferred<unknown>);
      return d;
    },
    close() {
      sub.unsubscribe();
      conn.close();
    },
  };
}

/** 300 ms between attempts, 100 attempts: room to observe the outage, bounded. */
export function* shortSchedule(): Generator<number> {
  for (let i = 0; i < 100; i++) yield 300;
}

/** Fails with the error of `d`, or null when it succeeded; gives up after `ms` (generous: a loaded machine is slow). */
export async function errorOf(d: PromiseLike<unknown>, ms = 20_000): Promise<Error | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(d).then(() => null, (e: Error) => e), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asserts the outage behaviour: while the detector holds the connection dead,
 * a call fails with ConnectionDead without being run: its Deferred has
 * already failed when runQuery returns (no round trip, no timer, so no
 * wall-clock bound is needed). Returns the error (its `cause` is the death).
 */
export async function expectDeadCallFailsFast(w: Watched): Promise<Error> {
  expect(w.detector.connectionIsDead).toBe(true);
  const d = w.track(w.conn.runQuery('SELECT 1'));
  expect(d.called).toBe(true);
  const e = await errorOf(d);
  expect(e).toMatchObject({ code: 'ERR_CONNECTION_DEAD' });
  return e!;
}

/** After recovery: the subscription was re-LISTENed, a gap came first, then a NOTIFY arrives. */
export async function expectListenWorks(w: Watched, channel: string, notify: (payload: string) => Promise<unknown>): Promise<void> {
  await until(() => w.conn.state === 'ready' && w.received.some((n) => n instanceof NotificationGap), 30_000, 'recovery with a gap');
  const payload = `after-${Date.now()}`;
  await until(() => !w.conn.busy, 20_000, 'idle after re-LISTEN');
  // the re-LISTEN may still be on its way: notify until one arrives
  const deadline = Date.now() + 20_000; // gives up only; never a bound on speed
  while (!w.received.some((n) => n instanceof Notification && n.payload === payload)) {
    if (Date.now() > deadline) throw new Error('no notification after recovery');
    await notify(payload);
    await new Promise((r) => setTimeout(r, 50));
  }
  const gap = w.received.findIndex((n) => n instanceof NotificationGap);
  const first = w.received.findIndex((n) => n instanceof Notification && n.payload === payload);
  expect(gap).toBeLessThan(first);
  expect((w.received[gap] as NotificationGap).channel).toBe(channel);
}

/** Every tracked Deferred has fired. */
export function expectNothingPending(w: Watched): void {
  expect(w.tracked.filter((d) => !d.called)).toHaveLength(0);
}

/** The states went ... -> dead -> reconnecting ... -> ready, with no 'closed' or 'connecting' in between. */
export function expectOutageStates(states: string[]): void {
  const dead = states.findIndex((s) => s.startsWith('dead'));
  expect(dead).toBeGreaterThanOrEqual(0);
  const after = states.slice(dead + 1);
  const ready = after.indexOf('ready');
  expect(ready).toBeGreaterThan(0);
  expect(after.slice(0, ready).every((s) => s.startsWith('reconnecting'))).toBe(true);
}

// ------------------------------------------------------------------ failover (test/faults/failover*.test.ts)

/** How many failovers a failover test runs: `FAILOVER_CYCLES` (default 2, for CI; run 10 by hand). */
export function failoverCycles(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FAILOVER_CYCLES ?? 2);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FAILOVER_CYCLES=${env.FAILOVER_CYCLES}: expected a positive integer`);
  return n;
}

/** Resolves once the async `cond()` holds (polled every 20 ms; a failing poll counts as false); rejects after `ms` naming `what`. */
export async function eventually(cond: () => Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await cond().catch(() => false))) {
    if (Date.now() - start > ms) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a connection's session is: the server's port and whether it is a standby. */
export async function serverOf(conn: Connection): Promise<{ port: number; standby: boolean }> {
  const [row] = await conn.runQuery<{ port: number; standby: boolean }>('SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby');
  return row;
}

/** The states one connection went through, with the error of each transition. */
export interface StateLog {
  readonly entries: Array<{ state: string; reason: Error | undefined }>;
  /** How many times the connection was declared dead. */
  deaths(): number;
  /** Failed reconnection attempts, since entry `from`, in which the server on `port` answered and was refused by target_session_attrs. */
  refusedBy(port: number, from?: number): number;
}

/** Records every state change of `conn` from now on. */
export function stateLog(conn: Connection): StateLog {
  const entries: StateLog['entries'] = [];
  conn.onStateChange((state, reason) => entries.push({ state, reason }));
  return {
    entries,
    deaths: () => entries.filter((e) => e.state === 'dead').length,
    refusedBy: (port, from = 0) => entries.slice(from).filter((e) => e.state === 'reconnecting' && unsuitableAt(e.reason, port)).length,
  };
}

/** True when `error` (a ConnectionFailed, or one of its entries) holds an UnsuitableServer for 127.0.0.1:`port`. */
function unsuitableAt(error: unknown, port: number): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; host?: string; errors?: unknown[] };
  if (e.code === 'ERR_UNSUITABLE_SERVER') return e.host === `127.0.0.1:${port}`;
  return (e.errors ?? []).some((x) => unsuitableAt(x, port));
}
