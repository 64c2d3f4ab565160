/**
 * txpostgres' TxPostgresCancellationTestCase, plus the guarantees we add:
 * a real CancelRequest that stops the server's work at once, queued work
 * removed without running, per-query timeouts and AbortSignal.
 */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { CancelledError, Connection, Cursor, TimeoutError } from '../../src/index';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';
import { settle, VIRTUAL_DSN } from '../reconnect/virtual-server';
import { errorResponse, FakeBackend, field } from '../support/fake-backend';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('cancel');
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('CREATE TABLE t (x int)');
});
afterAll(async () => {
  conn.close();
  await db.drop();
});

async function stateOf(pid: number): Promise<string | null> {
  const rows = await adminQuery<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows[0]?.state ?? null;
}

/** Waits until the backend runs a statement containing `pg_sleep` (a loaded machine may take seconds to get there). */
async function waitUntilRunning(pid: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const rows = await adminQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'",
      [pid],
    );
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the statement never started');
}

describe('cancellation', () => {
  it('cancels a running query with conn.cancel(d) (test_simpleCancellation)', async () => {
    const d = conn.runQuery('SELECT pg_sleep(5)');
    await waitUntilRunning(conn.processId!);
    conn.cancel(d);
    const err = await d.then(() => null, (e: unknown) => e as CancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err!.serverCancelled).toBe(true);
  });

  it('cancels with d.cancel(), which never throws (test_directCancellation)', async () => {
    const d = conn.runQuery('SELECT pg_sleep(5)');
    await waitUntilRunning(conn.processId!);
    expect(() => d.cancel()).not.toThrow();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
  });

  it('fails as soon as the server stops the statement (not when it ends), leaves the backend idle, and the connection answers next', async () => {
    const d = conn.runQuery('SELECT pg_sleep(10)');
    await waitUntilRunning(conn.processId!);
    d.cancel();
    const err = await d.then(() => null, (e: unknown) => e as CancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    // the server stopped the statement with 57014 at our CancelRequest: it did not sleep its 10 s out
    expect(err!.serverCancelled).toBe(true);
    expect((err!.cause as { code?: string }).code).toBe('57014');
    expect(await stateOf(conn.processId!)).toBe('idle');
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('rolls back an interaction whose statement is cancelled (test_cancelInteraction)', async () => {
    const d = conn.runInteraction(async (c: Cursor) => {
      await c.execute('INSERT INTO t VALUES (1)');
      await c.execute('SELECT pg_sleep(5)');
    });
    await waitUntilRunning(conn.processId!);
    d.cancel();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('cancels a running and a queued query, each with CancelledError (test_cancelMultipleQueries)', async () => {
    const running = conn.runInteraction((c: Cursor) => c.execute('SELECT pg_sleep(5)'));
    const queued = conn.runQuery('INSERT INTO t VALUES (42)');
    await waitUntilRunning(conn.processId!);
    queued.cancel();
    running.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await expect(queued).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM t WHERE x = 42')).toEqual([{ n: 0 }]);
  });

  it('fails a per-query timeout with TimeoutError and stops the server work', async () => {
    const err = await conn.runQuery('SELECT pg_sleep(10)', [], { timeout: 100 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(await stateOf(conn.processId!)).toBe('idle');
  });

  it('cancels through an AbortSignal', async () => {
    const ac = new AbortController();
    const d = conn.runQuery('SELECT pg_sleep(10)', [], { signal: ac.signal });
    await waitUntilRunning(conn.processId!);
    ac.abort();
    await expect(d).rejects.toBeInstanceOf(CancelledError);
    expect(await conn.runQuery('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });

  it('cancels a pipelined statement only when it runs, never its neighbour', async () => {
    const first = conn.runQuery<{ v: number }>('SELECT 1 AS v FROM pg_sleep(0.2)');
    const second = conn.runQuery('SELECT pg_sleep(5)');
    second.cancel();
    expect((await first)[0].v).toBe(1);
    await expect(second).rejects.toBeInstanceOf(CancelledError);
  });

});

/**
 * The race of a CancelRequest with the pipeline, scripted: a CancelRequest
 * lands on whatever the backend runs when it arrives, so one meant for a
 * statement that has just finished can cancel the next one. The scripted
 * backend (on a VirtualReactor, so "within 1 s of our CancelRequest" is
 * virtual time) holds every extended-protocol round until the test answers it.
 */
describe('a CancelRequest that hits the neighbour (scripted backend, virtual clock)', () => {
  type Round = { backend: FakeBackend; sql: string; messages: FrontendMessage[] };
  const CANCELED = { C: '57014', M: 'canceling statement due to user request' };

  let reactor: VirtualReactor;
  let rounds: Round[];
  let cancels: Array<Extract<FrontendMessage, { type: 'CancelRequest' }>>;
  let conn: Connection;

  beforeEach(async () => {
    reactor = new VirtualReactor();
    rounds = [];
    cancels = [];
    reactor.listen({ kind: 'tcp', host: VIRTUAL_DSN.host, port: VIRTUAL_DSN.port }, () => {
      const be = new FakeBackend();
      const names = new Map<string, string>();
      let current: FrontendMessage[] = [];
      be.onMessage('StartupMessage', () => be.acceptStartup({ processId: 77, secretKey: Uint8Array.of(9, 8, 7, 6) }));
      be.onMessage('CancelRequest', (m) => {
        cancels.push(m);
        be.close();
      });
      for (const type of ['Parse', 'Bind', 'Describe', 'Execute'] as const) be.onMessage(type, (m) => current.push(m));
      be.onMessage('Parse', (m) => names.set(m.name, m.sql));
      be.onMessage('Sync', () => {
        const bind = current.find((m) => m.type === 'Bind') as Extract<FrontendMessage, { type: 'Bind' }> | undefined;
        rounds.push({ backend: be, sql: bind ? names.get(bind.statement) ?? '?' : '?', messages: current });
        current = [];
      });
      return be;
    });
    conn = new Connection({ reactor, env: {} });
    const d = conn.connect(VIRTUAL_DSN);
    await settle(reactor, d);
  });
  afterEach(() => conn.close());

  /** The rounds that executed `sql`, in order. */
  const runsOf = (sql: string): Round[] => rounds.filter((r) => r.sql === sql && r.messages.some((m) => m.type === 'Execute'));

  /** Answers a round as a server does: one reply per message up to Sync; an error skips the rest. */
  function answer(round: Round, outcome: { value: string } | { error: typeof CANCELED }): void {
    const column = field('v');
    const out: BackendMessage[] = [];
    for (const m of round.messages) {
      if (m.type === 'Parse') out.push({ type: 'ParseComplete' });
      else if (m.type === 'Bind') out.push({ type: 'BindComplete' });
      else if (m.type === 'Describe') {
        if (m.target === 'S') out.push({ type: 'ParameterDescription', typeOids: [] });
        out.push({ type: 'RowDescription', fields: [column] });
      } else if (m.type === 'Execute') {
        if ('error' in outcome) {
          out.push(errorResponse(outcome.error));
          break;
        }
        out.push({ type: 'DataRow', fields: [new TextEncoder().encode(outcome.value)] }, { type: 'CommandComplete', tag: 'SELECT 1' });
      }
    }
    out.push({ type: 'ReadyForQuery', status: 'I' });
    round.backend.send(...out);
    reactor.flush();
  }

  /** Two pipelined statements; the first is cancelled while it runs, its CancelRequest is sent. */
  async function cancelFirstOfTwo(): Promise<{ first: ReturnType<Connection['runQuery']>; second: ReturnType<Connection['runQuery']> }> {
    const first = conn.runQuery('SELECT 1 AS v');
    const second = conn.runQuery('SELECT 2 AS v');
    reactor.flush();
    expect(runsOf('SELECT 1 AS v')).toHaveLength(1);
    first.cancel();
    reactor.flush();
    expect(cancels).toEqual([{ type: 'CancelRequest', processId: 77, secretKey: Uint8Array.of(9, 8, 7, 6) }]);
    // the first statement finished before the CancelRequest landed; the next one it reached is the second
    answer(runsOf('SELECT 1 AS v')[0], { value: '1' });
    await settle(reactor, first);
    const err = await first.then(() => null, (e: unknown) => e as CancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err!.serverCancelled).toBe(false);
    reactor.flush();
    expect(runsOf('SELECT 2 AS v')).toHaveLength(1);
    return { first, second };
  }

  it('runs again a statement hit by a CancelRequest meant for its neighbour', async () => {
    const { second } = await cancelFirstOfTwo();
    answer(runsOf('SELECT 2 AS v')[0], { error: CANCELED });
    expect(second.called).toBe(false);
    expect(runsOf('SELECT 2 AS v')).toHaveLength(2); // sent again at once
    answer(runsOf('SELECT 2 AS v')[1], { value: '2' });
    await settle(reactor, second);
    expect(await second).toEqual([{ v: '2' }]);
    expect(cancels).toHaveLength(1);
  });

  it('runs it again at most 3 times, then fails with the server error', async () => {
    const { second } = await cancelFirstOfTwo();
    for (let i = 0; i < 4; i++) answer(runsOf('SELECT 2 AS v')[i], { error: CANCELED });
    await settle(reactor, second);
    expect(runsOf('SELECT 2 AS v')).toHaveLength(4);
    expect(await second.then(() => null, (e: unknown) => e)).toMatchObject({ code: '57014' });
  });

  it('does not run again a statement cancelled 1 s or more (virtual time) after our last CancelRequest', async () => {
    const { second } = await cancelFirstOfTwo();
    reactor.advance(1000);
    answer(runsOf('SELECT 2 AS v')[0], { error: CANCELED });
    await settle(reactor, second);
    expect(runsOf('SELECT 2 AS v')).toHaveLength(1);
    expect(await second.then(() => null, (e: unknown) => e)).toMatchObject({ code: '57014' });
  });
});
