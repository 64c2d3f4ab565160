/**
 * Testing your own code without a server: `tspostgres/testing`'s FakeServer
 * on a VirtualReactor (virtual clock, in-memory connections). The code under
 * test is `claimJob`, a small job queue on top of runInteraction; the checks
 * script the server's answers, drive the virtual world with `settle`, and
 * assert on what the code returned and what the server received, including
 * a retry after a serialization failure, with its backoff on the virtual clock.
 * No PostgreSQL, no sleeps, no real timers (it needs no DATABASE_URL).
 *
 * Run: node -r ./scripts/register-ts.js examples/testing-with-fake-backend.ts
 */
import { strict as assert } from 'node:assert';
import { Connection, type Cursor } from '../src/index';
import { VirtualReactor } from '../reactor/index';
import { FakeServer, resultOf, settle } from '../src/testing/index';

// ------------------------------------------------------------------ the code under test

const CLAIM = 'SELECT id, payload FROM jobs WHERE done_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED';
const FINISH = 'UPDATE jobs SET done_at = now() WHERE id = $1';

/** Claims the oldest open job and marks it done, in one transaction (retried on serialization failures); null when there is none. */
function claimJob(conn: Connection): PromiseLike<{ id: number; payload: string } | null> {
  return conn.runInteractionWith({ isolationLevel: 'serializable', retry: { attempts: 3, delayMs: 100 } }, async (c: Cursor) => {
    await c.execute(CLAIM);
    const job = c.fetchone<{ id: number; payload: string }>();
    if (job !== null) await c.execute(FINISH, [job.id]);
    return job;
  });
}

// ------------------------------------------------------------------ its tests

async function main(): Promise<void> {
  const reactor = new VirtualReactor();
  const server = new FakeServer(reactor);
  server.answer(CLAIM, { fields: [{ name: 'id', type: 'int4' }, 'payload'], rows: [['7', 'send mail']] });
  server.answer(FINISH, { tag: 'UPDATE 1' });

  const conn = new Connection({ reactor, env: {} });
  await settle(reactor, conn.connect(server.dsn));

  // 1. it claims the job and marks it done, in one serializable transaction
  const job = await resultOf(reactor, claimJob(conn));
  assert.deepEqual(job, { id: 7, payload: 'send mail' });
  assert.deepEqual(server.current.executed.map((call) => call.sql), ['BEGIN ISOLATION LEVEL SERIALIZABLE', CLAIM, FINISH, 'COMMIT']);
  assert.deepEqual(server.current.executed[2].params, ['7']);
  console.log(`testing: claimed job ${job?.id} (${job?.payload}) in ${server.current.executed.length} statements`);

  // 2. no open job: null, and nothing is updated
  server.answerOnce(CLAIM, { fields: [{ name: 'id', type: 'int4' }, 'payload'], rows: [] });
  assert.equal(await resultOf(reactor, claimJob(conn)), null);
  assert.equal(server.current.executed.filter((call) => call.sql === FINISH).length, 1);
  console.log('testing: no open job -> null, nothing updated');

  // 3. a serialization failure at COMMIT: the whole transaction runs again, 100 ms (virtual) later
  server.answerOnce('COMMIT', { error: { C: '40001', M: 'could not serialize access due to concurrent update' } });
  const retried = claimJob(conn);
  await settle(reactor);
  const begins = (): number => server.current.executed.filter((call) => call.sql.startsWith('BEGIN')).length;
  assert.equal(begins(), 3); // the first run failed; the retry waits for the virtual clock
  reactor.advance(100);
  assert.deepEqual(await resultOf(reactor, retried), { id: 7, payload: 'send mail' });
  assert.equal(begins(), 4);
  console.log(`testing: serialization failure at COMMIT -> retried after 100 virtual ms (now ${reactor.now()} ms), claimed job 7`);

  // 4. the server goes away mid-transaction: the caller gets the error, nothing hangs
  server.current.hold();
  const lost = claimJob(conn);
  await settle(reactor);
  server.current.kill();
  const error = await resultOf(reactor, lost).then(() => null, (e: Error & { code?: string }) => e);
  assert.equal(error?.code, '57P01');
  console.log(`testing: server terminated mid-transaction -> ${error?.constructor.name} (${error?.code}); connection ${conn.state}`);
  conn.close();
}

main().catch((e: unknown) => {
  console.error('testing example failed:', e);
  process.exitCode = 1;
});
