/**
 * examples/cdc.ts and examples/cdc-exactly-once.ts as real programs against
 * the real server: changes written as JSON lines and acknowledged (the
 * slot's confirmed_flush_lsn reaches the last written commit, and never
 * the commit of a change not written: a second run gets it), the exactly-once demo's mirror, and cdc.ts surviving a server
 * restart on a PRIVATE cluster (never the shared server) with every change
 * written once, in commit order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { parseLsn } from '../../src/index';
import type { ChangeLine } from '../../examples/cdc';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';

const ROOT = path.join(__dirname, '..', '..');

/** A running example: its output so far, and its exit. */
interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number>;
}

function start(file: string, env: Record<string, string>): Run {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.PGCA_FILE;
  const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', path.join('examples', file)], { cwd: ROOT, env: childEnv });
  const run: Run = {
    child, stdout: '', stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))),
  };
  child.stdout!.on('data', (b: Buffer) => void (run.stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => void (run.stderr += b.toString()));
  return run;
}

/** The JSON lines written so far. */
function lines(run: Run): ChangeLine[] {
  return run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ChangeLine);
}

async function query<R>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as R[];
  } finally {
    await c.end();
  }
}

/** Drops the slot once its walsender is gone (a give-up deadline, not a timing assertion). */
async function dropSlot(url: string, slot: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const left = await query<{ active: boolean }>(url, 'SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (left.length === 0) return;
    if (!left[0].active) {
      await query(url, 'SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    } else {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const SLOT = `tsp_cdc_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('examples/cdc.ts and cdc-exactly-once.ts', () => {
  let db: TestDatabase;
  let run: Run | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('cdc_example');
    await query(db.url(), 'CREATE TABLE items (id int PRIMARY KEY, name text, price numeric, tags text[])');
  });
  afterAll(async () => {
    run?.child.kill('SIGKILL');
    await dropSlot(db.url(), SLOT);
    await db?.drop();
  }, 60_000);

  it('writes each change as a JSON line, acknowledges only what it wrote, and exits after CDC_MAX', async () => {
    run = start('cdc.ts', { DATABASE_URL: db.url(), CDC_SLOT: SLOT, CDC_TABLE: 'items', CDC_MAX: '4' });
    await until(() => run!.stderr.includes('"state":"streaming"') || run!.child.exitCode !== null, 90_000, 'the stream to start');
    expect(run.stderr).toContain('"event":"slot-created"');
    await query(db.url(), `INSERT INTO items VALUES (1, 'apple', 1.20, '{red,sweet}'), (2, 'lemon', 0.80, '{sour}')`);
    await query(db.url(), `UPDATE items SET price = 1.35 WHERE id = 1`);
    await query(db.url(), `DELETE FROM items WHERE id = 2`);
    await query(db.url(), `INSERT INTO items VALUES (3, 'never written', 0, '{}')`); // beyond CDC_MAX: not written, not acknowledged
    expect(await run.exit).toBe(0);
    const got = lines(run);
    expect(got.map((l) => [l.op, l.table])).toEqual([
      ['insert', 'public.items'], ['insert', 'public.items'], ['update', 'public.items'], ['delete', 'public.items'],
    ]);
    expect(got[0].new).toEqual({ id: 1, name: 'apple', price: '1.20', tags: ['red', 'sweet'] });
    expect(got[2].new).toEqual({ id: 1, name: 'apple', price: '1.35', tags: ['red', 'sweet'] });
    expect(got[3].old).toEqual({ id: 2 });
    expect(got[0].xid).toBe(got[1].xid); // one transaction
    const [slot] = await query<{ lsn: string }>(db.url(), 'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [SLOT]);
    const lastWritten = parseLsn(got[3].commitLsn!);
    expect(parseLsn(slot.lsn)).toBeGreaterThanOrEqual(lastWritten);

    // the change beyond CDC_MAX was not acknowledged: a second run starts with it
    run = start('cdc.ts', { DATABASE_URL: db.url(), CDC_SLOT: SLOT, CDC_MAX: '1' });
    expect(await run.exit).toBe(0);
    expect(lines(run).map((l) => [l.op, l.new?.id])).toEqual([['insert', 3]]);
  }, 240_000);

  it('cdc-exactly-once.ts skips the transaction it applied but did not acknowledge, and the mirror equals the source', async () => {
    run = start('cdc-exactly-once.ts', { DATABASE_URL: db.url() });
    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(/session 1 applied 3, then stopped before acknowledging the last/);
    expect(run.stdout).toMatch(/skipped \(already applied\) commit/);
    expect(run.stdout).toMatch(/session 2 skipped 1 already applied, applied 1/);
    expect(run.stdout).toMatch(/mirror equals source: true \[\{"id":1,"v":"one"\},\{"id":2,"v":"TWO"\},\{"id":3,"v":"three"\}\]/);
    const left = await query(db.url(), `SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'cdc_eo_%' AND database = current_database()`);
    expect(left).toEqual([]);
  }, 240_000);
});

describe('examples/cdc.ts across a server restart (private cluster)', () => {
  let cluster: Cluster;
  let run: Run | undefined;
  const slot = 'cdc_restart';

  beforeAll(async () => {
    cluster = await startCluster({ readyTimeoutMs: 120_000 });
    await query(cluster.url(), 'CREATE TABLE ticks (id int PRIMARY KEY)');
  }, 180_000);
  afterAll(async () => {
    run?.child.kill('SIGKILL');
    await cluster?.destroy();
  }, 60_000);

  it('resumes by itself after the server restarts: every committed change written once, in commit order', async () => {
    const url = `${cluster.url()}?sslmode=disable`;
    run = start('cdc.ts', { DATABASE_URL: url, CDC_SLOT: slot, CDC_TABLE: 'ticks', CDC_MAX: '200' });
    await until(() => run!.stderr.includes('"state":"streaming"') || run!.child.exitCode !== null, 90_000, 'the stream to start');
    for (let i = 1; i <= 100; i += 10) await query(url, 'INSERT INTO ticks SELECT generate_series($1::int, $1::int + 9)', [i]);
    await until(() => lines(run!).length >= 50, 60_000, 'some changes before the restart');
    await cluster.stop('fast');
    await until(() => run!.stderr.includes('"state":"reconnecting"'), 60_000, 'the stream to notice the outage');
    await cluster.start();
    for (let i = 101; i <= 200; i += 10) await query(url, 'INSERT INTO ticks SELECT generate_series($1::int, $1::int + 9)', [i]);
    expect(await run.exit).toBe(0);
    expect(run.stderr).toContain('"event":"gap"');
    const ids = lines(run).map((l) => l.new!.id as number);
    expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  }, 300_000);
});
