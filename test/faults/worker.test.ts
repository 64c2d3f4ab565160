/**
 * Soak: the example worker (examples/worker.ts) through mixed real faults
 * (pg_terminate_backend, a reset link, a blackholed link), unattended. Every
 * job enqueued before, during and after the faults is done exactly once.
 */
import { Client } from 'pg';
import { enqueue, startWorker, type Worker } from '../../examples/worker';
import { Connection } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { until } from './helpers';

let db: TestDatabase;
let proxy: FaultProxy;
let worker: Worker | undefined;
let producer: Connection | undefined;

beforeAll(async () => {
  db = await createTestDatabase('worker_faults');
  const u = new URL(db.url());
  proxy = await startFaultProxy({ targetHost: u.hostname, targetPort: Number(u.port) });
});
afterAll(async () => {
  worker?.stop();
  producer?.close();
  await proxy.close();
  await db.drop();
});

const FAULTS = ['terminate', 'rst', 'stall', 'terminate', 'rst', 'stall'] as const;

describe('the example worker under mixed faults', () => {
  it(`does every job exactly once through ${FAULTS.length} faults, with no unhandled failure`, async () => {
    const unhandled = captureUnhandledFailures();
    const via = new URL(db.url());
    via.host = `${proxy.host}:${proxy.port}`;
    worker = await startWorker({
      dsn: via.toString(),
      pollMs: 200,
      heartbeat: { intervalMs: 200, timeoutMs: 500 },
      connectTimeoutMs: 1000,
      operationDeadlineMs: 1000,
      reconnectionIterator: function* () {
        for (;;) yield 200;
      },
    });
    producer = new Connection();
    await producer.connect(db.url());
    let enqueued = 0;
    const add = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await enqueue(producer!, `job ${++enqueued}`);
    };
    await add(5);
    for (const fault of FAULTS) {
      if (fault === 'terminate') await adminQuery('SELECT pg_terminate_backend($1)', [worker.conn.processId]);
      if (fault === 'rst') proxy.dropAll('rst');
      if (fault === 'stall') proxy.stall();
      await until(() => worker!.detector.connectionIsDead, 5000, `death after ${fault}`);
      await add(3);
      if (fault === 'stall') proxy.unstall({ discard: true });
      await until(() => worker!.conn.state === 'ready' || worker!.conn.state === 'busy', 15_000, `recovery after ${fault}`);
      await add(2);
    }
    await until(() => worker!.done.length >= enqueued, 15_000, 'all jobs done');
    const c = new Client({ connectionString: db.url() });
    await c.connect();
    const { rows } = await c.query<{ open: string }>('SELECT count(*) FILTER (WHERE done_at IS NULL) AS open FROM jobs');
    await c.end();
    expect(Number(rows[0].open)).toBe(0);
    expect(new Set(worker.done).size).toBe(worker.done.length);
    expect(worker.done.length).toBe(enqueued);
    unhandled.flush();
    unhandled.restore();
    expect(unhandled.failures.map(String)).toEqual([]);
  }, 60_000);
});
