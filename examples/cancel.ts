/**
 * Cancellation: `conn.cancel(d)` (or `d.cancel()`) sends a real CancelRequest
 * for a running query and fails it with CancelledError; a query still waiting
 * in the pipeline is removed without reaching the server; `timeout` and an
 * AbortSignal cancel the same way.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/cancel.ts
 */
import { CancelledError, Connection, TimeoutError } from '../src/index';

/** How a Deferred ended: the name of its error, or 'ok'. */
function outcome(d: PromiseLike<unknown>): Promise<string> {
  return Promise.resolve(d).then(() => 'ok', (e: unknown) => (e instanceof Error ? e.constructor.name : String(e)));
}

async function main(): Promise<void> {
  const conn = new Connection();
  await conn.connect(process.env.DATABASE_URL ?? '');
  try {
    const started = Date.now();
    const running = conn.runQuery('SELECT pg_sleep(30)');
    const queued = conn.runQuery('SELECT 1 AS queued');
    setTimeout(() => conn.cancel(running), 100);
    setTimeout(() => queued.cancel(), 100);
    const [a, b] = await Promise.all([outcome(running), outcome(queued)]);
    console.log(`cancel: running query -> ${a}, queued query -> ${b}, after ${Date.now() - started} ms`);

    const t = await conn.runQuery('SELECT pg_sleep(30)', [], { timeout: 150 }).then(() => 'ok', (e: unknown) => e);
    console.log(`cancel: timeout -> ${t instanceof TimeoutError ? 'TimeoutError' : String(t)}`);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const s = await conn.runQuery('SELECT pg_sleep(30)', [], { signal: controller.signal }).then(() => 'ok', (e: unknown) => e);
    console.log(`cancel: AbortSignal -> ${s instanceof CancelledError ? 'CancelledError' : String(s)}`);

    const [{ alive }] = await conn.runQuery<{ alive: boolean }>('SELECT true AS alive');
    console.log(`cancel: the connection still answers: alive=${alive}`);
  } finally {
    conn.close();
  }
}

main().catch((err: unknown) => {
  console.error(`cancel failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
