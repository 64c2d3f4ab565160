/**
 * Basic queries: connect, run parameterised statements, choose the row shape.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/basic-query.ts
 */
import { Connection } from '../src/index';

async function main(): Promise<void> {
  const conn = new Connection();
  await conn.connect(process.env.DATABASE_URL ?? '');
  try {
    await conn.runOperation('CREATE TEMP TABLE fruit (name text, price numeric(6,2), tags text[])');
    await conn.runOperation('INSERT INTO fruit VALUES ($1, $2, $3), ($4, $5, $6)', ['apple', '1.20', ['red', 'sweet'], 'lemon', '0.80', ['sour']]);

    // Rows are objects keyed by column name by default; values are decoded by type.
    const rows = await conn.runQuery<{ name: string; price: string; tags: string[] }>(
      'SELECT name, price, tags FROM fruit WHERE price > $1 ORDER BY name', ['0.50']);
    for (const r of rows) console.log(`basic: ${r.name} costs ${r.price}, tags ${r.tags.join('+')}`);

    // Tuples instead, for one call.
    const tuples = await conn.runQuery<[number, Date]>('SELECT 42, $1::timestamptz', [new Date(Date.UTC(2024, 0, 2))], { rowFactory: 'tuple' });
    console.log(`basic: tuple ${tuples[0][0]} ${tuples[0][1].toISOString()}`);

    // A cursor gives psycopg-style access to the last result.
    const cur = conn.cursor();
    await cur.execute('SELECT count(*)::int AS n FROM fruit');
    console.log(`basic: cursor says ${cur.statusmessage}, n = ${(cur.fetchone() as { n: number }).n}`);
  } finally {
    conn.close();
  }
}

main().catch((err: unknown) => {
  console.error(`basic-query failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
