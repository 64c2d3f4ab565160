/**
 * Real fault: the server is stopped for 3 s and started again. A PRIVATE
 * cluster (stopping the shared server would break other test files), reached
 * through the fault proxy.
 */
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { Client } from 'pg';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { errorOf, expectDeadCallFailsFast, expectListenWorks, expectNothingPending, expectOutageStates, until, watched, type Watched } from './helpers';

let cluster: Cluster;
let proxy: FaultProxy;
let w: Watched | undefined;

beforeAll(async () => {
  cluster = await startCluster({ readyTimeoutMs: 120_000 }); // a loaded machine may take a minute
  proxy = await startFaultProxy({ targetHost: cluster.host, targetPort: cluster.port });
}, 180_000);
afterAll(async () => {
  w?.close();
  await proxy?.close();
  await cluster?.destroy();
}, 60_000);

async function notify(payload: string): Promise<void> {
  const c = new Client({ connectionString: cluster.url() });
  await c.connect();
  try {
    await c.query(`NOTIFY fault_restart, '${payload}'`);
  } finally {
    await c.end();
  }
}

describe('fault: server stopped for 3 s, then started', () => {
  it('fails calls fast during the outage, reports each failed attempt, recovers by itself and LISTENs again', async () => {
    const u = new URL(cluster.url());
    u.host = `${proxy.host}:${proxy.port}`;
    w = await watched(u.toString() + '?sslmode=disable', 'fault_restart');
    const inFlight = w.track(w.conn.runQuery('SELECT pg_sleep(30)'));
    await cluster.stop('fast');
    expect(await errorOf(inFlight)).not.toBeNull();
    await until(() => w!.detector.connectionIsDead, 20_000, 'death');
    await expectDeadCallFailsFast(w);
    await new Promise((r) => setTimeout(r, 3000)); // the outage lasts: attempts fail meanwhile
    await expectDeadCallFailsFast(w);
    await cluster.start();
    await expectListenWorks(w, 'fault_restart', notify);
    expect(await w.track(w.conn.runQuery('SELECT 1 AS x'))).toEqual([{ x: 1 }]);
    expectOutageStates(w.states);
    expect(w.states.filter((s) => s.startsWith('reconnecting:')).length).toBeGreaterThanOrEqual(3);
    expectNothingPending(w);
  }, 120_000);
});
