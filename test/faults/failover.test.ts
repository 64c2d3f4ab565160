/**
 * Failover, proven: the primary is stopped and its standby promoted while
 * the example worker runs, listen() subscribers wait and a pool serves a
 * write load, FAILOVER_CYCLES times (default 2; the old primary is rebuilt
 * as the new standby between failovers, so every cycle fails over the other
 * way).
 *
 * Theory of operation. A primary and a streaming standby on one machine
 * (scripts/pg-replica.ts). Every client is given both nodes, in a fixed
 * order, with `target_session_attrs=read-write`: the worker
 * (examples/worker.ts) and a test subscriber on its connection by a
 * multi-host URI, a second connection with two subscribers by the key=value
 * form, and a ConnectionPool of 3 writers by the URI. Each has a
 * DeadConnectionDetector. The producer (jobs, NOTIFYs) and the judge are
 * node-postgres clients the harness points at the current primary.
 *
 * A cycle: a connected round (jobs and numbered NOTIFYs, all handled and
 * delivered); a burst of jobs is enqueued and the primary stops while the
 * worker works through it (fast shutdown, so everything it committed has
 * reached the standby); every client is declared dead, and a call on
 * either connection fails at once with ConnectionDead; while only the
 * standby is up, each client's reconnection attempts reach it and are
 * refused ("never to a standby for read-write") and it stays dead; the
 * standby is promoted and every client reconnects to it by itself (checked
 * with inet_server_port()); the old primary is rebuilt as the standby, so in
 * the next cycle the node that comes back first in the host order is a
 * read-only one that must be passed over.
 *
 * Judged at the end by the database: every job enqueued is there once and
 * was handled exactly once; every write the pool acknowledged is there once,
 * no write is there twice, none failed because it reached a read-only
 * server; each subscriber received each NOTIFY sent while connected exactly
 * once, in order, with exactly one NotificationGap per outage between them.
 * The pool's calls made during an outage wait for a member to recover
 * (bounded by acquireTimeoutMs) rather than fail: that is the pool's
 * contract; the fail-fast contract is the Connection's and is checked on
 * both connections.
 */
import type { Subscription } from 'rxjs';
import { Client } from 'pg';
import { nodeQuery, startReplicaPair, type ReplicaNode, type ReplicaPair } from '../../scripts/pg-replica';
import { startWorker, type Worker } from '../../examples/worker';
import { ConnectionPool, DeadConnectionDetector, Notification, NotificationGap, type Connection } from '../../src/index';
import { captureUnhandledFailures } from '../../src/defer';
import { listen } from '../../src/rx/listen';
import { describeLocal } from '../support/server';
import { errorOf, eventually, failoverCycles, serverOf, stateLog, until, watched, type StateLog, type Watched } from './helpers';

const CYCLES = failoverCycles();
/** Per-step limit: generous, a loaded 2-core machine must not trip it; never a bound on speed. */
const STEP_MS = 60_000;
const CHANNEL = 'failover';
/** Jobs enqueued right before each stop, so the worker is busy when the primary goes. */
const BURST = 20;
/** Failed attempts to see refused by the lone standby before promoting it. */
const REFUSALS = 2;

/** 100 ms between attempts, for 2 minutes: every outage here is shorter. */
function* every100ms(): Generator<number> {
  for (let i = 0; i < 1200; i++) yield 100;
}

/** The job, write and NOTIFY side of the test, done with node-postgres on the current primary. */
class Producer {
  enqueued = 0;
  constructor(private readonly pair: ReplicaPair) {}

  /** Runs `sql` on the current primary. */
  async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const c = new Client({ connectionString: this.pair.primary.url() });
    await c.connect();
    try {
      return (await c.query<R>(sql, params)).rows;
    } finally {
      await c.end();
    }
  }

  /** Enqueues a job as examples/worker.ts's `enqueue` does (insert, then wake the workers). */
  async enqueue(): Promise<void> {
    const n = this.enqueued + 1;
    await this.query("WITH j AS (INSERT INTO jobs (payload) VALUES ($1) RETURNING id) SELECT pg_notify('jobs', '') FROM j", [`job ${n}`]);
    this.enqueued = n;
  }

  notify(payload: string): Promise<unknown> {
    return this.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }

  /** Enqueues `n` jobs in one transaction and wakes the workers. */
  async burst(n: number): Promise<void> {
    const sql = "WITH j AS (INSERT INTO jobs (payload) SELECT 'burst ' || i FROM generate_series(1, $1::int) i RETURNING id) SELECT pg_notify('jobs', '') FROM j LIMIT 1";
    await this.query(sql, [n]);
    this.enqueued += n;
  }

  async openJobs(node: ReplicaNode = this.pair.primary): Promise<number> {
    const [row] = await nodeQuery<{ n: string }>(node, 'SELECT count(*) AS n FROM jobs WHERE done_at IS NULL');
    return Number(row.n);
  }
}

/** The pool's write load: `writers` loops inserting unique keys; each key's outcome is recorded. */
class WriteLoad {
  readonly outcomes = new Map<number, 'pending' | 'ok' | string>();
  /** Keys issued while every member was down: they must wait for a recovered member, not fail. */
  readonly duringOutage = new Set<number>();
  private next = 0;
  private stopped = false;
  private readonly loops: Array<Promise<void>>;
  private readonly extra: Array<Promise<void>> = [];

  constructor(private readonly pool: ConnectionPool, writers: number) {
    this.loops = Array.from({ length: writers }, () => this.loop());
  }

  get acknowledged(): number {
    return [...this.outcomes.values()].filter((o) => o === 'ok').length;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.issue().done;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Issues one write of a new key; `done` resolves once its outcome ('ok' or the error's code) is recorded. */
  private issue(): { k: number; done: Promise<void> } {
    const k = ++this.next;
    this.outcomes.set(k, 'pending');
    const done = Promise.resolve(this.pool.runOperation('INSERT INTO writes (k) VALUES ($1)', [k])).then(
      () => 'ok',
      (e: { code?: string; name?: string }) => e.code ?? e.name ?? 'error',
    ).then((outcome) => void this.outcomes.set(k, outcome));
    return { k, done };
  }

  /** `n` writes issued now, while every member is down (they wait for one to recover). */
  duringAnOutage(n: number): void {
    for (let i = 0; i < n; i++) {
      const { k, done } = this.issue();
      this.duringOutage.add(k);
      this.extra.push(done);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.loops, ...this.extra]);
  }
}

/** A Connection is out of service: declared dead or reconnecting. */
const down = (c: Connection): boolean => c.state === 'dead' || c.state === 'reconnecting';

/** A call on a dead connection fails with ConnectionDead without being run (its Deferred failed before runQuery returned). */
async function expectFailsFast(conn: Connection, detector: DeadConnectionDetector): Promise<void> {
  expect(detector.connectionIsDead).toBe(true);
  const d = conn.runQuery('SELECT 1');
  expect(d.called).toBe(true);
  expect(await errorOf(d)).toMatchObject({ code: 'ERR_CONNECTION_DEAD' });
}

describeLocal(`failover under load, ${CYCLES} cycles`, () => {
  let pair: ReplicaPair;
  let producer: Producer;
  let worker: Worker | undefined;
  let listener: Watched | undefined;
  let pool: ConnectionPool | undefined;
  let load: WriteLoad | undefined;
  const subs: Subscription[] = [];

  beforeAll(async () => {
    pair = await startReplicaPair({ readyTimeoutMs: 120_000 });
    producer = new Producer(pair);
    await producer.query('CREATE TABLE handled (job_id int NOT NULL); CREATE TABLE writes (k int NOT NULL)');
  }, 300_000);
  afterAll(async () => {
    await load?.stop();
    for (const s of subs) s.unsubscribe();
    worker?.stop();
    listener?.close();
    await pool?.close();
    await pair?.destroy();
  }, 120_000);

  it('every client follows the primary by itself; jobs and writes exactly once; one gap per outage per subscriber', async () => {
    const unhandled = captureUnhandledFailures();
    const readWrite = { target_session_attrs: 'read-write', sslmode: 'disable' };
    const uri = pair.url({ params: readWrite });

    worker = await startWorker({
      dsn: uri,
      pollMs: 200,
      handle: async (job, cursor) => {
        await cursor.execute('INSERT INTO handled (job_id) VALUES ($1)', [job.id]);
        await cursor.execute('SELECT pg_sleep(0.01)'); // a burst takes a while: the failover hits it mid-drain
      },
      heartbeat: { intervalMs: 200, timeoutMs: 1000 },
      connectTimeoutMs: 2000,
      operationDeadlineMs: 5000,
      reconnectionIterator: every100ms,
    });
    const w = worker;
    const workerLog = stateLog(w.conn);
    let workerListens = 0;
    const onWorker: string[] = [];
    subs.push(listen(w.conn, CHANNEL, { onListen: () => workerListens++ }).subscribe((n) => onWorker.push(token(n))));

    listener = await watched(pair.keyValue({ params: readWrite }), CHANNEL, { reconnectionIterator: every100ms }, 2000);
    const l = listener;
    const listenerLog = stateLog(l.conn);
    const second: string[] = [];
    subs.push(listen(l.conn, CHANNEL).subscribe((n) => second.push(token(n))));
    const onListener = (): string[] => l.received.map(token);

    pool = new ConnectionPool({
      min: 3, max: 3, connect: uri, acquireTimeoutMs: 120_000,
      detector: () => new DeadConnectionDetector({ reconnectionIterator: every100ms }),
      connectionOptions: { connectTimeoutMs: 2000 },
    });
    await pool.start();
    const p = pool;
    const poolLogs = p.connections.map(stateLog);
    load = new WriteLoad(p, 3);
    const ld = load;
    await until(() => workerListens === 1, STEP_MS, 'the worker subscriber LISTENing');

    const tokens = { expected: [] as string[], seq: 0 };
    const lists = (): string[][] => [onWorker, onListener(), second];
    /** Jobs and numbered NOTIFYs while everyone is connected; resolves when all is handled and delivered. */
    const connectedRound = async (): Promise<void> => {
      const acked = ld.acknowledged;
      for (let i = 0; i < 3; i++) {
        await producer.enqueue();
        const tok = `c${++tokens.seq}`;
        await producer.notify(tok);
        tokens.expected.push(tok);
      }
      const last = tokens.expected[tokens.expected.length - 1];
      await until(() => lists().every((got) => got.includes(last)), STEP_MS, `delivery of ${last}`);
      await eventually(async () => (await producer.openJobs()) === 0, STEP_MS, 'every job handled');
      await until(() => ld.acknowledged > acked, STEP_MS, 'pool writes acknowledged');
    };
    /** Every client's session is on the current primary. */
    const expectAllOnPrimary = async (primary: ReplicaNode): Promise<void> => {
      const conns = [w.conn, l.conn, ...p.connections];
      for (const c of conns) expect(await serverOf(c)).toEqual({ port: primary.port, standby: false });
    };

    const leftAtStop: number[] = [];
    await connectedRound();
    await expectAllOnPrimary(pair.primary);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const standby = pair.standby;
      const marks = { worker: workerLog.entries.length, listener: listenerLog.entries.length, pool: poolLogs.map((s) => s.entries.length) };
      const listensBefore = workerListens;
      const gapsBefore = l.received.filter((n) => n instanceof NotificationGap).length;

      await producer.burst(BURST);
      await eventually(async () => (await producer.openJobs()) <= BURST - 2, STEP_MS, `cycle ${cycle}: the worker into the burst`);
      await pair.primary.stop();
      await until(() => down(w.conn) && down(l.conn) && p.connections.every(down), STEP_MS, `cycle ${cycle}: every client declared dead`);
      ld.duringAnOutage(3);
      await expectFailsFast(w.conn, w.detector);
      await expectFailsFast(l.conn, l.detector);

      // Only the standby is up: each client reaches it, refuses it, and stays dead.
      const refused = (log: StateLog, from: number): boolean => log.refusedBy(standby.port, from) >= REFUSALS;
      await until(
        () => refused(workerLog, marks.worker) && refused(listenerLog, marks.listener) && poolLogs.every((s, i) => refused(s, marks.pool[i])),
        STEP_MS, `cycle ${cycle}: reconnection attempts refused by the standby on port ${standby.port}`,
      );
      expect([w.conn, l.conn, ...p.connections].filter((c) => !down(c)).map((c) => c.state)).toEqual([]);
      await expectFailsFast(w.conn, w.detector);
      await expectFailsFast(l.conn, l.detector);

      leftAtStop.push(await producer.openJobs(standby)); // what the stop interrupted, as the standby has it
      await pair.promote();
      await producer.notify(`o${++tokens.seq}`); // before the re-LISTEN: may be lost, never doubled
      await until(() => workerListens > listensBefore, STEP_MS, `cycle ${cycle}: the worker's re-LISTEN`);
      await until(() => l.received.filter((n) => n instanceof NotificationGap).length > gapsBefore, STEP_MS, `cycle ${cycle}: the listener's gap`);
      await until(() => !p.connections.some(down), STEP_MS, `cycle ${cycle}: every pool member back`);
      tokens.expected.push('gap');
      await expectAllOnPrimary(pair.primary);

      await pair.rebuild(); // the old primary is back, read-only: the next cycle must pass over it
      await connectedRound();
      await expectAllOnPrimary(pair.primary);
    }
    await ld.stop();

    // ---- the judgement, by the database
    const jobs = await producer.query<{ id: number; handled: string; open: boolean }>(
      'SELECT j.id, (SELECT count(*) FROM handled h WHERE h.job_id = j.id) AS handled, j.done_at IS NULL AS open FROM jobs j ORDER BY j.id',
    );
    expect(jobs).toHaveLength(producer.enqueued);
    expect(jobs.filter((j) => Number(j.handled) !== 1 || j.open)).toEqual([]);
    expect(new Set(w.done).size).toBe(w.done.length);
    expect(w.done.every((id) => jobs.some((j) => j.id === id))).toBe(true);
    expect(leftAtStop.some((n) => n > 0)).toBe(true); // a failover did hit the worker mid-drain

    const counts = new Map((await producer.query<{ k: number; n: string }>('SELECT k, count(*) AS n FROM writes GROUP BY k')).map((r) => [r.k, Number(r.n)]));
    const outcomes = [...ld.outcomes];
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]); // nothing written twice
    expect(outcomes.filter(([k, o]) => o === 'ok' && counts.get(k) !== 1)).toEqual([]); // nothing acknowledged lost
    expect(outcomes.filter(([, o]) => o === 'pending')).toEqual([]);
    expect(outcomes.filter(([, o]) => o === '25006')).toEqual([]); // never written to a read-only server
    expect(outcomes.filter(([k, o]) => ld.duringOutage.has(k) && o !== 'ok')).toEqual([]); // outage calls waited, then succeeded
    expect(ld.duringOutage.size).toBe(3 * CYCLES);

    expect([workerLog.deaths(), listenerLog.deaths(), ...poolLogs.map((s) => s.deaths())]).toEqual(Array(2 + poolLogs.length).fill(CYCLES));
    for (const got of lists()) {
      expect(got.filter((t) => !t.startsWith('o'))).toEqual(tokens.expected);
      const outageOnes = got.filter((t) => t.startsWith('o'));
      expect(new Set(outageOnes).size).toBe(outageOnes.length);
    }
    unhandled.flush();
    unhandled.restore();
    expect(unhandled.failures.map(String)).toEqual([]);
    const failed = outcomes.filter(([, o]) => o !== 'ok');
    report({
      cycles: CYCLES, jobs: jobs.length, leftAtStop, writesOk: ld.acknowledged, outageWrites: ld.duringOutage.size,
      writesFailed: failed.map(([, o]) => o), failedButPresent: failed.filter(([k]) => counts.has(k)).length,
    });
  }, 120_000 + CYCLES * 120_000);
});

/** A notification as a token: its payload, or 'gap'. */
function token(n: Notification | NotificationGap): string {
  return n instanceof NotificationGap ? 'gap' : (n as Notification).payload;
}

/** With FAILOVER_REPORT=1, prints the counts the test judged (for hand runs). */
function report(facts: Record<string, unknown>): void {
  if (process.env.FAILOVER_REPORT) process.stdout.write(`failover: ${JSON.stringify(facts)}\n`);
}
