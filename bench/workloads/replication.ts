/**
 * W12: logical replication throughput. One INSERT of 1,000,000 rows into a
 * published table; each client consumes the changes through the `pgoutput`
 * plugin; reported: changes per second from the INSERT's commit to the last
 * change consumed, and the peak RSS growth of this process meanwhile.
 *
 * Theory of operation. Each run starts from a fresh table and publication
 * (`w12`, `w12_pub`). The client starts streaming first (postgres.js
 * creates its temporary slot when it subscribes, so changes must come
 * after), then the rows are inserted in one statement; the walsender
 * decodes the transaction once it commits, so the clock starts at the
 * commit and stops when the last insert was consumed: decoding, sending,
 * parsing and handing out, the same server work for every client.
 *
 * The clients, each as its documentation recommends for a consumer that
 * must not run out of memory:
 * - tspostgres: `ReplicationConnection.startReplication` on a slot made for
 *   the run, its `changes$`; every change acknowledged (`ack()`) after it
 *   was counted (unacknowledged messages pace the stream);
 * - `pg` column: `pg-logical-replication` (on node-postgres) with its
 *   `PgoutputPlugin`, automatic acknowledgement and `flowControl` (its
 *   backpressure) on;
 * - postgres.js: `sql.subscribe('insert:w12', fn)` (its own temporary slot;
 *   no acknowledgement control, no backpressure).
 */
import { Client } from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import postgres from 'postgres';
import { ReplicationConnection } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';
import { withPeakRss } from '../lib/rss';

const TABLE = 'w12';
const PUBLICATION = 'w12_pub';
/** Give up on a run after this long without its last change (a broken client, not a slow one). */
const GIVE_UP_MS = 600_000;

async function sql(url: string, text: string, params: unknown[] = []): Promise<unknown[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as unknown[];
  } finally {
    await c.end();
  }
}

/** A fresh table and publication. */
async function prepare(url: string): Promise<void> {
  await sql(url, `DROP PUBLICATION IF EXISTS ${PUBLICATION}`);
  await sql(url, `DROP TABLE IF EXISTS ${TABLE}`);
  await sql(url, `CREATE TABLE ${TABLE} (id int PRIMARY KEY, v text)`);
  await sql(url, `CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${TABLE}`);
}

/** Inserts the rows in one transaction; resolves at its commit. */
async function insertRows(url: string, rows: number): Promise<void> {
  await sql(url, `INSERT INTO ${TABLE} SELECT i, 'row number ' || i FROM generate_series(1, $1::int) AS i`, [rows]);
}

/** Drops a slot once no walsender holds it. */
async function dropSlot(url: string, slot: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = (await sql(url, 'SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot])) as Array<{ active: boolean }>;
    if (rows.length === 0) return;
    if (!rows[0].active) {
      await sql(url, 'SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    } else {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A consumer under test: `start` resolves once it streams; `done` when it counted `rows` inserts. */
interface Consumer {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** A promise with its resolvers, and a give-up timer. */
function counter(rows: number): { count(): void; done: Promise<void>; fail(e: unknown): void; seen(): number } {
  let n = 0;
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`gave up after ${GIVE_UP_MS} ms with ${n} of ${rows} changes`)), GIVE_UP_MS);
  void done.finally(() => clearTimeout(timer)).catch(() => undefined);
  return {
    count: () => {
      if (++n === rows) resolve();
    },
    done, fail: (e) => reject(e), seen: () => n,
  };
}

async function startOurs(url: string, slot: string, rows: number): Promise<Consumer> {
  await sql(url, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const repl = new ReplicationConnection();
  await repl.connect(url);
  const stream = repl.startReplication({ slot, plugin: 'pgoutput', options: { proto_version: 1, publication_names: PUBLICATION } });
  const c = counter(rows);
  const sub = stream.changes$.subscribe({
    next: (change) => {
      if (change.tag === 'insert') c.count();
      change.ack();
    },
    error: c.fail,
  });
  await waitFor(() => stream.state === 'streaming', () => stream.state === 'failed', 'the stream to start');
  return {
    done: c.done,
    stop: async () => {
      sub.unsubscribe();
      await stream.stop();
      repl.close();
      await dropSlot(url, slot);
    },
  };
}

async function startPgLogical(url: string, slot: string, rows: number): Promise<Consumer> {
  await sql(url, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const service = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: true, timeoutSeconds: 10 }, flowControl: { enabled: true } });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [PUBLICATION] });
  const c = counter(rows);
  let started = false;
  service.on('start', () => void (started = true));
  service.on('data', (_lsn: string, log: { tag?: string }) => {
    if (log.tag === 'insert') c.count();
  });
  service.on('error', c.fail);
  service.subscribe(plugin, slot).catch(c.fail);
  await waitFor(() => started, () => false, 'pg-logical-replication to start');
  return {
    done: c.done,
    stop: async () => {
      await service.destroy();
      await dropSlot(url, slot);
    },
  };
}

async function startPostgresJs(url: string, _slot: string, rows: number): Promise<Consumer> {
  const db = postgres(url, { publications: PUBLICATION, max: 1, onnotice: () => undefined });
  const c = counter(rows);
  const { unsubscribe } = await db.subscribe(`insert:${TABLE}`, () => c.count(), () => undefined, () => c.fail(new Error('postgres.js subscribe failed')));
  return {
    done: c.done,
    stop: async () => {
      unsubscribe();
      await db.end({ timeout: 1 });
    },
  };
}

async function waitFor(ok: () => boolean, bad: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!ok()) {
    if (bad() || Date.now() > deadline) throw new Error(`${what}: did not happen`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const starters: Record<DriverName, (url: string, slot: string, rows: number) => Promise<Consumer>> = {
  tspostgres: startOurs, pg: startPgLogical, 'postgres.js': startPostgresJs,
};

/** The client each column stands for. */
const CLIENT: Record<DriverName, string> = {
  tspostgres: 'changes$', pg: 'pg-logical-replication', 'postgres.js': 'sql.subscribe',
};

/** Runs W12 for one driver. */
export async function runReplication(driver: DriverName, url: string, rows: number): Promise<Measurement> {
  await prepare(url);
  const slot = `w12_${driver.replace(/\W/g, '')}_${process.pid}`;
  global.gc?.();
  let seconds = 0;
  const { peakMiB } = await withPeakRss(async () => {
    const consumer = await starters[driver](url, slot, rows);
    try {
      await insertRows(url, rows);
      const t0 = process.hrtime.bigint();
      await consumer.done;
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    } finally {
      await consumer.stop();
    }
  });
  return {
    workload: 'W12', driver, unit: 'changes/s', value: rows / seconds,
    note: `${CLIENT[driver]}; peak RSS growth ${peakMiB.toFixed(1)} MiB, ${seconds.toFixed(2)} s after the commit`,
    metrics: { peakRssMiB: Math.round(peakMiB * 10) / 10, seconds },
  };
}

/** W12 bound to a server (needs wal_level=logical and a user with REPLICATION). */
export function replicationWorkload(url: string, rows: number): Workload {
  return {
    id: 'W12',
    title: `logical replication: ${rows.toLocaleString('en-US')}-row insert consumed through pgoutput (ours changes$, pg = pg-logical-replication, postgres.js sql.subscribe)`,
    repeatable: false,
    run: (d) => runReplication(d, url, rows),
  };
}
