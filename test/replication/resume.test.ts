/**
 * Resume after a terminated walsender, against the real server: with a
 * DeadConnectionDetector the stream reconnects and starts again from what
 * was acknowledged. Every committed row arrives; nothing acknowledged is
 * delivered again (the acknowledged head of a half-acknowledged
 * transaction is skipped); one gap per outage; the slot's
 * confirmed_flush_lsn is never at or past a commit not acknowledged (past
 * the last acknowledged commit is fine when no commit lies between: an
 * idle stream reports a keepalive's position).
 */
import { Connection, DeadConnectionDetector, parseLsn, ReplicationConnection, type ReplicationGap, type ReplicationMessage } from '../../src/index';
import { judgeSlot, type AheadSample } from '../../scripts/soak/replication-ledger';
import { adminQuery, createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';

const SLOT = `tsp_resume_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('replication resume', () => {
  let db: TestDatabase;
  let sql: Connection;

  beforeAll(async () => {
    db = await createTestDatabase('repl_resume');
    sql = new Connection();
    await sql.connect(db.url());
    await sql.runOperation('CREATE TABLE t (id int PRIMARY KEY)');
  });

  afterAll(async () => {
    sql?.close();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const left = await adminQuery(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [SLOT]);
      if (left.length === 0) break;
      await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [SLOT]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await db?.drop();
  });

  const confirmed = async (): Promise<bigint> => {
    const [row] = await adminQuery<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [SLOT]);
    return parseLsn(row.lsn);
  };

  it('survives pg_terminate_backend of its walsender three times, resuming from the acknowledged position', async () => {
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000] });
    const repl = new ReplicationConnection({ detector });
    await repl.connect(db.url());
    await repl.createReplicationSlot(SLOT, { plugin: 'test_decoding', snapshot: 'nothing' });
    const stream = repl.startReplication({ slot: SLOT, options: { 'include-xids': '0' }, statusIntervalMs: 200 });
    const gaps: ReplicationGap[] = [];
    stream.onGap((g) => void gaps.push(g));
    const delivered: string[] = [];
    const commits: bigint[] = [];
    let lastAckedCommit = 0n;
    let consume: (m: ReplicationMessage) => void = () => undefined;
    stream.onMessage((m) => consume(m));
    consume = (m) => {
      delivered.push(m.text);
      m.ack();
      if (m.text.startsWith('COMMIT')) {
        lastAckedCommit = m.dataStart;
        commits.push(m.dataStart);
      }
    };

    const samples: AheadSample[] = [];
    let next = 0;
    const insert = async (n: number): Promise<number[]> => {
      const ids = Array.from({ length: n }, () => next++);
      await sql.runOperation(`INSERT INTO t SELECT unnest($1::int[])`, [ids]);
      return ids;
    };
    const rows = (texts: string[]): number[] => texts.flatMap((t) => { const m = /id\[integer\]:(\d+)/.exec(t); return m ? [Number(m[1])] : []; });

    await insert(10);
    await until(() => rows(delivered).length >= 10, 20_000, 'the first rows');
    for (let round = 0; round < 3; round++) {
      const pid = repl.processId!;
      const before = gaps.length;
      const [{ ok }] = await adminQuery<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
      expect(ok).toBe(true);
      await insert(5); // committed while the stream is down (or going down)
      await until(() => gaps.length === before + 1, 30_000, `gap ${round + 1}`);
      expect(repl.processId).not.toBe(pid);
      await insert(5);
      await until(() => new Set(rows(delivered)).size >= next, 30_000, `rows up to ${next}`);
      // sampled now, judged at the end: the server never holds a flush position at or past a commit not acknowledged
      stream.sendFeedback({ force: true });
      const slot = await confirmed();
      samples.push({ confirmed: slot, bound: lastAckedCommit, count: 1 }); // the bound read after the answer: acknowledgements only grow
    }
    expect(gaps).toHaveLength(3);
    const judged = { ahead: 0, violations: [] as string[] };
    judgeSlot(samples.filter((x) => x.confirmed > x.bound), commits, judged);
    expect(judged.violations).toEqual([]);
    for (const g of gaps) {
      expect(g.to).toBeGreaterThanOrEqual(g.from);
      expect(g.error).toBeInstanceOf(Error);
    }
    // every committed row, each delivered exactly once (everything delivered was acknowledged at once)
    expect(rows(delivered).sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(stream.stats.resumes).toBe(3);
    await stream.stop();
    await repl.dropReplicationSlot(SLOT);
    repl.close();
  }, 120_000);

  it('after an outage, the acknowledged head of a half-acknowledged transaction is not delivered again; the rest is', async () => {
    const slot = `${SLOT}_half`;
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000] });
    const repl = new ReplicationConnection({ detector });
    await repl.connect(db.url());
    await repl.createReplicationSlot(slot, { plugin: 'test_decoding', snapshot: 'nothing' });
    await sql.runOperation(`INSERT INTO t SELECT g FROM generate_series(5000, 5009) g`); // one transaction: BEGIN, 10 rows, COMMIT
    const stream = repl.startReplication({ slot, options: { 'include-xids': '0' } });
    const delivered: string[] = [];
    let commitAt = 0n;
    let holdAfter = 5; // acknowledge BEGIN and the first 4 rows, then stop acknowledging
    stream.onMessage((m) => {
      delivered.push(m.text);
      if (m.text === 'COMMIT' && commitAt === 0n) commitAt = m.dataStart;
      if (holdAfter > 0) {
        holdAfter--;
        m.ack();
      }
    });
    await until(() => delivered.length === 12, 20_000, 'the whole transaction');
    // no transaction end acknowledged: nothing at or past its COMMIT to tell the server (a keepalive heard
    // while idle, before the transaction arrived, may have reported a position below it)
    expect(stream.stats.ackedLsn).toBeLessThan(commitAt);
    const pid = repl.processId!;
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    const gap = await new Promise<ReplicationGap>((resolve) => stream.onGap(resolve));
    expect(gap.resumeLsn).toBeLessThan(commitAt);
    await until(() => delivered.length >= 12 + 7, 20_000, 'the rest of the transaction again');
    const again = delivered.slice(12);
    expect(again).toEqual([
      ...[5004, 5005, 5006, 5007, 5008, 5009].map((id) => `table public.t: INSERT: id[integer]:${id}`),
      'COMMIT',
    ]);
    await stream.stop();
    await repl.dropReplicationSlot(slot, { wait: true });
    repl.close();
  }, 60_000);
});
