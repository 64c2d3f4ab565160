/**
 * Soak: the example worker (examples/worker.ts) through 20 mixed real faults
 * (pg_terminate_backend, a link reset by RST, a link ended by FIN, a
 * blackholed link, the backend frozen with SIGSTOP), unattended.
 *
 * Theory of operation. The worker's connection reaches the server through a
 * fault proxy. Besides the worker's own `jobs` subscription, two test
 * subscribers listen on `soak` on the worker's connection. The test runs in
 * rounds: while the listener is connected (its connection 'ready' and LISTEN
 * confirmed by `onListen`) a producer enqueues jobs and sends numbered
 * NOTIFYs ("c<n>"); the round waits until every one of them has arrived,
 * injects the next fault, waits for the detector to declare death, sends a
 * few NOTIFYs during the outage ("o<n>"), heals the fault and waits for the
 * re-LISTEN. At the end: every job is committed exactly once; each "c"
 * notification reached each subscriber exactly once and no "o" one twice;
 * and each subscriber saw exactly one NotificationGap per outage, between
 * the last notification before it and the first one after it.
 */
import { Client } from 'pg';
import type { Subscription } from 'rxjs';
import { enqueue, startWorker, type Worker } from '../../examples/worker';
import { Connection, Notification, NotificationGap } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';
import { until } from './helpers';

const FAULT_KINDS = ['terminate', 'rst', 'fin', 'stall', 'sigstop'] as const;
type Fault = (typeof FAULT_KINDS)[number];
/** 20 faults, every kind 4 times, interleaved. */
const FAULTS: Fault[] = Array.from({ length: 20 }, (_, i) => FAULT_KINDS[i % FAULT_KINDS.length]);
/** Per-step deadline: generous, a loaded 2-core machine must not trip it. */
const STEP_MS = 15_000;

let db: TestDatabase;
let proxy: FaultProxy;
let worker: Worker | undefined;
let producer: Connection | undefined;
const subs: Subscription[] = [];
const frozen = new Set<number>();

/** SIGCONTs a backend we froze (idempotent; a backend already gone is fine). */
function thaw(pid: number): void {
  if (!frozen.delete(pid)) return;
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    /* already gone */
  }
}

beforeAll(async () => {
  db = await createTestDatabase('worker_faults');
  const u = new URL(db.url());
  proxy = await startFaultProxy({ targetHost: u.hostname, targetPort: Number(u.port) });
});
afterAll(async () => {
  for (const pid of [...frozen]) thaw(pid);
  proxy?.unstall({ discard: true });
  for (const s of subs) s.unsubscribe();
  worker?.stop();
  producer?.close();
  await proxy?.close();
  await db?.drop();
});

/** What one `soak` subscriber received, as tokens: a notification's payload, or 'gap'. */
function subscriber(conn: Connection, onListen: () => void): string[] {
  const got: string[] = [];
  subs.push(conn.listen('soak', { onListen }).subscribe((n) => got.push(n instanceof NotificationGap ? 'gap' : (n as Notification).payload)));
  return got;
}

describe('the example worker under mixed faults', () => {
  it(`commits every job once, delivers every notification sent while connected once, and announces each of ${FAULTS.length} outages with one gap`, async () => {
    const unhandled = captureUnhandledFailures();
    const via = new URL(db.url());
    via.host = `${proxy.host}:${proxy.port}`;
    await adminQuery('CREATE TABLE handled (job_id int NOT NULL)', [], db.url());
    worker = await startWorker({
      dsn: via.toString(),
      pollMs: 200,
      handle: (job, cursor) => cursor.execute('INSERT INTO handled (job_id) VALUES ($1)', [job.id]),
      heartbeat: { intervalMs: 200, timeoutMs: 1000 },
      connectTimeoutMs: 1000,
      operationDeadlineMs: 3000,
      reconnectionIterator: function* () {
        for (;;) yield 100;
      },
    });
    const w = worker;
    producer = new Connection();
    await producer.connect(db.url());
    const prod = producer;

    // The listener is "connected" from a LISTEN confirmation until the state leaves ready/busy.
    let connected = false;
    let listens = 0;
    let outages = 0;
    w.conn.onStateChange((s) => {
      if (s !== 'ready' && s !== 'busy') connected = false;
      if (s === 'dead') outages++;
    });
    const onListen = (): void => {
      connected = true;
      listens++;
    };
    const a = subscriber(w.conn, onListen);
    const b = subscriber(w.conn, () => undefined);
    await until(() => listens === 1, STEP_MS, 'first LISTEN');

    let enqueued = 0;
    const expected: string[] = []; // what each subscriber must see, 'o' notifications left out
    const sentWhileConnected: string[] = [];
    let seq = 0;
    const notify = (tok: string): PromiseLike<unknown> => prod.runOperation("SELECT pg_notify('soak', $1)", [tok]);
    /** Jobs and notifications while connected; resolves once both subscribers got every notification. */
    const connectedRound = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await enqueue(prod, `job ${++enqueued}`);
        expect(connected).toBe(true);
        const tok = `c${++seq}`;
        await notify(tok);
        sentWhileConnected.push(tok);
        expected.push(tok);
      }
      const last = expected[expected.length - 1];
      await until(() => a.includes(last) && b.includes(last), STEP_MS, `delivery of ${last}`);
    };
    const inject = async (fault: Fault, pid: number): Promise<void> => {
      if (fault === 'terminate') await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
      if (fault === 'rst') proxy.dropAll('rst');
      if (fault === 'fin') proxy.dropAll('fin');
      if (fault === 'stall') proxy.stall();
      if (fault === 'sigstop') {
        frozen.add(pid);
        process.kill(pid, 'SIGSTOP');
      }
    };

    await connectedRound();
    for (const [i, fault] of FAULTS.entries()) {
      const pid = w.conn.processId!;
      const before = { outages, listens };
      await inject(fault, pid);
      try {
        await until(() => outages > before.outages, STEP_MS, `death after fault ${i + 1} (${fault})`);
      } finally {
        thaw(pid);
      }
      await enqueue(prod, `job ${++enqueued}`);
      await notify(`o${++seq}`); // during the outage: may be lost, never doubled
      if (fault === 'stall') proxy.unstall({ discard: true });
      await until(() => listens > before.listens, STEP_MS, `re-LISTEN after fault ${i + 1} (${fault})`);
      expected.push('gap');
      expect(w.conn.processId).not.toBe(pid);
      await connectedRound();
    }

    // A commit whose acknowledgement was lost with the link is done but not in w.done: the database is the judge.
    const c = new Client({ connectionString: db.url() });
    await c.connect();
    const open = async (): Promise<number> => Number((await c.query('SELECT count(*) AS n FROM jobs WHERE done_at IS NULL')).rows[0].n);
    const deadline = Date.now() + STEP_MS;
    while ((await open()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const jobs = await c.query<{ id: number; handled: string }>('SELECT j.id, (SELECT count(*) FROM handled h WHERE h.job_id = j.id) AS handled FROM jobs j ORDER BY j.id');
    await c.end();
    expect(jobs.rows).toHaveLength(enqueued);
    // every job's handling committed exactly once (the handler's row lives in the claiming transaction)
    expect(jobs.rows.filter((r) => Number(r.handled) !== 1)).toEqual([]);
    expect(new Set(w.done).size).toBe(w.done.length);
    expect(w.done.every((id) => jobs.rows.some((r) => r.id === id))).toBe(true);

    expect(outages).toBe(FAULTS.length);
    expect(sentWhileConnected).toHaveLength(3 * (FAULTS.length + 1));
    for (const got of [a, b]) {
      // each 'c' exactly once, in order, with exactly one gap per outage between the rounds around it
      expect(got.filter((t) => !t.startsWith('o'))).toEqual(expected);
      const outageOnes = got.filter((t) => t.startsWith('o'));
      expect(new Set(outageOnes).size).toBe(outageOnes.length);
    }
    unhandled.flush();
    unhandled.restore();
    expect(unhandled.failures.map(String)).toEqual([]);
  }, 90_000);
});
