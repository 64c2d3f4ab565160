/**
 * The demo `npm start` runs: a short tour of tspostgres against the server
 * named by DATABASE_URL (over verified TLS when PGCA_FILE names a CA).
 *
 * It shows, in order: connecting, a parameterised query, ten pipelined
 * queries on one connection, an interaction that rolls back, and the
 * cancellation of a running query. Every step prints one line.
 */
import { CancelledError, Connection, gatherResults, type Cursor } from '../src/index';

/** Connection parameters from the environment. */
function target(): { dsn: string; sslmode?: 'verify-full'; sslrootcert?: string } {
  const dsn = process.env.DATABASE_URL;
  if (!dsn) throw new Error('set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
  const ca = process.env.PGCA_FILE;
  return ca ? { dsn, sslmode: 'verify-full', sslrootcert: ca } : { dsn };
}

/** Prints what the server says about itself and this session. */
async function whoIsThere(conn: Connection): Promise<void> {
  const [r] = await conn.runQuery<{ version: string; tls: boolean | null; now: Date }>(
    `SELECT version() AS version, now() AS now,
            (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls`);
  console.log(`demo: connected to ${r.version}`);
  console.log(`demo: backend pid ${conn.processId}, tls ${r.tls}, server time ${r.now.toISOString()}`);
}

/** Ten independent queries, sent without waiting: one round trip for all of them. */
async function pipelined(conn: Connection): Promise<void> {
  const ds = Array.from({ length: 10 }, (_, i) => conn.runQuery<{ sq: number }>('SELECT $1::int * $1::int AS sq', [i]));
  const results = await gatherResults(ds);
  console.log(`demo: pipelined squares ${results.map((rows) => rows[0].sq).join(' ')}`);
}

/** An interaction whose failure rolls back what it wrote. */
async function rolledBack(conn: Connection): Promise<void> {
  await conn.runOperation('CREATE TEMP TABLE demo_accounts (name text PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
  await conn.runOperation(`INSERT INTO demo_accounts VALUES ('alice', 10), ('bob', 0)`);
  const transfer = async (c: Cursor, amount: number): Promise<void> => {
    await c.execute(`UPDATE demo_accounts SET balance = balance + $1 WHERE name = 'bob'`, [amount]);
    await c.execute(`UPDATE demo_accounts SET balance = balance - $1 WHERE name = 'alice'`, [amount]);
  };
  const err = await conn.runInteraction(transfer, 50).then(() => null, (e: Error) => e);
  const rows = await conn.runQuery<{ name: string; balance: number }>('SELECT name, balance FROM demo_accounts ORDER BY name');
  console.log(`demo: transfer failed (${err?.message}); rolled back: ${rows.map((r) => `${r.name}=${r.balance}`).join(', ')}`);
}

/** Cancels a running pg_sleep; the connection answers again at once. */
async function cancelled(conn: Connection): Promise<void> {
  const started = Date.now();
  const d = conn.runQuery('SELECT pg_sleep(30)');
  setTimeout(() => conn.cancel(d), 200);
  const err = await d.then(() => null, (e: unknown) => e);
  const ok = err instanceof CancelledError;
  const [{ one }] = await conn.runQuery<{ one: number }>('SELECT 1 AS one');
  console.log(`demo: cancelled a 30 s query after ${Date.now() - started} ms (${ok ? 'CancelledError' : String(err)}); next query answered ${one}`);
}

async function main(): Promise<void> {
  const conn = new Connection();
  await conn.connect(target());
  try {
    await whoIsThere(conn);
    await pipelined(conn);
    await rolledBack(conn);
    await cancelled(conn);
  } finally {
    conn.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
