/**
 * Real fault on a logical replication stream (issue 13): the server
 * stopped (fast and immediate shutdown, alternating) for a second and
 * started again, `REPLICATION_CYCLES` cycles for test_decoding and for
 * pgoutput while a writer commits `REPLICATION_ROWS` rows; judged by the
 * database (see replication-rig.ts). A PRIVATE cluster: stopping the shared
 * server would break other test files.
 */
import { Client } from 'pg';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { describeResult, replicationCycles, replicationRows, runScenario, until, type Plugin } from './replication-rig';

const CYCLES = replicationCycles();
const ROWS = replicationRows();

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ readyTimeoutMs: 120_000 }); // a loaded machine may take a minute
}, 180_000);
afterAll(async () => {
  await cluster?.destroy();
}, 60_000);

async function createDatabase(name: string): Promise<string> {
  const c = new Client({ connectionString: cluster.url('superuser') });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return `${cluster.url('superuser', name)}?sslmode=disable`;
}

describe('fault: the server restarted under a logical replication stream', () => {
  it.each<[Plugin]>([['test_decoding'], ['pgoutput']])('%s: every committed change applied once, in commit order; one gap per outage; the slot never past an unacknowledged commit', async (plugin) => {
    const url = await createDatabase(`repl_restart_${plugin}`);
    const r = await runScenario({
      plugin, slot: `restart_${plugin}`, cycles: CYCLES, rows: ROWS, replicationUrl: url, directUrl: url,
      fault: async (t, cycle) => {
        const failed = t.failedAttempts();
        await cluster.stop(cycle % 2 === 1 ? 'fast' : 'immediate');
        await until(() => t.failedAttempts() > failed, 30_000, 'a failed reconnection attempt while the server is down');
        await cluster.start();
      },
    });
    console.log(describeResult(`${plugin}, server restarted, ${CYCLES} cycles`, r));
    expect(r.violations).toEqual([]);
    expect(r.counts).toMatchObject({ duplicates: 0, lost: 0, split: 0, outOfOrder: 0, gaps: CYCLES });
    expect(r.counts.appliedRows).toBe(r.counts.rows);
    expect(r.counts.rows).toBeGreaterThan(0);
    expect(r.deaths).toBe(CYCLES);
    expect(r.resumes).toBe(CYCLES);
  }, 600_000);
});
