/**
 * A ConnectionPool: start it, spread queries over its connections, hold one
 * connection for several calls with withConnection, read its stats, close it.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/pool.ts
 */
import { ConnectionPool, gatherResults } from '../src/index';

async function main(): Promise<void> {
  const pool = new ConnectionPool({ min: 2, max: 4, connect: process.env.DATABASE_URL ?? '', acquireTimeoutMs: 5000 });
  await pool.start();
  try {
    // Twenty queries at once: each takes a free connection, the rest wait their turn.
    const ds = Array.from({ length: 20 }, (_, i) => pool.runQuery<{ pid: number; n: number }>('SELECT pg_backend_pid() AS pid, $1::int AS n', [i]));
    const results = (await gatherResults(ds)).map((rows) => rows[0]);
    const pids = new Set(results.map((r) => r.pid));
    console.log(`pool: 20 queries answered in order (${results.map((r) => r.n).join(',')}) by ${pids.size} backends`);

    // The same connection for several statements (a session-level setting here).
    const zone = await pool.withConnection(async (conn) => {
      await conn.runOperation(`SET TIME ZONE 'Asia/Tokyo'`);
      const [row] = await conn.runQuery<{ tz: string }>("SELECT current_setting('TimeZone') AS tz");
      await conn.runOperation('RESET TIME ZONE');
      return row.tz;
    });
    console.log(`pool: withConnection saw TimeZone ${zone}`);

    const total = await pool.runInteraction(async (c) => {
      await c.execute('SELECT sum(x)::int AS s FROM generate_series(1, 10) x');
      return (c.fetchone() as { s: number }).s;
    });
    console.log(`pool: interaction returned ${total}`);
    const s = pool.stats();
    console.log(`pool: stats size ${s.size}, idle ${s.idle}, in use ${s.inUse}, requests ${s.requests}`);
  } finally {
    await pool.close();
  }
}

main().catch((err: unknown) => {
  console.error(`pool failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
