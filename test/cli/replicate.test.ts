/**
 * `tspostgres replicate` against the real server: a publication's changes
 * as JSON lines, acknowledged once written (the slot's confirmed_flush_lsn
 * reaches the last printed commit after the signal), a temporary slot gone
 * after exit, state events on stderr, usage errors (exit 2), a missing
 * slot (exit 1) without the password in the message, and the write
 * callback awaited before acknowledging.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { main } from '../../cli/main';
import { writeLine, type ChangeLine } from '../../cli/replicate';
import { parseLsn } from '../../src/index';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';
import { fakeIo, type FakeIo } from './fake-io';

const PREFIX = `tsp_cli_repl_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

function events(io: FakeIo): Record<string, unknown>[] {
  return io.err().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function lines(io: FakeIo): ChangeLine[] {
  return io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChangeLine);
}

describe('tspostgres replicate: arguments', () => {
  it('prints help with --help and exits 0', async () => {
    const io = fakeIo();
    expect(await main(['replicate', '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: tspostgres replicate --slot SLOT --publication PUB/);
    expect(io.out()).toMatch(/Exit codes: 0 stopped by SIGINT\/SIGTERM, 1 /);
  });

  it.each([
    [[], /--slot is required/],
    [['--slot', 's'], /--publication is required/],
    [['--slot', 's', '--publication', 'p', '--temporary'], /--temporary needs --create-slot/],
    [['--slot', 's', '--publication', 'p', '--start-lsn', 'nope'], /--start-lsn: expected a position/],
    [['--slot', 's', '--publication', 'p', 'extra'], /takes no arguments/],
    [['--slot'], /--slot: missing or unexpected value/],
  ])('exits 2 on %j', async (args, message) => {
    const io = fakeIo();
    expect(await main(['replicate', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('awaits the write callback of a stream-like stdout before it counts a line as written', async () => {
    const pending: Array<() => void> = [];
    const sink = {
      write: (_t: string, cb?: () => void): boolean => {
        pending.push(cb!);
        return true;
      },
    };
    let written = false;
    const w = writeLine(sink, 'x\n').then(() => void (written = true));
    await new Promise((r) => setImmediate(r));
    expect(written).toBe(false);
    pending[0]();
    await w;
    expect(written).toBe(true);
  });
});

describeServer('tspostgres replicate', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('cli_replicate');
    await adminQuery('CREATE TABLE items (id int PRIMARY KEY, name text, price numeric, big int8, data bytea)', [], db.url());
    await adminQuery('CREATE PUBLICATION items_pub FOR TABLE items', [], db.url());
  });
  const running: FakeIo[] = [];
  afterAll(async () => {
    for (const io of running) io.abort();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const left = await adminQuery(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%'`);
      if (left.length === 0) break;
      await adminQuery(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%' AND active`); // a failed test's
      await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%' AND NOT active`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await db?.drop();
  }, 60_000);

  const confirmed = async (slot: string): Promise<bigint> => {
    const [row] = await adminQuery<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    return parseLsn(row.lsn);
  };

  it('prints inserts, updates and deletes as JSON lines, acknowledges them, and exits 0 on the signal', async () => {
    const slot = `${PREFIX}_a`;
    const io = fakeIo();
    running.push(io);
    const exit = main(['replicate', '--dsn', db.url(), '--slot', slot, '--publication', 'items_pub', '--create-slot'], io);
    await until(() => events(io).some((e) => e.state === 'streaming'), 60_000, 'the stream to start');
    expect(events(io)[0]).toEqual({ event: 'slot-created', slot, consistentPoint: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/), temporary: false });
    await adminQuery(`INSERT INTO items VALUES (1, 'apple', 1.20, 9007199254740993, '\\x0102')`, [], db.url());
    await adminQuery(`UPDATE items SET price = 1.35 WHERE id = 1`, [], db.url());
    await adminQuery(`DELETE FROM items WHERE id = 1`, [], db.url());
    await until(() => lines(io).length === 3, 30_000, 'three changes');
    const [ins, upd, del] = lines(io);
    expect(ins).toEqual({
      lsn: expect.any(String), xid: expect.any(Number), commitLsn: expect.any(String), op: 'insert', table: 'public.items',
      new: { id: 1, name: 'apple', price: '1.20', big: '9007199254740993', data: '\\x0102' },
    });
    expect(upd).toMatchObject({ op: 'update', old: null, new: { id: 1, price: '1.35' } });
    expect(del).toMatchObject({ op: 'delete', old: { id: 1 } }); // REPLICA IDENTITY DEFAULT: the key only
    io.abort();
    expect(await exit).toBe(0);
    expect(events(io).map((e) => e.state).filter(Boolean)).toEqual(['starting', 'streaming', 'stopping', 'stopped']);
    // acknowledged after writing, and reported by the last status update at the stop
    expect(await confirmed(slot)).toBeGreaterThanOrEqual(parseLsn(del.commitLsn!));

    // started again with --create-slot: the slot exists and is used, from where it was acknowledged
    const again = fakeIo();
    running.push(again);
    const exit2 = main(['replicate', '--dsn', db.url(), '--slot', slot, '--publication', 'items_pub', '--create-slot'], again);
    await until(() => events(again).some((e) => e.state === 'streaming'), 60_000, 'the stream to start again');
    expect(events(again)[0]).toEqual({ event: 'slot-exists', slot });
    await adminQuery(`INSERT INTO items VALUES (2, 'pear', 2, 0, NULL)`, [], db.url());
    await until(() => lines(again).length === 1, 30_000, 'the next change');
    expect(lines(again)[0]).toMatchObject({ op: 'insert', new: { id: 2, name: 'pear' } });
    again.abort();
    expect(await exit2).toBe(0);
  }, 180_000);

  it('as a process: real stdout (write callbacks), SIGTERM stops it with exit 0 and what it printed is confirmed', async () => {
    const slot = `${PREFIX}_proc`;
    const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', 'cli/bin.ts', 'replicate', '--slot', slot, '--publication', 'items_pub', '--create-slot'], {
      cwd: path.resolve(__dirname, '../..'), env: { PATH: process.env.PATH, DATABASE_URL: db.url() },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => void (err += b.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => err.includes('"state":"streaming"') || child.exitCode !== null, 150_000, 'the stream to start');
      await adminQuery(`INSERT INTO items VALUES (10, 'fig', 3, 1, NULL), (11, 'kiwi', 4, 2, NULL)`, [], db.url());
      await until(() => out.split('\n').filter(Boolean).length === 2, 30_000, 'two lines');
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const printed = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChangeLine);
    expect(printed.map((l) => (l.new as { id: number }).id)).toEqual([10, 11]);
    expect(err).toContain('"state":"stopped"');
    expect(await confirmed(slot)).toBeGreaterThanOrEqual(parseLsn(printed[1].commitLsn!));
  }, 240_000);

  it('drops a --temporary slot with the session', async () => {
    const slot = `${PREFIX}_tmp`;
    const io = fakeIo();
    running.push(io);
    const exit = main(['replicate', '--dsn', db.url(), '--slot', slot, '--publication', 'items_pub', '--create-slot', '--temporary'], io);
    await until(() => events(io).some((e) => e.state === 'streaming'), 60_000, 'the stream to start');
    expect(await adminQuery('SELECT temporary FROM pg_replication_slots WHERE slot_name = $1', [slot])).toEqual([{ temporary: true }]);
    io.abort();
    expect(await exit).toBe(0);
    const deadline = Date.now() + 20_000;
    let left = 1;
    while (left > 0 && Date.now() < deadline) {
      left = (await adminQuery('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).length;
      if (left > 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toBe(0);
  }, 120_000);

  it('exits 1 for a slot that does not exist, never printing the password', async () => {
    const u = new URL(db.url());
    if (!u.password) u.password = 'sekrit-pw-123'; // a trust server ignores it; the CLI must not print it either way
    const io = fakeIo();
    expect(await main(['replicate', '--dsn', u.toString(), '--slot', `${PREFIX}_missing`, '--publication', 'items_pub'], io)).toBe(1);
    expect(io.err()).toMatch(/42704|does not exist|28P01/);
    expect(io.out()).toBe('');
    expect(io.err()).not.toContain(decodeURIComponent(u.password));
  }, 60_000);
});

describeServer('tspostgres replicate across a server restart (private cluster)', () => {
  let cluster: Cluster;
  let io: FakeIo | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ readyTimeoutMs: 120_000 });
    await adminQuery('CREATE TABLE ticks (id int PRIMARY KEY)', [], cluster.url());
    await adminQuery('CREATE PUBLICATION ticks_pub FOR TABLE ticks', [], cluster.url());
  }, 180_000);
  afterAll(async () => {
    io?.abort();
    await cluster?.destroy();
  }, 60_000);

  it('reports the outage and the gap on stderr, resumes, and prints every committed change once, in order', async () => {
    const url = `${cluster.url()}?sslmode=disable`;
    io = fakeIo();
    const exit = main(['replicate', '--dsn', url, '--slot', 'ticks_slot', '--publication', 'ticks_pub', '--create-slot'], io);
    await until(() => events(io!).some((e) => e.state === 'streaming'), 60_000, 'the stream to start');
    await adminQuery('INSERT INTO ticks SELECT generate_series(1, 50)', [], url);
    await until(() => lines(io!).length === 50, 30_000, 'the changes before the restart');
    await cluster.stop('fast');
    await until(() => events(io!).some((e) => e.state === 'reconnecting'), 60_000, 'the outage to be noticed');
    await cluster.start();
    await adminQuery('INSERT INTO ticks SELECT generate_series(51, 100)', [], url);
    await until(() => lines(io!).length >= 100, 90_000, 'the changes after the restart');
    const gap = events(io!).find((e) => e.event === 'gap');
    expect(gap).toMatchObject({ event: 'gap', from: expect.any(Number), to: expect.any(Number), resumeLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/), error: expect.any(String) });
    io.abort();
    expect(await exit).toBe(0);
    expect(lines(io).map((l) => (l.new as { id: number }).id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  }, 300_000);
});
