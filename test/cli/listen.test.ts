/**
 * `tspostgres listen` against the real server: notifications as JSON lines,
 * a clean exit on the abort signal, and, on a throwaway cluster of its own,
 * a restart: the gap is reported on stderr and notifications keep coming.
 */
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { main } from '../../cli/main';
import { Connection } from '../../src/index';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';
import { fakeIo, type FakeIo } from './fake-io';

/** The stderr JSON events of `io` so far. */
function events(io: FakeIo): Record<string, unknown>[] {
  return io.err().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The stdout JSON lines of `io` so far. */
function lines(io: FakeIo): Record<string, unknown>[] {
  return io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function notify(url: string, channel: string, payload: string): Promise<void> {
  const conn = new Connection();
  await conn.connect(url);
  try {
    await conn.runOperation('SELECT pg_notify($1, $2)', [channel, payload]);
  } finally {
    conn.close();
  }
}

describeServer('tspostgres listen', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cli_listen');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('prints notifications of every channel as JSON lines and exits 0 on the signal', async () => {
    const io = fakeIo();
    const exit = main(['listen', '--dsn', db.url(), 'cli_a', 'cli_b'], io);
    await until(() => events(io).filter((e) => e.event === 'listening').length === 2, 20_000, 'LISTEN confirmed');
    await notify(db.url(), 'cli_a', 'one');
    await notify(db.url(), 'cli_b', 'two, "quoted"\nand a newline');
    await until(() => lines(io).length === 2, 20_000, 'two notifications');
    expect(lines(io)).toEqual([
      { channel: 'cli_a', payload: 'one', pid: expect.any(Number) },
      { channel: 'cli_b', payload: 'two, "quoted"\nand a newline', pid: expect.any(Number) },
    ]);
    io.abort();
    expect(await exit).toBe(0);
  });

  it('prints help, and exits 2 without a channel or with a bad heartbeat', async () => {
    const help = fakeIo();
    expect(await main(['listen', '--help'], help)).toBe(0);
    expect(help.out()).toMatch(/^Usage: tspostgres listen/);
    for (const args of [['listen'], ['listen', '--heartbeat-interval', 'soon', 'ch']]) {
      const io = fakeIo({ env: { DATABASE_URL: db.url() } });
      expect(await main(args, io)).toBe(2);
      expect(io.err()).toMatch(/^tspostgres: ERR_CLI_USAGE/);
    }
  });
});

describeServer('tspostgres listen across a server restart', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ readyTimeoutMs: 120_000 });
  }, 180_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  it('reports the state changes and the gap on stderr and keeps receiving', async () => {
    const io = fakeIo();
    const exit = main(['listen', '--dsn', cluster.url(), '--heartbeat-interval', '500', '--heartbeat-timeout', '2000', 'cli_r'], io);
    await until(() => events(io).some((e) => e.event === 'listening'), 30_000, 'LISTEN confirmed');
    await notify(cluster.url(), 'cli_r', 'before');
    await until(() => lines(io).length === 1, 30_000, 'first notification');

    await cluster.stop();
    await until(() => events(io).some((e) => e.event === 'state' && e.state === 'dead'), 60_000, 'death noticed');
    await cluster.start();
    await until(() => events(io).filter((e) => e.event === 'listening').length === 2, 90_000, 'LISTEN again');
    await notify(cluster.url(), 'cli_r', 'after');
    await until(() => lines(io).length === 2, 30_000, 'second notification');

    expect(lines(io).map((l) => l.payload)).toEqual(['before', 'after']);
    expect(events(io)).toContainEqual(expect.objectContaining({ event: 'gap', channel: 'cli_r' }));
    expect(events(io)).toContainEqual({ event: 'state', state: 'ready' });
    io.abort();
    expect(await exit).toBe(0);
  }, 240_000);
});
