/**
 * W7: 1,000,000 rows of generate_series streamed in batches of 1,000, with
 * the rows/s and the peak RSS growth while streaming.
 *
 * pg uses pg-query-stream (a portal fetched 1,000 rows at a time),
 * postgres.js `.cursor(1000)`, ours `query$(sql, params, { batchSize })`
 * (an Observable over a portal) when src/rx provides it; otherwise our line
 * says "not available".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import QueryStream from 'pg-query-stream';
import postgres from 'postgres';
import { Connection } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';
import { withPeakRss } from '../lib/rss';

const BATCH = 1000;

/** The streamed query for `rows` rows. */
export function streamSql(rows: number): string {
  return `SELECT i, 'row number ' || i AS t FROM generate_series(1, ${rows}) AS i`;
}

/** Something with `subscribe`, as an rxjs Observable. */
interface Subscribable {
  subscribe(o: { next(v: unknown): void; error(e: unknown): void; complete(): void }): unknown;
}
type QueryStreamFn = (conn: Connection, sql: string, params: unknown[], opts: { batchSize: number }) => Subscribable;

/** Our streaming entry: a `query$` method on Connection or a `query$` function in src/rx, or null. */
export function findOurStream(): QueryStreamFn | null {
  const proto = Connection.prototype as unknown as Record<string, unknown>;
  if (typeof proto.query$ === 'function') {
    return (conn, sql, params, opts) => (conn as unknown as { query$: (...a: unknown[]) => Subscribable }).query$(sql, params, opts);
  }
  if (!fs.existsSync(path.join(__dirname, '../../src/rx/index.ts'))) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rx = require('../../src/rx/index') as Record<string, unknown>;
  const fn = rx.query$;
  return typeof fn === 'function' ? (fn as QueryStreamFn) : null;
}

/** Streams with ours; resolves with the row count. */
async function streamOurs(url: string, sql: string): Promise<number> {
  const query$ = findOurStream();
  if (!query$) throw new Error('not available: no query$ in src/rx or on Connection yet');
  const conn = new Connection();
  await conn.connect(url);
  try {
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      query$(conn, sql, [], { batchSize: BATCH }).subscribe({ next: () => void n++, error: reject, complete: resolve });
    });
    return n;
  } finally {
    conn.close();
  }
}

/** Streams with pg-query-stream; resolves with the row count. */
async function streamPg(url: string, sql: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    let n = 0;
    for await (const _row of client.query(new QueryStream(sql, [], { batchSize: BATCH }))) n++;
    return n;
  } finally {
    await client.end();
  }
}

/** Streams with postgres.js `.cursor(1000)`; resolves with the row count. */
async function streamPostgresJs(url: string, sql: string): Promise<number> {
  const db = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    let n = 0;
    for await (const rows of db.unsafe(sql).cursor(BATCH)) n += rows.length;
    return n;
  } finally {
    await db.end({ timeout: 1 });
  }
}

const streamers: Record<DriverName, (url: string, sql: string) => Promise<number>> = {
  tspostgres: streamOurs, pg: streamPg, 'postgres.js': streamPostgresJs,
};

/** Runs W7 for one driver. */
export async function runStream(driver: DriverName, url: string, rows: number): Promise<Measurement> {
  const t0 = process.hrtime.bigint();
  const { value: n, peakMiB } = await withPeakRss(() => streamers[driver](url, streamSql(rows)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (n !== rows) throw new Error(`streamed ${n} rows, expected ${rows}`);
  return { workload: 'W7', driver, unit: 'rows/s', value: n / seconds, note: `peak RSS growth ${peakMiB.toFixed(1)} MiB, ${seconds.toFixed(2)} s`,
    metrics: { peakRssMiB: Math.round(peakMiB * 10) / 10, seconds } };
}

/** W7 bound to a server. */
export function streamWorkload(url: string, rows: number): Workload {
  return { id: 'W7', title: `${rows.toLocaleString('en-US')} rows streamed, batch ${BATCH}`, repeatable: true, run: (d) => runStream(d, url, rows) };
}
