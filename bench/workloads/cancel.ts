/**
 * W11: cancelling a running statement, ms from cancel() to the rejection.
 *
 * Theory of operation. Each driver opens one connection and, N times, starts
 * `SELECT pg_sleep(10)`, waits until the server reports that backend
 * running it (pg_stat_activity, read by a separate node-postgres monitor
 * so the wait is the same for every driver), then cancels it with the
 * driver's own real CancelRequest and records the time from the cancel call
 * to the query's rejection. The rejection must be the server's cancel
 * (SQLSTATE 57014, or our CancelledError with `serverCancelled`), and the
 * connection must answer `SELECT 1` afterwards (reusable), or the run fails.
 *
 * - tspostgres: `d.cancel()` on the Deferred of `runQuery`.
 * - pg: `new Client(config).cancel(client, query)`, node-postgres' own
 *   CancelRequest over a fresh connection (what `pg.Client#cancel` is for).
 * - postgres.js: `query.cancel()`.
 *
 * Environment: BENCH_CANCEL (iterations per driver and round, default 20).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import postgres from 'postgres';
import { Connection } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';
import { Samples, summarize } from '../lib/stats';

const SLEEP_SQL = 'SELECT pg_sleep(10)';

/** One connection of a driver under test, able to start a cancellable sleep. */
interface CancelClient {
  /** The server process id of the connection. */
  readonly pid: number;
  /**
   * Starts the sleep; `cancel` sends the driver's CancelRequest; `done`
   * settles when the query does; `sent` (untimed) when the driver's cancel
   * connection is over, where the driver shows it.
   */
  start(): { cancel(): void; done: Promise<unknown>; sent?: () => Promise<unknown> };
  /** Runs SELECT 1; resolves with the value. */
  selectOne(): Promise<number>;
  close(): Promise<void>;
}

const clients: Record<DriverName, (url: string) => Promise<CancelClient>> = {
  async tspostgres(url) {
    const conn = new Connection();
    await conn.connect(url);
    return {
      pid: conn.processId!,
      start() {
        const d = conn.runQuery(SLEEP_SQL);
        return { cancel: () => d.cancel(), done: Promise.resolve(d) };
      },
      selectOne: async () => Number((await conn.runQuery<{ n: number }>('SELECT 1 AS n'))[0].n),
      close: async () => conn.close(),
    };
  },
  async pg(url) {
    const client = new Client({ connectionString: url });
    await client.connect();
    const pid = (client as unknown as { processID: number }).processID;
    return {
      pid,
      start() {
        const done = client.query(SLEEP_SQL);
        const query = (client as unknown as { activeQuery: unknown }).activeQuery;
        const canceller = new Client({ connectionString: url }) as unknown as { cancel(c: Client, q: unknown): void; connection: NodeJS.EventEmitter };
        const over = new Promise((resolve) => canceller.connection.once('end', resolve));
        return { cancel: () => canceller.cancel(client, query), done, sent: () => over };
      },
      selectOne: async () => Number((await client.query('SELECT 1 AS n')).rows[0].n),
      close: () => client.end(),
    };
  },
  async 'postgres.js'(url) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    const [{ pid }] = await sql.unsafe('SELECT pg_backend_pid() AS pid');
    return {
      pid: Number(pid),
      start() {
        const q = sql.unsafe(SLEEP_SQL);
        const done = q.then(); // postgres.js queries start when awaited
        return { cancel: () => void q.cancel(), done };
      },
      selectOne: async () => Number((await sql.unsafe('SELECT 1 AS n'))[0].n),
      close: () => sql.end({ timeout: 1 }),
    };
  },
};

/**
 * Resolves true once the monitor sees backend `pid` running the sleep, false
 * when the sleep settled first (a stray signal of the previous cancel hit it).
 */
async function waitRunning(monitor: Client, pid: number, settled: () => boolean): Promise<boolean> {
  const giveUp = performance.now() + 10_000;
  while (performance.now() < giveUp) {
    const r = await monitor.query('SELECT state, query FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (r.rows[0]?.state === 'active' && r.rows[0]?.query === SLEEP_SQL) return true;
    if (settled()) return false;
  }
  throw new Error(`backend ${pid} never ran the sleep`);
}

/** Whether `err` is the server's cancel (57014), directly or as our CancelledError's cause. */
function serverCancelled(err: unknown): boolean {
  const e = err as { code?: string; serverCancelled?: boolean };
  return e?.code === '57014' || e?.serverCancelled === true;
}

/** Runs W11 for one driver: `n` cancels, p50 of cancel-to-rejection in ms. */
export async function runCancel(driver: DriverName, url: string, n: number): Promise<Measurement> {
  const monitor = new Client({ connectionString: url });
  await monitor.connect();
  const client = await clients[driver](url);
  const samples = new Samples();
  let strays = 0;
  try {
    for (let i = 0; i < n; i++) {
      const q = client.start();
      let settled = false;
      q.done.then(() => (settled = true), () => (settled = true));
      if (!(await waitRunning(monitor, client.pid, () => settled))) {
        if (++strays > n) throw new Error('every sleep was stopped before it could be cancelled');
        i--; // see below: not this driver's cancel, not measured
        continue;
      }
      const t0 = performance.now();
      q.cancel();
      const err = await q.done.then(
        () => new Error('the sleep finished: not cancelled'),
        (e: unknown) => e,
      );
      samples.push(performance.now() - t0);
      if (!serverCancelled(err)) throw new Error(`not a server cancel: ${String((err as Error)?.message ?? err)}`);
      // PostgreSQL signals the backend twice (its pid, then its process group); on a loaded machine the second
      // signal can land on the next statement (ours runs such a statement again; pg and postgres.js fail it).
      // Wait until the cancel connection is over where the driver shows it, and do not count a sleep stopped early.
      await q.sent?.();
      // a stray signal may stop this SELECT 1 too (57014): the connection answered, so ask once more
      const one = await client.selectOne().catch((e: unknown) => (serverCancelled(e) ? client.selectOne() : Promise.reject(e)));
      if (one !== 1) throw new Error('the connection is not reusable after the cancel');
    }
  } finally {
    await client.close();
    await monitor.end();
  }
  const s = summarize(samples);
  return {
    workload: 'W11', driver, unit: 'ms', value: s.p50Us / 1000, lowerIsBetter: true, p50Us: s.p50Us, p99Us: s.p99Us,
    note: `cancel() to rejection, ${n} cancels, max ${(s.maxUs / 1000).toFixed(1)} ms${strays ? `, ${strays} sleeps stopped by a stray signal (not counted)` : ''}`,
  };
}

/** W11 bound to a server. */
export function cancelWorkload(url: string, n: number): Workload {
  return { id: 'W11', title: `cancel a running pg_sleep: ms from cancel() to rejection (${n} per round)`, repeatable: true, run: (d) => runCancel(d, url, n) };
}
