/**
 * W9a: reconnection after `pg_terminate_backend`, idle connection.
 *
 * Theory of operation. Each driver gets a self-healing handle: ours a
 * Connection with a DeadConnectionDetector (default schedule: first retry
 * at 0 ms), pg a `Pool` of max 1 (it drops a client that errored and opens a
 * new one on demand), postgres.js `max: 1` (it reconnects on the next
 * query). An admin connection terminates the handle's backend; from just
 * before that call we probe with `SELECT pg_backend_pid()` every millisecond
 * until it succeeds on a new backend. The median of several repetitions is
 * reported (lower is better). Only run when src/detector.ts exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Pool } from 'pg';
import postgres from 'postgres';
import type { Cluster } from '../../scripts/pg-cluster';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';

const PID_SQL = 'SELECT pg_backend_pid() AS pid';

/** A handle that reconnects by itself: `pid()` asks the server, `close()` ends it. */
interface Healing {
  pid(): Promise<number>;
  close(): Promise<void>;
}

/** Ours: a Connection with a DeadConnectionDetector. */
async function healingOurs(url: string): Promise<Healing> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Connection } = require('../../src/index') as typeof import('../../src/index');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DeadConnectionDetector } = require('../../src/detector') as { DeadConnectionDetector: new () => import('../../src/connection').DetectorLike };
  const conn = new Connection({ detector: new DeadConnectionDetector() });
  await conn.connect(url);
  return {
    pid: async () => Number(((await conn.runQuery(PID_SQL)) as Array<{ pid: number }>)[0].pid),
    close: async () => conn.close(),
  };
}

/** pg: a Pool of one, which replaces a client that died. */
async function healingPg(url: string): Promise<Healing> {
  const pool = new Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  return { pid: async () => Number((await pool.query(PID_SQL)).rows[0].pid), close: () => pool.end() };
}

/** postgres.js: max 1, reconnects on demand. */
async function healingPostgresJs(url: string): Promise<Healing> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  return { pid: async () => Number((await sql.unsafe(PID_SQL))[0].pid), close: () => sql.end({ timeout: 1 }) };
}

const healers: Record<DriverName, (url: string) => Promise<Healing>> = {
  tspostgres: healingOurs, pg: healingPg, 'postgres.js': healingPostgresJs,
};

/** Resolves after `ms` (the probe interval; real time is what we measure here). */
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One termination: ms from the terminate call to the first query answered by a new backend. */
async function once(h: Healing, admin: Client): Promise<number> {
  const old = await h.pid();
  const t0 = performance.now();
  await admin.query('SELECT pg_terminate_backend($1)', [old]);
  for (;;) {
    const pid = await h.pid().catch(() => old);
    if (pid !== old) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error('no recovery within 10 s');
    await pause(1);
  }
}

/** Runs W9a for one driver, `reps` times; value is the median ms. */
export async function runReconnect(driver: DriverName, url: string, reps: number): Promise<Measurement> {
  const h = await healers[driver](url);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await once(h, admin));
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    return { workload: 'W9', driver, unit: 'ms', value: median, lowerIsBetter: true, note: `ms to first query after pg_terminate_backend: ${times.map((t) => t.toFixed(1)).join(', ')}` };
  } finally {
    await admin.end();
    await h.close();
  }
}

/** The W9 workload, or the reason it is skipped. */
export function reconnectWorkload(url: string, _cluster: Cluster | null, reps = 5): { workload: Workload | null; skipped: string } {
  if (!fs.existsSync(path.join(__dirname, '../../src/detector.ts'))) {
    return { workload: null, skipped: 'W9/W10 (reconnection) skipped: src/detector.ts (DeadConnectionDetector) does not exist yet' };
  }
  const workload = { id: 'W9', title: 'reconnect after pg_terminate_backend (idle), median of 5', run: (d: DriverName) => runReconnect(d, url, reps) };
  return { workload, skipped: 'W9b/W9c (server restart, pool) and W10 (dead-connection detection) not benchmarked yet' };
}
