/**
 * W12c: connect plus the first query, for trust and scram-sha-256
 * authentication, each without and with TLS.
 *
 * (The W12 slot is left for the replication workload; this is
 * "W12c", the connect bullet of the same list.)
 *
 * Theory of operation. Each attempt opens a new connection with the
 * driver's own defaults, runs `SELECT 1` and is timed from the call to the
 * answer; the connection is then closed (not timed) and the next attempt
 * waits until its server backend has exited (its /proc entry is gone;
 * PID asked untimed with pg_backend_pid()), so backends do not pile up and
 * no driver's previous backend is still exiting during the next timed
 * connect. (Before, only pg's `end()` waited for the server to close the
 * socket; ours and postgres.js's closes return at once, so their previous
 * backend's exit, and their own handling of its EOF (and, with TLS, the
 * close_notify exchange), overlapped the next timed connect, as strace
 * showed: a cost pg's numbers did not carry.) Three untimed attempts warm up each driver
 * (JIT, TLS context); on the first, the server is asked (pg_stat_ssl)
 * whether the connection uses TLS, and a mismatch fails the run. The roles are those of the bench's private server
 * (scripts/pg-cluster.ts): `tsp_trust` (pg_hba trust) and `tsp_scram`
 * (password stored as SCRAM, pg_hba scram-sha-256), over TCP to 127.0.0.1.
 * TLS is required without verifying the certificate for every driver (ours
 * `sslmode=require`, pg and postgres.js `ssl: { rejectUnauthorized: false }`);
 * plain runs disable TLS (ours `sslmode=disable`, its default `prefer` would
 * negotiate TLS). SCRAM over TLS is each driver's default: ours may use
 * channel binding (SCRAM-SHA-256-PLUS), pg does not unless asked
 * (`enableChannelBinding`), postgres.js does not. The headline is the median
 * (p50) in ms, lower is better; p50/p99 columns in µs.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import postgres from 'postgres';
import type { Cluster, ClusterUserName } from '../../scripts/pg-cluster';
import { Connection } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';
import { Samples, summarize } from '../lib/stats';

const WARMUP_ATTEMPTS = 3;

/** One W12c variant. */
interface Variant {
  readonly id: string;
  readonly user: ClusterUserName;
  readonly tls: boolean;
  readonly title: string;
}

const VARIANTS: readonly Variant[] = [
  { id: 'W12c-trust', user: 'trust', tls: false, title: 'trust, no TLS' },
  { id: 'W12c-scram', user: 'scram', tls: false, title: 'scram-sha-256, no TLS' },
  { id: 'W12c-trust-tls', user: 'trust', tls: true, title: 'trust, TLS' },
  { id: 'W12c-scram-tls', user: 'scram', tls: true, title: 'scram-sha-256, TLS' },
];

/** A connection that has answered its first query. */
interface Opened {
  /** Whether the server sees this connection as TLS (pg_stat_ssl), asked after the timing. */
  usesTls(): Promise<boolean>;
  /** The server backend's PID, asked after the timing. */
  pid(): Promise<number>;
  close(): Promise<void>;
}

/** Connects and runs SELECT 1. */
type Attempt = (url: string, tls: boolean) => Promise<Opened>;

const SSL_SQL = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
const PID_SQL = 'SELECT pg_backend_pid() AS pid';

const attempts: Record<DriverName, Attempt> = {
  tspostgres: async (url, tls) => {
    const conn = new Connection();
    await conn.connect(`${url}?sslmode=${tls ? 'require' : 'disable'}`);
    await conn.runQuery('SELECT 1');
    return {
      usesTls: async () => ((await conn.runQuery(SSL_SQL)) as Array<{ ssl: boolean }>)[0].ssl,
      pid: async () => Number(((await conn.runQuery(PID_SQL)) as Array<{ pid: number }>)[0].pid),
      close: async () => conn.close(),
    };
  },
  pg: async (url, tls) => {
    const client = new Client({ connectionString: url, ssl: tls ? { rejectUnauthorized: false } : false });
    await client.connect();
    await client.query('SELECT 1');
    return {
      usesTls: async () => (await client.query(SSL_SQL)).rows[0].ssl as boolean,
      pid: async () => Number((await client.query(PID_SQL)).rows[0].pid),
      close: () => client.end(),
    };
  },
  'postgres.js': async (url, tls) => {
    const sql = postgres(url, { max: 1, ssl: tls ? { rejectUnauthorized: false } : false, onnotice: () => undefined });
    await sql`SELECT 1`;
    return {
      usesTls: async () => (await sql.unsafe(SSL_SQL))[0].ssl as boolean,
      pid: async () => Number((await sql.unsafe(PID_SQL))[0].pid),
      close: () => sql.end({ timeout: 1 }),
    };
  },
};

/** Resolves once the server process `pid` has exited (polled every ms, at most 2 s); at once where /proc cannot tell. */
async function backendGone(pid: number | undefined): Promise<void> {
  if (pid === undefined || !fs.existsSync('/proc/self')) return;
  const deadline = performance.now() + 2000;
  while (fs.existsSync(`/proc/${pid}`) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}

/** Runs `count` timed attempts (after the warm-up) of one variant for one driver. */
async function runConnect(v: Variant, driver: DriverName, cluster: Cluster, count: number): Promise<Measurement> {
  const url = cluster.url(v.user);
  const samples = new Samples();
  for (let i = 0; i < WARMUP_ATTEMPTS + count; i++) {
    const t0 = performance.now();
    const opened = await attempts[driver](url, v.tls);
    const ms = performance.now() - t0;
    let pid: number | undefined;
    try {
      if (i === 0 && (await opened.usesTls()) !== v.tls) throw new Error(`the server sees TLS ${v.tls ? 'off' : 'on'}, expected ${v.tls ? 'on' : 'off'}`);
      pid = await opened.pid();
    } finally {
      await opened.close();
    }
    await backendGone(pid);
    if (i >= WARMUP_ATTEMPTS) samples.push(ms);
  }
  const s = summarize(samples);
  return {
    workload: v.id, driver, unit: 'ms', value: s.p50Us / 1000, lowerIsBetter: true, p50Us: s.p50Us, p99Us: s.p99Us,
    note: `median of ${count} connects, max ${(s.maxUs / 1000).toFixed(1)} ms`,
  };
}

/** The W12c workloads; they need the private server (its scram role and TLS), so BENCH_URL skips them. */
export function connectWorkloads(cluster: Cluster | null, count: number): { workloads: Workload[]; skipped: string[] } {
  if (cluster === null) return { workloads: [], skipped: ['W12c skipped: it needs the private server (its scram-sha-256 role and TLS), not BENCH_URL'] };
  return {
    workloads: VARIANTS.map((v) => ({
      id: v.id, title: `connect + first query (SELECT 1): ${v.title}, median of ${count}`, repeatable: true,
      run: (d) => runConnect(v, d, cluster, count),
    })),
    skipped: [],
  };
}
