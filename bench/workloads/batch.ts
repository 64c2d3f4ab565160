/**
 * W5: a 1,000-row batch insert, three ways.
 *
 * Theory of operation. Each driver inserts the same batch of rows
 * (int4, text, float8) into one table, in a closed loop of batches for the
 * warm-up and measured windows (lib/loop.ts), through the common
 * {@link BenchClient} (one connection, prepared statements for every driver):
 *
 * - W5-awaited: one `INSERT ... VALUES ($1, $2, $3)` per row, each awaited
 *   before the next (what a naive loop does);
 * - W5-pipelined: all the batch's INSERTs issued at once and then awaited
 *   together (ours and postgres.js pipeline them; pg queues them on its one
 *   Client, its own behaviour);
 * - W5-unnest: one `INSERT ... SELECT * FROM unnest($1::int4[], $2::text[],
 *   $3::float8[])` with three array parameters.
 *
 * Every statement autocommits (the server runs synchronous_commit=off). The
 * table is emptied before each run (not timed). The unit is rows/s; p50/p99
 * are per batch.
 */
import { Client } from 'pg';
import { DRIVERS, type BenchClient, type DriverName } from '../lib/drivers';
import { closedLoop, type LoopTiming } from '../lib/loop';
import type { Measurement, Workload } from '../lib/result';

const TABLE = 'bench_batch';
const INSERT_SQL = `INSERT INTO ${TABLE} (a, b, c) VALUES ($1, $2, $3)`;
const UNNEST_SQL = `INSERT INTO ${TABLE} (a, b, c) SELECT * FROM unnest($1::int4[], $2::text[], $3::float8[])`;

/** One batch as rows and as columns. */
export interface Batch {
  readonly rows: ReadonlyArray<readonly [number, string, number]>;
  readonly columns: readonly [number[], string[], number[]];
}

/** The batch of `n` rows: (i, 'name i', i × 1.5). */
export function makeBatch(n: number): Batch {
  const rows: Array<[number, string, number]> = [];
  const columns: [number[], string[], number[]] = [[], [], []];
  for (let i = 1; i <= n; i++) {
    const row: [number, string, number] = [i, `name ${i}`, i * 1.5];
    rows.push(row);
    columns[0].push(row[0]);
    columns[1].push(row[1]);
    columns[2].push(row[2]);
  }
  return { rows, columns };
}

/** How one variant inserts a batch over one client; resolves with the rows inserted. */
type Inserter = (client: BenchClient, batch: Batch) => Promise<number>;

const VARIANTS: ReadonlyArray<{ id: string; title: string; insert: Inserter }> = [
  {
    id: 'W5-awaited', title: 'one INSERT per row, each awaited',
    insert: async (c, b) => {
      for (const row of b.rows) await c.query(INSERT_SQL, row);
      return b.rows.length;
    },
  },
  {
    id: 'W5-pipelined', title: 'one INSERT per row, all issued then awaited',
    insert: async (c, b) => (await Promise.all(b.rows.map((row) => c.query(INSERT_SQL, row)))).length,
  },
  {
    id: 'W5-unnest', title: 'one INSERT ... SELECT FROM unnest($1, $2, $3) of three arrays',
    insert: async (c, b) => {
      await c.query(UNNEST_SQL, b.columns);
      return b.rows.length;
    },
  },
];

/** Creates the table if needed and empties it (a pg admin connection, not timed). */
async function resetTable(url: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (a int4, b text, c float8)`);
    await admin.query(`TRUNCATE ${TABLE}`);
  } finally {
    await admin.end();
  }
}

/** Counts the table's rows (checks that the inserts happened). */
async function countRows(url: string): Promise<number> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    return Number((await admin.query(`SELECT count(*)::int AS n FROM ${TABLE}`)).rows[0].n);
  } finally {
    await admin.end();
  }
}

/** Runs one W5 variant for one driver. */
async function runBatch(variant: (typeof VARIANTS)[number], driver: DriverName, url: string, timing: LoopTiming, batch: Batch): Promise<Measurement> {
  await resetTable(url);
  const client = await DRIVERS.find((d) => d.name === driver)!.connect(url);
  let r;
  try {
    r = await closedLoop(() => variant.insert(client, batch), 1, timing);
  } finally {
    await client.close();
  }
  const stored = await countRows(url);
  if (stored < r.ops * batch.rows.length) throw new Error(`${stored} rows in the table, expected at least ${r.ops * batch.rows.length}`);
  return {
    workload: variant.id, driver, unit: 'rows/s', value: r.unitsPerSec, p50Us: r.p50Us, p99Us: r.p99Us,
    note: `${r.ops} batches of ${batch.rows.length} rows`,
  };
}

/** The W5 workloads bound to a server, timing and batch size. */
export function batchWorkloads(url: string, timing: LoopTiming, rows: number): Workload[] {
  const batch = makeBatch(rows);
  const size = rows.toLocaleString('en-US');
  return VARIANTS.map((v) => ({
    id: v.id, title: `${size}-row batch insert: ${v.title}`, repeatable: true,
    run: (driver) => runBatch(v, driver, url, timing, batch),
  }));
}
