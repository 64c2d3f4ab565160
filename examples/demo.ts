/**
 * The demo `npm start` runs: a small self-contained program that reads
 * DATABASE_URL and shows the server is live. It uses the `pg` package until
 * tspostgres' own Connection exists; later issues grow it into a tour of the
 * driver (runQuery, runInteraction, listen, reconnection).
 */
import * as fs from 'node:fs';
import { Client } from 'pg';

/** Connects to DATABASE_URL (over TLS when PGCA_FILE names a CA) and prints what the server says. */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
  const ca = process.env.PGCA_FILE ? fs.readFileSync(process.env.PGCA_FILE, 'utf8') : undefined;
  const client = new Client({ connectionString: url, ssl: ca ? { ca } : false });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT version() AS version, pg_backend_pid() AS backend, now() AS now,
              (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls,
              current_setting('wal_level') AS wal_level`);
    const r = rows[0];
    console.log(`demo: connected to ${r.version}`);
    console.log(`demo: backend pid ${r.backend}, tls ${r.tls}, wal_level ${r.wal_level}, server time ${new Date(r.now).toISOString()}`);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
