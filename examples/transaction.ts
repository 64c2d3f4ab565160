/**
 * Transactions with runInteraction: BEGIN, your function, COMMIT; any failure
 * rolls back and passes the error on. A nested interaction on the cursor is a
 * savepoint; runInteractionWith sets isolation and retries serialization failures.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/transaction.ts
 */
import { Connection, DatabaseError, type Cursor } from '../src/index';

/** Moves `amount` from one account to another inside the caller's transaction. */
async function transfer(c: Cursor, from: string, to: string, amount: number): Promise<number> {
  await c.execute('UPDATE account SET balance = balance - $1 WHERE name = $2', [amount, from]);
  await c.execute('UPDATE account SET balance = balance + $1 WHERE name = $2', [amount, to]);
  await c.execute('SELECT sum(balance)::int AS total FROM account');
  return (c.fetchone() as { total: number }).total;
}

async function balances(conn: Connection): Promise<string> {
  const rows = await conn.runQuery<{ name: string; balance: number }>('SELECT name, balance FROM account ORDER BY name');
  return rows.map((r) => `${r.name}=${r.balance}`).join(' ');
}

async function main(): Promise<void> {
  const conn = new Connection();
  await conn.connect(process.env.DATABASE_URL ?? '');
  try {
    await conn.runOperation('CREATE TEMP TABLE account (name text PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
    await conn.runOperation(`INSERT INTO account VALUES ('alice', 100), ('bob', 20)`);

    const total = await conn.runInteraction(transfer, 'alice', 'bob', 30);
    console.log(`transaction: committed, total ${total}: ${await balances(conn)}`);

    const err = await conn.runInteraction(transfer, 'bob', 'alice', 500).then(() => null, (e: unknown) => e);
    console.log(`transaction: rolled back (${err instanceof DatabaseError ? err.code : String(err)}): ${await balances(conn)}`);

    // A savepoint: the inner failure is undone, the outer work commits.
    await conn.runInteraction(async (c: Cursor) => {
      await c.execute(`UPDATE account SET balance = balance + 1 WHERE name = 'alice'`);
      await c.runInteraction(transfer, 'bob', 'alice', 1000).then(() => undefined, () => undefined);
    });
    console.log(`transaction: savepoint rolled back, outer committed: ${await balances(conn)}`);

    const level = await conn.runInteractionWith({ isolationLevel: 'serializable', readOnly: true, retry: { attempts: 3 } },
      async (c: Cursor) => (await c.execute('SHOW transaction_isolation')).fetchone() as { transaction_isolation: string });
    console.log(`transaction: read-only interaction ran at ${level.transaction_isolation}`);
  } finally {
    conn.close();
  }
}

main().catch((err: unknown) => {
  console.error(`transaction failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
