/**
 * Real fault: a blackholed link (the fault proxy holds every byte, both
 * ways, while TCP stays up). Keepalive would take minutes; the heartbeat
 * (200 ms interval, 2 s deadline) notices within seconds.
 */
import { adminQuery } from '../support/server';
import { HeartbeatTimeout } from '../../src/reconnect/death';
import { errorOf, expectDeadCallFailsFast, expectListenWorks, expectNothingPending, expectOutageStates, until, watched, type Watched, useFaultProxy } from './helpers';

let w: Watched | undefined;

const link = useFaultProxy();
afterEach(() => {
  link.proxy.unstall({ discard: true });
  w?.close();
});

describe('fault: blackholed link (proxy.stall)', () => {
  it('is declared dead by the heartbeat, fails calls fast, reconnects once the link flows again and LISTENs again', async () => {
    w = await watched(link.viaProxy(), 'fault_stall', { heartbeat: { intervalMs: 200, timeoutMs: 2000 } }, 3000);
    link.proxy.stall();
    // TCP stays up and nothing is in flight: only the heartbeat can declare the link dead
    await until(() => w!.detector.connectionIsDead, 20_000, 'death by heartbeat');
    expect(w.detector.heartbeatProbe!.timeouts).toBe(1);
    expect((await expectDeadCallFailsFast(w)).cause).toBeInstanceOf(HeartbeatTimeout);
    await until(() => w!.states.some((s) => s.startsWith('reconnecting:')), 30_000, 'a failed attempt through the stalled link');
    link.proxy.unstall({ discard: true });
    await expectListenWorks(w, 'fault_stall', (p) => adminQuery(`NOTIFY fault_stall, '${p}'`));
    expect(await errorOf(w.track(w.conn.runQuery('SELECT 1')))).toBeNull();
    expectOutageStates(w.states);
    expectNothingPending(w);
  }, 120_000);

  it('fails a query caught in the stall when its operation deadline passes, then recovers', async () => {
    w = await watched(link.viaProxy(), 'fault_stall_op', { operationDeadlineMs: 1000 }, 3000);
    link.proxy.stall();
    // without the deadline the query would wait forever on the stalled link (no heartbeat here)
    const e = await errorOf(w.track(w.conn.runQuery('SELECT 1')));
    expect(e).toMatchObject({ code: 'ERR_OPERATION_DEADLINE', timeoutMs: 1000 });
    expect(w.detector.connectionIsDead).toBe(true);
    link.proxy.unstall({ discard: true });
    await until(() => w!.conn.state === 'ready', 30_000, 'recovery');
    expectNothingPending(w);
  }, 120_000);
});
