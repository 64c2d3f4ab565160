/**
 * Real fault: a blackholed link (the fault proxy holds every byte, both
 * ways, while TCP stays up). Keepalive would take minutes; the heartbeat
 * (200 ms interval, 500 ms deadline) notices at once.
 */
import { adminQuery } from '../support/server';
import { deadCallMs, errorOf, expectListenWorks, expectNothingPending, expectOutageStates, until, watched, type Watched, useFaultProxy } from './helpers';

let w: Watched | undefined;

const link = useFaultProxy();
afterEach(() => {
  link.proxy.unstall({ discard: true });
  w?.close();
});

describe('fault: blackholed link (proxy.stall)', () => {
  it('is declared dead by the heartbeat, fails calls fast, reconnects once the link flows again and LISTENs again', async () => {
    w = await watched(link.viaProxy(), 'fault_stall', { heartbeat: { intervalMs: 200, timeoutMs: 500 } }, 1000);
    const started = Date.now();
    link.proxy.stall();
    await until(() => w!.detector.connectionIsDead, 5000, 'death by heartbeat');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(w.detector.heartbeatProbe!.timeouts).toBe(1);
    expect(await deadCallMs(w)).toBeLessThan(100);
    await until(() => w!.states.some((s) => s.startsWith('reconnecting:')), 5000, 'a failed attempt through the stalled link');
    link.proxy.unstall({ discard: true });
    await expectListenWorks(w, 'fault_stall', (p) => adminQuery(`NOTIFY fault_stall, '${p}'`));
    expect(await errorOf(w.track(w.conn.runQuery('SELECT 1')))).toBeNull();
    expectOutageStates(w.states);
    expectNothingPending(w);
  }, 30_000);

  it('fails a query caught in the stall when its operation deadline passes, then recovers', async () => {
    w = await watched(link.viaProxy(), 'fault_stall_op', { operationDeadlineMs: 1000 }, 1000);
    link.proxy.stall();
    const start = Date.now();
    const e = await errorOf(w.track(w.conn.runQuery('SELECT 1')));
    expect(e).toMatchObject({ code: 'ERR_OPERATION_DEADLINE' });
    expect(Date.now() - start).toBeLessThan(3000);
    expect(w.detector.connectionIsDead).toBe(true);
    link.proxy.unstall({ discard: true });
    await until(() => w!.conn.state === 'ready', 15_000, 'recovery');
    expectNothingPending(w);
  }, 30_000);
});
