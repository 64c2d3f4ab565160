/**
 * W6: COPY FROM STDIN of 100,000 rows and COPY TO STDOUT of 1,000,000 rows,
 * with rows/s and the peak RSS growth while copying.
 *
 * Theory of operation. COPY FROM: the same text-format data (rows of int4,
 * text, float8), made once before any driver runs as chunks of 1,000 rows
 * (about 30 KB each), is fed to each driver's COPY entry: ours
 * `conn.copyFrom(sql, chunks)` (an iterable pulled as the socket drains),
 * pg `pg-copy-streams`' `from()` written through `stream.pipeline`,
 * postgres.js `` sql`COPY ...`.writable() `` through the same pipeline. The
 * table is emptied before each run (not timed) and counted after it.
 * COPY TO: `COPY (SELECT i, 'row number ' || i FROM generate_series(1, n))
 * TO STDOUT`, read by ours `copyToCallback` with `{ batch: true }` (one
 * call per batch of CopyData payloads, as pg-copy-streams pushes one chunk
 * per socket read), pg `pg-copy-streams`' `to()` and postgres.js
 * `.readable()` (one chunk per CopyData), both with `for await`; every
 * driver counts rows by counting newline bytes in what it receives, so the
 * consumer's work is the same. A COPY FROM of 100,000 rows takes about 60 ms,
 * too short for one timing to tell drivers apart on a shared machine, so a
 * W6-in run copies the rows `copies` times (BENCH_COPY_IN_COPIES, default
 * 5; the table emptied before each, untimed) and reports rows/s over the
 * summed copy time. The time is from
 * connecting (already done, not timed) to the COPY's end; peak RSS growth is
 * sampled every 50 ms (lib/rss.ts).
 *
 * Both directions have the raw Node floor (lib/raw-node.ts): COPY FROM
 * writes the same chunks as CopyData messages on a bare socket, COPY TO
 * counts CopyData messages (one per row) without looking into them; what
 * the server and a bare Node socket can move, with no driver in between.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type Submittable } from 'pg';
import postgres from 'postgres';
import { Connection, copyToCallback } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import { COPY_DONE, copyData, query, RawConnection } from '../lib/raw-node';
import type { Measurement, Workload } from '../lib/result';
import { withPeakRss } from '../lib/rss';

/** pg-copy-streams ships no types (and its @types package is no dependency): the two functions used here. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgCopy = require('pg-copy-streams') as { from(sql: string): Writable & Submittable; to(sql: string): Readable & Submittable };

const TABLE = 'bench_copy';
const COPY_IN_SQL = `COPY ${TABLE} (a, b, c) FROM STDIN`;
const ROWS_PER_CHUNK = 1000;

/** The COPY TO statement for `rows` rows. */
export function copyOutSql(rows: number): string {
  return `COPY (SELECT i, 'row number ' || i FROM generate_series(1, ${rows}) AS i) TO STDOUT`;
}

/** `rows` text-format rows (i, 'row number i', i × 1.5) in chunks of 1,000 rows. */
export function copyInChunks(rows: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 1; start <= rows; start += ROWS_PER_CHUNK) {
    let text = '';
    for (let i = start; i < start + ROWS_PER_CHUNK && i <= rows; i++) text += `${i}\trow number ${i}\t${i * 1.5}\n`;
    chunks.push(Buffer.from(text));
  }
  return chunks;
}

/** Newline bytes in `chunk`: the rows of text-format COPY data. */
export function countRows(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** Runs `fn` with a pg admin client (setup and checks, never timed). */
async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A driver's two COPY directions over one open connection; each resolves with the rows it moved. */
interface Copier {
  copyIn(chunks: readonly Buffer[]): Promise<number>;
  copyOut(sql: string): Promise<number>;
  close(): Promise<void>;
}

/** Ours: `conn.copyFrom` with the chunks, `copyToCallback` (batched, like pg-copy-streams) counting newlines. */
async function copierOurs(url: string): Promise<Copier> {
  const conn = new Connection();
  await conn.connect(url);
  return {
    copyIn: async (chunks) => {
      await conn.copyFrom(COPY_IN_SQL, chunks);
      return chunks.reduce((n, c) => n + countRows(c), 0);
    },
    copyOut: async (sql) => {
      let n = 0;
      await copyToCallback(conn, sql, (chunk) => void (n += countRows(chunk)), { batch: true });
      return n;
    },
    close: async () => conn.close(),
  };
}

/** pg: pg-copy-streams. */
async function copierPg(url: string): Promise<Copier> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    copyIn: async (chunks) => {
      await pipeline(Readable.from(chunks), client.query(pgCopy.from(COPY_IN_SQL)));
      return chunks.reduce((n, c) => n + countRows(c), 0);
    },
    copyOut: async (sql) => {
      let n = 0;
      for await (const chunk of client.query(pgCopy.to(sql))) n += countRows(chunk as Buffer);
      return n;
    },
    close: () => client.end(),
  };
}

/** postgres.js: `.writable()` and `.readable()` of an unsafe COPY query, `max: 1`. */
async function copierPostgresJs(url: string): Promise<Copier> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  await sql`SELECT 1`;
  return {
    copyIn: async (chunks) => {
      await pipeline(Readable.from(chunks), await sql.unsafe(COPY_IN_SQL).writable());
      return chunks.reduce((n, c) => n + countRows(c), 0);
    },
    copyOut: async (text) => {
      let n = 0;
      for await (const chunk of await sql.unsafe(text).readable()) n += countRows(chunk as Buffer);
      return n;
    },
    close: () => sql.end({ timeout: 1 }),
  };
}

/** The raw Node floor: CopyData written on a bare socket; COPY TO's CopyData messages counted, not read. */
async function copierRaw(url: string): Promise<Copier> {
  const raw = await RawConnection.open(url);
  return {
    copyIn: async (chunks) => {
      await raw.request(query(COPY_IN_SQL), 'G');
      for (const c of chunks) raw.write(copyData(c));
      await raw.request(COPY_DONE);
      return chunks.reduce((n, c) => n + countRows(c), 0);
    },
    copyOut: async (sql) => (await raw.request(query(sql))).copyData,
    close: () => raw.close(),
  };
}

/** A driver or the raw Node floor. */
type Entrant = DriverName | 'raw-node';
const copiers: Record<Entrant, (url: string) => Promise<Copier>> = { tspostgres: copierOurs, pg: copierPg, 'postgres.js': copierPostgresJs, 'raw-node': copierRaw };

/** Times `fn` on an open copier `times` times (`before` runs untimed ahead of each), with peak RSS; checks each row count. */
async function timed(id: string, driver: Entrant, url: string, rows: number, fn: (c: Copier) => Promise<number>, times = 1, before = async (): Promise<void> => undefined): Promise<Measurement> {
  const copier = await copiers[driver](url);
  try {
    let ns = 0n;
    let peak = 0;
    for (let i = 0; i < times; i++) {
      await before();
      const t0 = process.hrtime.bigint();
      const { value: n, peakMiB } = await withPeakRss(() => fn(copier));
      ns += process.hrtime.bigint() - t0;
      peak = Math.max(peak, peakMiB);
      if (n !== rows) throw new Error(`copied ${n} rows, expected ${rows}`);
    }
    const seconds = Number(ns) / 1e9;
    const copies = times > 1 ? `${times} copies in ` : '';
    return {
      workload: id, driver, unit: 'rows/s', value: (rows * times) / seconds,
      note: `peak RSS growth ${peak.toFixed(1)} MiB, ${copies}${seconds.toFixed(2)} s`, metrics: { peakRssMiB: Math.round(peak * 10) / 10, seconds },
    };
  } finally {
    await copier.close();
  }
}

/** W6-in for one driver: `copies` times, empty the table (untimed) and copy the chunks in; checks the table's count after each. */
async function runCopyIn(driver: Entrant, url: string, rows: number, chunks: readonly Buffer[], copies: number): Promise<Measurement> {
  await withAdmin(url, (c) => c.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (a int4, b text, c float8)`));
  let copying = false; // a copy has run since the last check
  const check = async (): Promise<void> => {
    if (!copying) return;
    const stored = await withAdmin(url, async (c) => Number((await c.query(`SELECT count(*)::int AS n FROM ${TABLE}`)).rows[0].n));
    if (stored !== rows) throw new Error(`${stored} rows in the table after COPY FROM, expected ${rows}`);
  };
  const empty = async (): Promise<void> => {
    await check();
    await withAdmin(url, (c) => c.query(`TRUNCATE ${TABLE}`));
    copying = true;
  };
  const m = await timed('W6-in', driver, url, rows, (c) => c.copyIn(chunks), copies, empty);
  await check();
  return m;
}

/** The W6 workloads bound to a server: COPY FROM of `inRows` rows (`copies` times per run), COPY TO of `outRows`. */
export function copyWorkloads(url: string, inRows: number, outRows: number, copies = 5): Workload[] {
  let chunks: Buffer[] | null = null;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return [
    {
      id: 'W6-in', title: `COPY FROM STDIN of ${fmt(inRows)} rows (int4, text, float8), ${copies} copies per run`, repeatable: true,
      run: (d) => runCopyIn(d, url, inRows, (chunks ??= copyInChunks(inRows)), copies),
      floors: [{ name: 'raw-node', run: () => runCopyIn('raw-node', url, inRows, (chunks ??= copyInChunks(inRows)), copies) }],
    },
    {
      id: 'W6-out', title: `COPY TO STDOUT of ${fmt(outRows)} rows (int4, text)`, repeatable: true,
      run: (d) => timed('W6-out', d, url, outRows, (c) => c.copyOut(copyOutSql(outRows))),
      floors: [{ name: 'raw-node', run: () => timed('W6-out', 'raw-node', url, outRows, (c) => c.copyOut(copyOutSql(outRows))) }],
    },
  ];
}
