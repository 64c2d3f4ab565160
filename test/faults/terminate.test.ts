/** Real fault: the backend is killed with pg_terminate_backend (SQLSTATE 57P01) through the fault proxy. */
import { adminQuery } from '../support/server';
import { errorOf, expectDeadCallFailsFast, expectListenWorks, expectOutageStates, expectNothingPending, until, watched, type Watched, useFaultProxy } from './helpers';

let w: Watched | undefined;

const link = useFaultProxy();
afterEach(() => w?.close());

describe('fault: pg_terminate_backend', () => {
  it('fails the call in flight, fails calls fast with ConnectionDead, reconnects by itself and LISTENs again', async () => {
    w = await watched(link.viaProxy(), 'fault_terminate');
    const pid = w.conn.processId!;
    const inFlight = w.track(w.conn.runQuery('SELECT pg_sleep(30)'));
    await until(() => w!.conn.busy);
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    const e = await errorOf(inFlight);
    expect(e).not.toBeNull();
    expect(w.detector.connectionIsDead || w.conn.state === 'ready').toBe(true);
    if (w.detector.connectionIsDead) await expectDeadCallFailsFast(w);
    await expectListenWorks(w, 'fault_terminate', (p) => adminQuery(`NOTIFY fault_terminate, '${p}'`));
    expect(w.conn.processId).not.toBe(pid);
    expect(await w.track(w.conn.runQuery('SELECT 1 AS x'))).toEqual([{ x: 1 }]);
    expectOutageStates(w.states);
    expectNothingPending(w);
  }, 120_000);

  it('recovers from a termination while idle (the death comes with the end of the session)', async () => {
    w = await watched(link.viaProxy(), 'fault_terminate_idle');
    const pid = w.conn.processId!;
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => w!.detector.connectionIsDead, 20_000, 'death');
    await expectDeadCallFailsFast(w);
    await expectListenWorks(w, 'fault_terminate_idle', (p) => adminQuery(`NOTIFY fault_terminate_idle, '${p}'`));
    expectNothingPending(w);
  }, 120_000);
});
