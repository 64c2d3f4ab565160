/**
 * Real faults on a logical replication stream (issue 13), test_decoding and
 * pgoutput, on the shared test server: the walsender terminated
 * (pg_terminate_backend of its pid in pg_stat_replication), and the link
 * blackholed by the fault proxy (the stream's own liveness check notices;
 * the held bytes are discarded). `REPLICATION_CYCLES` cycles each while a
 * writer commits `REPLICATION_ROWS` rows; judged by the database (see
 * replication-rig.ts). The server restart is in replication-restart.test.ts
 * (a private cluster).
 */
import { DeadConnectionDetector, PgoutputDecoder, ReplicationConnection, type ReplicationGap, type ReplicationMessage } from '../../src/index';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { adminQuery, createTestDatabase, describeServer, testServer, type TestDatabase } from '../support/server';
import { describeResult, replicationCycles, replicationRows, runScenario, until, type FaultTarget, type Plugin } from './replication-rig';

const CYCLES = replicationCycles();
const ROWS = replicationRows();
const SLOT = `tsp_rfault_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('fault: logical replication stream', () => {
  const dbs: TestDatabase[] = [];
  const closers: Array<() => void> = [];
  let proxy: FaultProxy;

  beforeAll(async () => {
    const { host, port } = testServer();
    proxy = await startFaultProxy({ targetHost: host, targetPort: port });
  }, 60_000);

  afterAll(async () => {
    closers.forEach((close) => close());
    proxy?.unstall({ discard: true });
    await proxy?.close();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const left = await adminQuery(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE '${SLOT}%'`);
      if (left.length === 0) break;
      await adminQuery(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '${SLOT}%' AND NOT active`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const db of dbs) await db.drop();
  }, 60_000);

  /** A database of the scenario's own. */
  async function freshDatabase(name: string): Promise<string> {
    const db = await createTestDatabase(`repl_${name}`);
    dbs.push(db);
    return db.url();
  }

  const viaProxy = (url: string): string => {
    const u = new URL(url);
    u.host = `${proxy.host}:${proxy.port}`;
    u.searchParams.set('sslmode', 'disable');
    return u.toString();
  };

  async function terminateWalsender(t: FaultTarget): Promise<void> {
    const pid = t.repl.processId;
    // the walsender of the stream, as the server lists it
    const rows = await adminQuery<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_replication WHERE pid = $1', [pid]);
    expect(rows).toEqual([{ ok: true }]);
  }

  async function blackhole(t: FaultTarget): Promise<void> {
    const failed = t.failedAttempts();
    proxy.stall();
    await until(() => t.stream.state === 'reconnecting', 30_000, 'the stream noticing the dead link');
    await until(() => t.failedAttempts() > failed, 30_000, 'a failed reconnection attempt through the blackhole');
    proxy.unstall({ discard: true });
  }

  const cases: Array<[Plugin, string, (t: FaultTarget) => Promise<void>, boolean]> = [
    ['test_decoding', 'walsender terminated', terminateWalsender, false],
    ['pgoutput', 'walsender terminated', terminateWalsender, false],
    ['test_decoding', 'link blackholed', blackhole, true],
    ['pgoutput', 'link blackholed', blackhole, true],
  ];

  it.each(cases)('%s, %s: every committed change applied once, in commit order; one gap per outage; the slot never past an unacknowledged commit', async (plugin, fault, inject, proxied) => {
    const tag = `${plugin === 'pgoutput' ? 'pgo' : 'td'}_${proxied ? 'bh' : 'term'}`;
    const url = await freshDatabase(tag);
    const r = await runScenario({
      plugin, slot: `${SLOT}_${tag}`, cycles: CYCLES, rows: ROWS,
      replicationUrl: proxied ? viaProxy(url) : url, directUrl: url,
      fault: inject,
    });
    console.log(describeResult(`${plugin}, ${fault}, ${CYCLES} cycles`, r));
    expect(r.violations).toEqual([]);
    expect(r.counts).toMatchObject({ duplicates: 0, lost: 0, split: 0, outOfOrder: 0, gaps: CYCLES });
    expect(r.counts.appliedRows).toBe(r.counts.rows);
    expect(r.counts.rows).toBeGreaterThan(0);
    expect(r.deaths).toBe(CYCLES);
    expect(r.resumes).toBe(CYCLES);
    expect(r.samples).toBeGreaterThan(CYCLES);
  }, 600_000);

  it('pgoutput resumed inside a half-acknowledged transaction: the new session\'s Relation message is delivered, no acknowledged row again', async () => {
    const url = await freshDatabase('relation');
    await adminQuery('CREATE TABLE t (id int NOT NULL); CREATE PUBLICATION rel_pub FOR TABLE t', [], url);
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [0, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000] });
    const repl = new ReplicationConnection({ detector });
    closers.push(() => repl.close());
    await repl.connect(url);
    const slot = `${SLOT}_relation`;
    await repl.createReplicationSlot(slot, { plugin: 'pgoutput', snapshot: 'nothing' });
    await adminQuery('INSERT INTO t VALUES (0)', [], url); // the first session describes t here, in an earlier transaction
    await adminQuery('INSERT INTO t SELECT g FROM generate_series(1, 10) g', [], url); // BEGIN, 10 rows, COMMIT
    const stream = repl.startReplication({ slot, options: { proto_version: '1', publication_names: 'rel_pub' } });
    let decoder = new PgoutputDecoder(repl.types);
    const seen: string[] = [];
    const errors: string[] = [];
    let acking = true;
    stream.onStateChange((s) => {
      if (s === 'reconnecting') decoder = new PgoutputDecoder(repl.types); // a new session describes relations again
    });
    stream.onMessage((m: ReplicationMessage) => {
      let text: string;
      try {
        const d = decoder.decode(m.bytes, m.dataStart);
        text = d.tag === 'insert' ? `insert ${String(d.new.id)}` : d.tag;
      } catch (e) {
        errors.push((e as Error).message);
        return;
      }
      seen.push(text);
      if (acking) m.ack();
      if (text === 'insert 4') acking = false; // acknowledged: the first transaction, and BEGIN + 4 rows of the second
    });
    await until(() => seen.length === 16, 20_000, 'both transactions'); // begin relation insert commit, begin 10 inserts commit
    expect(seen.slice(0, 4)).toEqual(['begin', 'relation', 'insert 0', 'commit']);
    const gap = new Promise<ReplicationGap>((resolve) => stream.onGap(resolve));
    await adminQuery('SELECT pg_terminate_backend($1)', [repl.processId]);
    await gap;
    await until(() => seen.length >= 16 + 8 || errors.length > 0, 20_000, 'the rest of the second transaction');
    expect(errors).toEqual([]);
    expect(seen.slice(16)).toEqual(['relation', 'insert 5', 'insert 6', 'insert 7', 'insert 8', 'insert 9', 'insert 10', 'commit']);
    await stream.stop();
    await repl.dropReplicationSlot(slot, { wait: true });
    repl.close();
  }, 120_000);
});
