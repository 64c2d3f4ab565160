/**
 * A long-lived job worker that survives database restarts and network
 * faults unattended.
 *
 * Theory of operation. Jobs are rows of a `jobs` table; producers insert a
 * row and `NOTIFY jobs`. The worker subscribes with `listen(conn, 'jobs')`
 * and drains the queue on every notification: each job is claimed with
 * `SELECT ... FOR UPDATE SKIP LOCKED` inside `runInteraction`, handled, and
 * marked done in the same transaction, so a crash or a lost connection rolls
 * the claim back and the job is picked up again (at-least-once; the handler
 * sees a job again only if its transaction did not commit).
 *
 * Faults: the connection has a DeadConnectionDetector with a heartbeat (an
 * idle link that stops answering) and an operation deadline (a claim stuck
 * on a link that stopped answering mid-transaction). While
 * it is dead, drains fail fast with ConnectionDead and are retried by a
 * periodic poll; after recovery listen() re-LISTENs and emits a
 * NotificationGap, on which the worker drains (notifications may have been
 * missed). Several workers can share the table.
 *
 * Run directly: `DATABASE_URL=... node -r ./scripts/register-ts.js examples/worker.ts`.
 */
import { Connection, DeadConnectionDetector, Notification, NotificationGap, type Cursor, type Deferred } from '../src/index';

/** One job row. */
export interface Job {
  id: number;
  payload: string;
}

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** The connection string. */
  dsn: string;
  /** Handles one job inside its claiming transaction (may use the cursor). */
  handle?: (job: Job, cursor: Cursor) => unknown;
  /** Safety poll interval in ms (default 1000): catches anything missed. */
  pollMs?: number;
  /** Heartbeat (default 1000 ms interval, 1000 ms deadline). */
  heartbeat?: { intervalMs: number; timeoutMs: number };
  /** A call (e.g. a claim stuck on a blackholed link) running longer than this declares death (default 10,000 ms). */
  operationDeadlineMs?: number;
  /** Connect timeout per attempt in ms (default 2000). */
  connectTimeoutMs?: number;
  /** Reconnection delays (default: the detector's unlimited backoff). */
  reconnectionIterator?: () => Iterable<number>;
  /** Where progress goes (default: nowhere). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface Worker {
  readonly conn: Connection;
  readonly detector: DeadConnectionDetector;
  /** Ids of the jobs this worker completed, in order. */
  readonly done: number[];
  /** Drains the queue now; fires with the number of jobs handled. */
  drain(): Promise<number>;
  /** Stops polling, unsubscribes and closes the connection. */
  stop(): void;
}

/** Creates the jobs table if needed. */
export function createSchema(conn: Connection): Deferred<void> {
  return conn.runOperation('CREATE TABLE IF NOT EXISTS jobs (id serial PRIMARY KEY, payload text NOT NULL, done_at timestamptz, done_by int)').addCallback((): void => undefined);
}

/** Enqueues a job and wakes the workers. */
export function enqueue(conn: Connection, payload: string): Deferred<void> {
  return conn.runInteraction(async (c) => {
    await c.execute('INSERT INTO jobs (payload) VALUES ($1)', [payload]);
    await c.execute("SELECT pg_notify('jobs', '')");
  });
}

/** Claims, handles and completes one job; fires with it, or null when none is left. */
function claimOne(conn: Connection, handle: WorkerOptions['handle']): Deferred<Job | null> {
  return conn.runInteraction(async (c) => {
    await c.execute('SELECT id, payload FROM jobs WHERE done_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED');
    const row = c.fetchone() as Job | null;
    if (row === null) return null;
    await handle?.(row, c);
    await c.execute('UPDATE jobs SET done_at = now(), done_by = pg_backend_pid() WHERE id = $1', [row.id]);
    return row;
  });
}

/** Connects and starts working; see the file comment. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const log = options.log ?? ((): void => undefined);
  const detector = new DeadConnectionDetector({
    heartbeat: options.heartbeat ?? { intervalMs: 1000, timeoutMs: 1000 },
    reconnectionIterator: options.reconnectionIterator,
    operationDeadlineMs: options.operationDeadlineMs ?? 10_000,
  });
  const conn = new Connection({ detector, connectTimeoutMs: options.connectTimeoutMs ?? 2000 });
  detector.addRecoveryHandler(() => log('worker: reconnected'));
  await conn.connect(options.dsn);
  await createSchema(conn);
  const done: number[] = [];
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;

  const drainOnce = async (): Promise<number> => {
    let n = 0;
    for (;;) {
      const job = await claimOne(conn, options.handle);
      if (job === null) return n;
      done.push(job.id);
      n++;
    }
  };
  const drain = (): Promise<number> => {
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await drainOnce();
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const kick = (): void => {
    if (!stopped) drain().catch((e: Error) => log(`worker: drain failed (${e.name}: ${e.message}); retrying on the next poll`));
  };

  const sub = conn.listen('jobs').subscribe((n) => {
    if (n instanceof NotificationGap) log(`worker: notifications may have been missed for ${n.to - n.from} ms; draining`);
    if (n instanceof Notification || n instanceof NotificationGap) kick();
  });
  let timer = conn.reactor.callLater(options.pollMs ?? 1000, function poll() {
    kick();
    if (!stopped) timer = conn.reactor.callLater(options.pollMs ?? 1000, poll);
  });
  kick();
  return {
    conn,
    detector,
    done,
    drain,
    stop() {
      stopped = true;
      timer.cancel();
      sub.unsubscribe();
      conn.close();
    },
  };
}

if (require.main === module) {
  const dsn = process.env.DATABASE_URL ?? '';
  void startWorker({ dsn, log: (l) => console.log(l), handle: (job) => console.log(`worker: job ${job.id}: ${job.payload}`) }).then((w) => {
    console.log(`worker: listening on "jobs" (backend ${w.conn.processId}); Ctrl-C to stop`);
    process.once('SIGINT', () => w.stop());
  });
}
