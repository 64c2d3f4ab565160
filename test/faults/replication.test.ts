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
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { adminQuery, createTestDatabase, describeServer, testServer, type TestDatabase } from '../support/server';
import { describeResult, replicationCycles, replicationRows, runScenario, until, type FaultTarget, type Plugin } from './replication-rig';

const CYCLES = replicationCycles();
const ROWS = replicationRows();
const SLOT = `tsp_rfault_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

describeServer('fault: logical replication stream', () => {
  const dbs: TestDatabase[] = [];
  let proxy: FaultProxy;

  beforeAll(async () => {
    const { host, port } = testServer();
    proxy = await startFaultProxy({ targetHost: host, targetPort: port });
  }, 60_000);

  afterAll(async () => {
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

  it.each(cases)('%s, %s: every committed change applied once, in commit order; one gap per outage; the slot never ahead', async (plugin, fault, inject, proxied) => {
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
});
