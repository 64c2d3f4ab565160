/**
 * Real fault: the backend process is frozen with SIGSTOP while the kernel
 * keeps its socket open (a hung server). The heartbeat declares death; the
 * detector connects to a fresh backend. SIGCONT in cleanup, always.
 */
import { adminQuery, testServer } from '../support/server';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { HeartbeatTimeout } from '../../src/reconnect/death';
import { expectDeadCallFailsFast, expectListenWorks, expectNothingPending, expectOutageStates, until, watched, type Watched } from './helpers';

let proxy: FaultProxy;
let w: Watched | undefined;
const frozen: number[] = [];

beforeAll(async () => {
  const { host, port } = testServer();
  proxy = await startFaultProxy({ targetHost: host, targetPort: port });
});
afterEach(() => {
  for (const pid of frozen.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  }
  w?.close();
});
afterAll(async () => {
  await proxy.close();
});

describe('fault: backend frozen with SIGSTOP', () => {
  it('is declared dead by the heartbeat, fails calls fast, and recovers on a new backend with LISTEN again', async () => {
    const u = new URL(testServer().url);
    u.host = `${proxy.host}:${proxy.port}`;
    w = await watched(u.toString(), 'fault_sigstop', { heartbeat: { intervalMs: 200, timeoutMs: 2000 } });
    const pid = w.conn.processId!;
    process.kill(pid, 'SIGSTOP');
    frozen.push(pid);
    // an idle connection to a frozen backend sees nothing for minutes: only the heartbeat (200 ms interval, 2 s deadline: room for a loaded machine) can declare it dead
    await until(() => w!.detector.connectionIsDead, 20_000, 'death by heartbeat');
    expect(w.detector.heartbeatProbe!.timeouts).toBe(1);
    expect(w.states.find((s) => s.startsWith('dead'))).toMatch(/heartbeat/i);
    expect((await expectDeadCallFailsFast(w)).cause).toBeInstanceOf(HeartbeatTimeout);
    await expectListenWorks(w, 'fault_sigstop', (p) => adminQuery(`NOTIFY fault_sigstop, '${p}'`));
    expect(w.conn.processId).not.toBe(pid);
    expectOutageStates(w.states);
    expectNothingPending(w);
  }, 120_000);
});
