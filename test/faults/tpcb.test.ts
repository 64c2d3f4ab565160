/**
 * Exactly-once under faults: a TPC-B load in the spirit of pgbench, judged
 * by the database (issue 16).
 *
 * Theory of operation. pgbench's tables at scale 1 (1 branch, 10 tellers,
 * 100,000 accounts, and the history) get a unique `txid` column in the
 * history. Ten clients run pgbench's TPC-B transaction (update an account,
 * read it back, update a teller and the branch, insert the history row with
 * the transaction's id) through `ConnectionPool.runInteraction`, on a pool of
 * 10 whose members each have a DeadConnectionDetector and reach the server
 * through a fault proxy. Meanwhile, every ~500 ms, an admin connection kills
 * two of the pool's backends with `pg_terminate_backend`, and every second
 * time the proxy also cuts every link with a FIN. The cut is the fault that
 * loses answers: a COMMIT already forwarded is run (and committed) by the
 * server, while the client only sees its link end. A terminated backend
 * dies before it reads the COMMIT, or after it has sent the answer.
 *
 * A client that sees its transaction committed records it; one that gets
 * `CommitOutcomeUnknown` records it as unknown and moves on with a new id
 * (it could ask the database, but the test wants to count); any other
 * failure is safe: the client retries the same transaction, same id, and
 * counts the retry. When the time is up (`TPCB_SECONDS`, default 8), the
 * database decides: every id in the history appears once; every id the
 * client saw committed is there; the ones there that the client did not see
 * committed all failed with the outcome-unknown error; no transaction given
 * up after a safe failure is there; and every account, teller and branch
 * balance is the sum of its history deltas (so the four sums agree).
 *
 * Run it longer by hand: `TPCB_SECONDS=60 npx jest test/faults/tpcb`; the
 * counts are printed.
 */
import { CommitOutcomeUnknown, Connection, ConnectionPool, DeadConnectionDetector, type Cursor } from '../../src/index';
import { captureUnhandledFailures, type CapturedFailures } from '../../src/defer';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { createTestDatabase, type TestDatabase } from '../support/server';

const SECONDS = tpcbSeconds();
const CLIENTS = 10;
const TELLERS = 10;
const ACCOUNTS = 100_000;
const FAULT_EVERY_MS = 500;

/** One TPC-B transaction: its id and what it changes. */
interface Tx {
  id: string;
  aid: number;
  tid: number;
  bid: number;
  delta: number;
}

/** What the clients saw. */
interface Log {
  committed: Map<string, Tx>;
  unknown: Map<string, Tx>;
  /** Given up after a safe failure because the time was up. */
  abandoned: Map<string, Tx>;
  retried: number;
  /** Safe failures by error code. */
  failures: Map<string, number>;
  terminated: number;
  linkCuts: number;
}

let db: TestDatabase;
let proxy: FaultProxy;
let admin: Connection;
let unhandled: CapturedFailures;

beforeAll(async () => {
  db = await createTestDatabase('tpcb');
  const u = new URL(db.url());
  proxy = await startFaultProxy({ targetHost: u.hostname, targetPort: Number(u.port) });
  admin = new Connection();
  await admin.connect(db.url());
  await createTables(admin);
}, 120_000);
afterAll(async () => {
  admin?.close();
  await proxy?.close();
  await db?.drop();
});
beforeEach(() => {
  unhandled = captureUnhandledFailures();
});
afterEach(() => unhandled.restore());

describe('TPC-B under killed backends and cut links', () => {
  it(`commits every transaction at most once, and reports every one it cannot vouch for as outcome-unknown (${SECONDS} s)`, async () => {
    const pool = new ConnectionPool({
      min: CLIENTS,
      max: CLIENTS,
      connect: viaProxy(db.url()),
      connectionOptions: { connectTimeoutMs: 10_000 },
      detector: () => new DeadConnectionDetector({ reconnectionIterator: quickSchedule }),
    });
    await pool.start();
    const log: Log = { committed: new Map(), unknown: new Map(), abandoned: new Map(), retried: 0, failures: new Map(), terminated: 0, linkCuts: 0 };
    const deadline = Date.now() + SECONDS * 1000;
    const timeUp = (): boolean => Date.now() >= deadline;
    const faults = injectFaults(pool, log, timeUp);
    await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(pool, k, log, timeUp)));
    await faults;
    await pool.close();

    const history = await historyById(admin);
    report(log, history);
    expect(log.committed.size).toBeGreaterThan(0);
    expect(log.terminated).toBeGreaterThan(0);
    expect(log.linkCuts).toBeGreaterThan(0);
    expect([...log.failures.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // the faults hit the load

    expect([...history].filter(([, n]) => n !== 1)).toEqual([]); // no transaction twice
    expect([...log.committed.keys()].filter((id) => !history.has(id))).toEqual([]); // every committed one is there
    expect([...history.keys()].filter((id) => !log.committed.has(id) && !log.unknown.has(id))).toEqual([]); // the rest were outcome-unknown
    expect([...log.abandoned.keys()].filter((id) => history.has(id))).toEqual([]); // a safe failure never committed
    await expectBalancesAddUp(admin, log, history);
  }, (SECONDS + 180) * 1000);
});

/** One client: TPC-B transactions until the time is up; safe failures are retried with the same id. */
async function client(pool: ConnectionPool, k: number, log: Log, timeUp: () => boolean): Promise<void> {
  for (let n = 0; !timeUp(); n++) {
    const tx = newTx(`c${k}-${n}`);
    for (;;) {
      try {
        await pool.runInteraction(tpcb, tx);
        log.committed.set(tx.id, tx);
        break;
      } catch (e) {
        if (e instanceof CommitOutcomeUnknown) {
          log.unknown.set(tx.id, tx);
          break;
        }
        const code = String((e as { code?: unknown }).code ?? (e as Error).name);
        log.failures.set(code, (log.failures.get(code) ?? 0) + 1);
        if (timeUp()) {
          log.abandoned.set(tx.id, tx);
          break;
        }
        log.retried++;
        await sleep(20); // a dead member fails fast: do not spin
      }
    }
  }
}

/** pgbench's TPC-B transaction, with the id in the history row. */
async function tpcb(c: Cursor, tx: Tx): Promise<void> {
  await c.execute('UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2', [tx.delta, tx.aid]);
  await c.execute('SELECT abalance FROM pgbench_accounts WHERE aid = $1', [tx.aid]);
  await c.execute('UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2', [tx.delta, tx.tid]);
  await c.execute('UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2', [tx.delta, tx.bid]);
  await c.execute(
    'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, txid) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP, $5)',
    [tx.tid, tx.bid, tx.aid, tx.delta, tx.id],
  );
}

function newTx(id: string): Tx {
  const rnd = (n: number): number => 1 + Math.floor(Math.random() * n);
  return { id, aid: rnd(ACCOUNTS), tid: rnd(TELLERS), bid: 1, delta: rnd(10_001) - 5001 };
}

/**
 * Every ~500 ms until the time is up: two of the pool's backends terminated;
 * every second time, also every link cut with a FIN at the proxy.
 */
async function injectFaults(pool: ConnectionPool, log: Log, timeUp: () => boolean): Promise<void> {
  for (let tick = 1; !timeUp(); tick++) {
    await sleep(FAULT_EVERY_MS);
    const pids = pool.connections.map((c) => c.processId).filter((p): p is number => p !== undefined && p !== null);
    const victims = shuffle(pids).slice(0, 2);
    if (victims.length > 0) {
      const rows = await admin.runQuery<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid', [victims]);
      log.terminated += rows.filter((r) => r.ok).length;
    }
    if (tick % 2 === 0) {
      proxy.dropAll('fin');
      log.linkCuts++;
    }
  }
}

/** How often each id is in the history. */
async function historyById(conn: Connection): Promise<Map<string, number>> {
  const rows = await conn.runQuery<{ txid: string; n: number }>('SELECT txid, count(*)::int AS n FROM pgbench_history GROUP BY txid');
  return new Map(rows.map((r) => [r.txid, r.n]));
}

/** Each balance is the sum of its history deltas; the four totals agree and match what the clients know. */
async function expectBalancesAddUp(conn: Connection, log: Log, history: Map<string, number>): Promise<void> {
  const off = await conn.runQuery(`
    SELECT 'account' AS kind, count(*)::int AS n FROM pgbench_accounts a
      LEFT JOIN (SELECT aid, sum(delta) AS s FROM pgbench_history GROUP BY aid) h USING (aid) WHERE a.abalance <> coalesce(h.s, 0)
    UNION ALL SELECT 'teller', count(*)::int FROM pgbench_tellers t
      LEFT JOIN (SELECT tid, sum(delta) AS s FROM pgbench_history GROUP BY tid) h USING (tid) WHERE t.tbalance <> coalesce(h.s, 0)
    UNION ALL SELECT 'branch', count(*)::int FROM pgbench_branches b
      LEFT JOIN (SELECT bid, sum(delta) AS s FROM pgbench_history GROUP BY bid) h USING (bid) WHERE b.bbalance <> coalesce(h.s, 0)`);
  expect(off).toEqual([{ kind: 'account', n: 0 }, { kind: 'teller', n: 0 }, { kind: 'branch', n: 0 }]);
  const [sums] = await conn.runQuery<{ a: bigint; t: bigint; b: bigint; h: bigint }>(`
    SELECT (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts)::int8 AS a, (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers)::int8 AS t,
           (SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches)::int8 AS b, (SELECT coalesce(sum(delta), 0) FROM pgbench_history)::int8 AS h`);
  const known = [...history.keys()].reduce((s, id) => s + BigInt((log.committed.get(id) ?? log.unknown.get(id))?.delta ?? NaN), 0n);
  expect(sums).toEqual({ a: known, t: known, b: known, h: known });
}

/** pgbench's tables at scale 1, plus the transaction id in the history. */
async function createTables(conn: Connection): Promise<void> {
  await conn.runQuery(
    `CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int NOT NULL, filler char(88));
     CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int NOT NULL, filler char(84));
     CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
     CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22), txid text NOT NULL);
     INSERT INTO pgbench_branches SELECT 1, 0;
     INSERT INTO pgbench_tellers SELECT tid, 1, 0 FROM generate_series(1, ${TELLERS}) AS tid;
     INSERT INTO pgbench_accounts SELECT aid, 1, 0, '' FROM generate_series(1, ${ACCOUNTS}) AS aid;
     ANALYZE`,
    [],
    { simple: true },
  );
}

/** The summary of a run (the counts asked for by hand runs). */
function report(log: Log, history: Map<string, number>): void {
  const unknownCommitted = [...log.unknown.keys()].filter((id) => history.has(id)).length;
  const failures = [...log.failures].map(([code, n]) => `${code} ${n}`).join(', ');
  console.log(
    `TPC-B ${SECONDS} s, ${CLIENTS} clients: committed ${log.committed.size}, retried ${log.retried}, ` +
      `outcome-unknown ${log.unknown.size} (of which committed ${unknownCommitted}), abandoned ${log.abandoned.size}; ` +
      `faults: ${log.terminated} backends terminated, ${log.linkCuts} link cuts; safe failures: ${failures}`,
  );
}

/** The URL with the proxy in place of the server; no TLS (the members reconnect often, and TLS is not under test). */
function viaProxy(url: string): string {
  const u = new URL(url);
  u.host = `${proxy.host}:${proxy.port}`;
  u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

/** Reconnect at once, then every 100 ms (bounded). */
function* quickSchedule(): Generator<number> {
  yield 0;
  for (let i = 0; i < 600; i++) yield 100;
}

function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `TPCB_SECONDS` (default 8, for CI). */
function tpcbSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TPCB_SECONDS ?? 8);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`TPCB_SECONDS=${env.TPCB_SECONDS}: expected a positive number of seconds`);
  return n;
}
