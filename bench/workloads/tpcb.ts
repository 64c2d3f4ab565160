/**
 * W14: a TPC-B-like transaction (pgbench's built-in `tpcb-like` script)
 * through a pool of 10, with the pgbench binary on the same server as the
 * floor.
 *
 * Theory of operation. The tables are made once per bench run by
 * `pgbench -i -s SCALE` (server-side data generation; scale 10 by default:
 * 1,000,000 accounts, 100 tellers, 10 branches). Each transaction draws
 * aid, tid, bid and delta as pgbench does, then runs
 *
 *     BEGIN;
 *     UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
 *     SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
 *     UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
 *     UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
 *     INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (...);
 *     END;
 *
 * - tspostgres: `pool.runInteraction(fn)` on a `ConnectionPool` of 10
 *   (min = max = 10), `cursor.execute` per statement; BEGIN goes out with
 *   the first UPDATE in one sync group (issue 15), so a transaction is six
 *   round trips where pg's (and pgbench's) is seven;
 * - pg: a `Pool` of 10, `pool.connect()`, BEGIN, the statements as named
 *   (prepared) queries, COMMIT (ROLLBACK on error), `release()`;
 * - postgres.js: `sql.begin(fn)` with `max: 10`, tagged templates (prepared);
 * - pgbench (the floor, C and libpq): `-b tpcb-like -M prepared -c 10 -j 2
 *   -T <seconds> -n`, per-transaction latencies from its `-l` log
 *   (lib/pgbench.ts runs it);
 * - raw Node (the Node floor, lib/raw-node.ts): 10 bare sockets, the same
 *   statements prepared once, each transaction's Bind/Execute/Sync bytes
 *   built from its draw and written in the same six round trips as ours
 *   (BEGIN with the first UPDATE), answers skipped over, not decoded: the
 *   least a single-threaded Node client pays for this transaction.
 *
 * The drivers run 10 closed loops (lib/loop.ts) for the warm-up plus
 * BENCH_TPCB_SECONDS; pgbench runs for BENCH_TPCB_SECONDS (it has no
 * warm-up). Reported: transactions per second, p50/p99 latency per
 * transaction, and the client's CPU per transaction: the Node process's
 * `process.cpuUsage()` over the measured window for a driver, pgbench's own
 * user + system time (this process's reaped-children time across its run)
 * for pgbench, divided by the transactions of that window.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import postgres from 'postgres';
import type { Cluster } from '../../scripts/pg-cluster';
import { ConnectionPool } from '../../src/index';
import { draw, findPgbench, runPgbench, type TpcbDraw } from '../lib/pgbench';
import type { DriverName } from '../lib/drivers';
import { closedLoop, type LoopTiming } from '../lib/loop';
import { bind, EXECUTE, parse, RawConnection, SYNC } from '../lib/raw-node';
import type { Measurement, Workload } from '../lib/result';

const run = promisify(execFile);
const CLIENTS = 10;

/** The statements of pgbench's tpcb-like script, $-numbered. */
const SQL = {
  updateAccount: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2',
  selectBalance: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  updateTeller: 'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2',
  updateBranch: 'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2',
  insertHistory: 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
} as const;

/** A driver's pool: `transaction()` runs one TPC-B-like transaction. */
interface TpcbClient {
  transaction(d: TpcbDraw): Promise<void>;
  close(): Promise<void>;
}

/** Ours: ConnectionPool of 10 and runInteraction. */
async function clientOurs(url: string): Promise<TpcbClient> {
  const pool = new ConnectionPool({ min: CLIENTS, max: CLIENTS, connect: url });
  await pool.start();
  return {
    transaction: async (d) => {
      await pool.runInteraction(async (cur) => {
        await cur.execute(SQL.updateAccount, [d.delta, d.aid]);
        (await cur.execute(SQL.selectBalance, [d.aid])).fetchone();
        await cur.execute(SQL.updateTeller, [d.delta, d.tid]);
        await cur.execute(SQL.updateBranch, [d.delta, d.bid]);
        await cur.execute(SQL.insertHistory, [d.tid, d.bid, d.aid, d.delta]);
      });
    },
    close: async () => pool.close(),
  };
}

/** pg: Pool of 10, BEGIN / named queries / COMMIT on one checked-out client. */
async function clientPg(url: string): Promise<TpcbClient> {
  const pool = new Pool({ connectionString: url, max: CLIENTS });
  pool.on('error', () => undefined);
  const q = (name: keyof typeof SQL, values: unknown[]) => ({ name: `tpcb_${name}`, text: SQL[name], values });
  return {
    transaction: async (d) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(q('updateAccount', [d.delta, d.aid]));
        await c.query(q('selectBalance', [d.aid]));
        await c.query(q('updateTeller', [d.delta, d.tid]));
        await c.query(q('updateBranch', [d.delta, d.bid]));
        await c.query(q('insertHistory', [d.tid, d.bid, d.aid, d.delta]));
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** postgres.js: `max: 10`, `sql.begin` with tagged templates. */
async function clientPostgresJs(url: string): Promise<TpcbClient> {
  const sql = postgres(url, { max: CLIENTS, onnotice: () => undefined });
  await Promise.all(Array.from({ length: CLIENTS }, () => sql`SELECT 1`));
  return {
    transaction: async (d) => {
      await sql.begin(async (tx) => {
        await tx`UPDATE pgbench_accounts SET abalance = abalance + ${d.delta} WHERE aid = ${d.aid}`;
        await tx`SELECT abalance FROM pgbench_accounts WHERE aid = ${d.aid}`;
        await tx`UPDATE pgbench_tellers SET tbalance = tbalance + ${d.delta} WHERE tid = ${d.tid}`;
        await tx`UPDATE pgbench_branches SET bbalance = bbalance + ${d.delta} WHERE bid = ${d.bid}`;
        await tx`INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${d.tid}, ${d.bid}, ${d.aid}, ${d.delta}, CURRENT_TIMESTAMP)`;
      });
    },
    close: () => sql.end({ timeout: 1 }),
  };
}

const clients: Record<DriverName, (url: string) => Promise<TpcbClient>> = { tspostgres: clientOurs, pg: clientPg, 'postgres.js': clientPostgresJs };

/** Runs W14 for one driver: 10 closed loops of transactions; CPU counted from the end of the warm-up. */
async function runDriver(driver: DriverName, url: string, timing: LoopTiming, scale: number): Promise<Measurement> {
  const client = await clients[driver](url);
  try {
    let total = 0;
    let mark: { cpu: NodeJS.CpuUsage; ops: number } | null = null;
    const timer = setTimeout(() => void (mark = { cpu: process.cpuUsage(), ops: total }), timing.warmupMs);
    const r = await closedLoop(async () => {
      await client.transaction(draw(scale));
      total++;
      return 1;
    }, CLIENTS, timing).finally(() => clearTimeout(timer));
    const m = mark as { cpu: NodeJS.CpuUsage; ops: number } | null;
    const cpu = m ? process.cpuUsage(m.cpu) : null;
    const cpuUsPerTx = cpu && total > m!.ops ? (cpu.user + cpu.system) / (total - m!.ops) : NaN;
    return {
      workload: 'W14', driver, unit: 'tps', value: r.opsPerSec, p50Us: r.p50Us, p99Us: r.p99Us,
      note: `client CPU ${cpuUsPerTx.toFixed(0)} µs/tx, ${r.ops} transactions`, metrics: { cpuUsPerTx, transactions: r.ops },
    };
  } finally {
    await client.close();
  }
}

/** The raw Node floor's statements: BEGIN and COMMIT besides the script's. */
const RAW = { begin: 'BEGIN', ...SQL, commit: 'COMMIT' } as const;

/** One raw transaction: six round trips of prebuilt Bind/Execute/Sync (BEGIN goes with the first UPDATE). */
async function rawTransaction(c: RawConnection, d: TpcbDraw): Promise<void> {
  const step = (name: keyof typeof RAW, params: readonly number[] = []): Buffer => Buffer.concat([bind(name, params), EXECUTE]);
  await c.request(Buffer.concat([step('begin'), step('updateAccount', [d.delta, d.aid]), SYNC]));
  await c.request(Buffer.concat([step('selectBalance', [d.aid]), SYNC]));
  await c.request(Buffer.concat([step('updateTeller', [d.delta, d.tid]), SYNC]));
  await c.request(Buffer.concat([step('updateBranch', [d.delta, d.bid]), SYNC]));
  await c.request(Buffer.concat([step('insertHistory', [d.tid, d.bid, d.aid, d.delta]), SYNC]));
  await c.request(Buffer.concat([step('commit'), SYNC]));
}

/** W14's raw Node floor: 10 bare connections, one closed loop each. */
async function runRaw(url: string, timing: LoopTiming, scale: number): Promise<Measurement> {
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) conns.push(await RawConnection.open(url));
    const prepare = Buffer.concat([...Object.entries(RAW).map(([name, sql]) => parse(name, sql)), SYNC]);
    await Promise.all(conns.map((c) => c.request(prepare)));
    const r = await closedLoop(async (w) => (await rawTransaction(conns[w], draw(scale)), 1), CLIENTS, timing);
    return {
      workload: 'W14', driver: 'raw-node', unit: 'tps', value: r.opsPerSec, p50Us: r.p50Us, p99Us: r.p99Us,
      note: `client CPU ${r.cpuUsPerOp.toFixed(0)} µs/tx, ${r.ops} transactions`, metrics: { cpuUsPerTx: r.cpuUsPerOp, transactions: r.ops },
    };
  } finally {
    await Promise.allSettled(conns.map((c) => c.close()));
  }
}

/** W14 bound to a server, with its floors (pgbench, raw Node); skipped when no pgbench binary is found (it also makes the tables). */
export function tpcbWorkloads(url: string, cluster: Cluster | null, timing: LoopTiming, scale: number, pgbenchPath?: string): { workloads: Workload[]; skipped: string[] } {
  const bin = findPgbench(cluster, pgbenchPath);
  if (!bin) return { workloads: [], skipped: ['W14 skipped: no pgbench binary (set BENCH_PGBENCH); it also initialises the tables'] };
  let init: Promise<void> | null = null;
  const ready = (): Promise<void> => (init ??= (async () => {
    const t0 = Date.now();
    await run(bin, ['-i', '-q', '-s', String(scale), '-I', 'dtGvp', url], { maxBuffer: 1 << 24 });
    console.log(`  (pgbench -i -s ${scale}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  })());
  const seconds = timing.measureMs / 1000;
  const pgbench = { workload: 'W14', unit: 'tps', script: { builtin: 'tpcb-like' }, clients: CLIENTS, threads: 2, seconds } as const;
  return {
    workloads: [{
      id: 'W14', title: `TPC-B-like transaction (pgbench tpcb-like, scale ${scale}), pool of ${CLIENTS}`, repeatable: true,
      run: async (d) => (await ready(), runDriver(d, url, timing, scale)),
      floors: [
        { name: 'pgbench', run: async () => (await ready(), runPgbench(bin, url, pgbench)) },
        { name: 'raw-node', run: async () => (await ready(), runRaw(url, timing, scale)) },
      ],
    }],
    skipped: [],
  };
}
