/**
 * Round-trip workloads W1, W2a, W2b, W3, W4a-c and D1 (reference/peers.md
 * section 2.4): closed loops of one statement over one or more connections,
 * with or without several queries in flight per connection. W3 and W4 are
 * the queries of MagicStack's pgbench suite (1-pg_type, 2-generate_series,
 * 3-large_object, 4-arrays); a workload's `setup` (its table) runs once, on
 * an admin connection, before its first run.
 *
 * W1 has the pgbench binary (C and libpq) as its floor when one is found:
 * `pgbench -n -M prepared -c 1 -j 1 -f <SELECT 1> -T <seconds> -l`, q/s from
 * its report and p50/p99 from its per-transaction log (lib/pgbench.ts), so
 * the table shows ours against the C floor on the same machine and server.
 * W1 also has the raw Node floor (lib/raw-node.ts): the same prepared
 * statement's Bind/Execute/Sync bytes, prebuilt, written on a bare socket
 * in the same closed loop, the answer skipped over, not decoded: the least
 * any Node client pays per round trip here. Every W1 entrant reports its
 * CPU per query (`cpuUsPerOp`).
 */
import { Client } from 'pg';
import { DRIVERS, type BenchClient, type DriverName } from '../lib/drivers';
import { closedLoop, type LoopTiming } from '../lib/loop';
import { runPgbench } from '../lib/pgbench';
import { bind, EXECUTE, parse, RawConnection, SYNC } from '../lib/raw-node';
import type { Floor, Measurement, Workload } from '../lib/result';

/** The shape of one round-trip workload. */
export interface RoundTripSpec {
  readonly id: string;
  readonly title: string;
  /** Connections opened. */
  readonly connections: number;
  /** Closed loops per connection (queries in flight on each). */
  readonly inFlight: number;
  readonly sql: string;
  readonly params: readonly unknown[];
  /** 'q/s' reports queries, 'rows/s' rows. */
  readonly unit: 'q/s' | 'rows/s';
  /** SQL run once before the workload's first run (simple protocol, several statements allowed). */
  readonly setup?: string;
}

/** pgbench's 1-pg_type query: 12 columns, two parameters. */
export const PG_TYPE_SQL =
  'SELECT typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, typisdefined, ' +
  'typdelim, typrelid, typelem, typarray FROM pg_type WHERE typtypmod = $1 AND typisdefined = $2';

/** 10,000 rows of int4, int8, float8, text, bool, timestamptz, numeric, uuid, date, jsonb. */
export const MIXED_SQL =
  "SELECT i::int4 AS a, (i::int8 * 1000003) AS b, (i * 1.5)::float8 AS c, 'row number ' || i AS d, " +
  "(i % 2 = 0) AS e, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS f, " +
  '(i * 1.25)::numeric(12,2) AS g, md5(i::text)::uuid AS h, ' +
  "date '2024-01-01' + (i % 365) AS j, jsonb_build_object('i', i) AS k FROM generate_series(1, $1::int) AS i";

/** The round-trip workloads of the report. */
export const ROUND_TRIPS: readonly RoundTripSpec[] = [
  { id: 'W1', title: 'SELECT 1, 1 connection, awaited', connections: 1, inFlight: 1, sql: 'SELECT 1', params: [], unit: 'q/s' },
  { id: 'W2a', title: 'SELECT 1, 10 connections, each awaited', connections: 10, inFlight: 1, sql: 'SELECT 1', params: [], unit: 'q/s' },
  { id: 'W2b', title: 'SELECT 1, 1 connection, 10 in flight', connections: 1, inFlight: 10, sql: 'SELECT 1', params: [], unit: 'q/s' },
  { id: 'W3', title: 'pgbench 1-pg_type (12 cols, $1/$2), 1 connection, awaited', connections: 1, inFlight: 1, sql: PG_TYPE_SQL, params: [-1, true], unit: 'rows/s' },
  { id: 'W4a', title: 'pgbench 2-generate_series (1,000 int4 rows), 1 connection, awaited', connections: 1, inFlight: 1, sql: 'SELECT i FROM generate_series(1, $1) AS i', params: [1000], unit: 'rows/s' },
  {
    id: 'W4b', title: 'pgbench 3-large_object (100 rows of 1,000-byte bytea), 1 connection, awaited', connections: 1, inFlight: 1, sql: 'SELECT * FROM bench_w4_bytes', params: [], unit: 'rows/s',
    setup: "DROP TABLE IF EXISTS bench_w4_bytes; CREATE TABLE bench_w4_bytes (b bytea); INSERT INTO bench_w4_bytes (b) SELECT repeat('a', 1000)::bytea FROM generate_series(1, 100)",
  },
  {
    id: 'W4c', title: 'pgbench 4-arrays (10 rows of int4[1000]), 1 connection, awaited', connections: 1, inFlight: 1, sql: 'SELECT * FROM bench_w4_arrays', params: [], unit: 'rows/s',
    setup: 'DROP TABLE IF EXISTS bench_w4_arrays; CREATE TABLE bench_w4_arrays (a int4[]); INSERT INTO bench_w4_arrays (a) SELECT (SELECT array_agg(i) FROM generate_series(1, 1000) AS s(i)) FROM generate_series(1, 10)',
  },
  { id: 'D1', title: '10,000-row mixed-type result, 1 connection, awaited', connections: 1, inFlight: 1, sql: MIXED_SQL, params: [10_000], unit: 'rows/s' },
];

/** Runs a workload's setup SQL on a pg admin connection. */
async function runSetup(url: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Opens `n` clients of a driver. */
async function openClients(driver: DriverName, url: string, n: number): Promise<BenchClient[]> {
  const d = DRIVERS.find((x) => x.name === driver)!;
  const clients: BenchClient[] = [];
  try {
    for (let i = 0; i < n; i++) clients.push(await d.connect(url));
    return clients;
  } catch (err) {
    await Promise.allSettled(clients.map((c) => c.close()));
    throw err;
  }
}

/** Runs one round-trip spec for one driver. */
export async function runRoundTrip(spec: RoundTripSpec, driver: DriverName, url: string, timing: LoopTiming): Promise<Measurement> {
  const clients = await openClients(driver, url, spec.connections);
  try {
    const op = async (w: number): Promise<number> => (await clients[w % clients.length].query(spec.sql, spec.params)).length;
    const r = await closedLoop(op, spec.connections * spec.inFlight, timing);
    const value = spec.unit === 'q/s' ? r.opsPerSec : r.unitsPerSec;
    const note = spec.unit === 'rows/s' ? `${Math.round(r.opsPerSec)} q/s` : `client CPU ${r.cpuUsPerOp.toFixed(1)} µs/q`;
    return { workload: spec.id, driver, unit: spec.unit, value, p50Us: r.p50Us, p99Us: r.p99Us, note, metrics: { cpuUsPerOp: r.cpuUsPerOp } };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** The raw Node floor of a `SELECT 1` spec on one connection: prebuilt Bind/Execute/Sync in the same closed loop. */
async function runRawRoundTrip(spec: RoundTripSpec, url: string, timing: LoopTiming): Promise<Measurement> {
  const raw = await RawConnection.open(url);
  try {
    await raw.request(Buffer.concat([parse('w1', spec.sql), SYNC]));
    const bytes = Buffer.concat([bind('w1'), EXECUTE, SYNC]);
    const r = await closedLoop(async () => (await raw.request(bytes), 1), 1, timing);
    const note = `client CPU ${r.cpuUsPerOp.toFixed(1)} µs/q`;
    return { workload: spec.id, driver: 'raw-node', unit: spec.unit, value: r.opsPerSec, p50Us: r.p50Us, p99Us: r.p99Us, note, metrics: { cpuUsPerOp: r.cpuUsPerOp } };
  } finally {
    await raw.close();
  }
}

/**
 * The round-trip workloads bound to a server and timing. W1 (one client,
 * one thread, the same statement) has its floors: the pgbench binary when
 * `pgbench` (its path) is given, for the measured window only (it has no
 * warm-up), and the raw Node floor.
 */
export function roundTripWorkloads(url: string, timing: LoopTiming, pgbench: string | null = null): Workload[] {
  return ROUND_TRIPS.map((spec) => {
    let ready: Promise<void> | null = null;
    const setUp = (): Promise<void> => (ready ??= spec.setup === undefined ? Promise.resolve() : runSetup(url, spec.setup));
    const w: Workload = { id: spec.id, title: spec.title, repeatable: true, run: async (driver) => (await setUp(), runRoundTrip(spec, driver, url, timing)) };
    if (spec.id !== 'W1') return w;
    const floors: Floor[] = [{ name: 'raw-node', run: () => runRawRoundTrip(spec, url, timing) }];
    const script = { workload: spec.id, unit: spec.unit, script: { sql: spec.sql }, clients: spec.connections, threads: 1, seconds: timing.measureMs / 1000 };
    if (pgbench !== null) floors.unshift({ name: 'pgbench', run: () => runPgbench(pgbench, url, script) });
    return { ...w, floors };
  });
}
