/** Heartbeat on a VirtualReactor with a fake connection: probes idle-and-ready only, aborts on a missed deadline. */
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { Deferred } from '../../src/defer';
import { Heartbeat } from '../../src/reconnect/heartbeat';

function target(): { state: string; busy: boolean; queries: Array<Deferred<unknown>>; aborted: Error[]; runQuery(sql: string): Deferred<unknown>; abortSession(e: Error): void } {
  return {
    state: 'ready',
    busy: false,
    queries: [],
    aborted: [],
    runQuery(_sql: string) {
      const d = new Deferred<unknown>();
      this.queries.push(d);
      return d;
    },
    abortSession(e: Error) {
      this.aborted.push(e);
    },
  };
}

describe('Heartbeat', () => {
  it('probes every intervalMs while the connection is ready and idle', () => {
    const reactor = new VirtualReactor();
    const t = target();
    const hb = new Heartbeat(t, reactor, { intervalMs: 200, timeoutMs: 500 });
    hb.start();
    reactor.advance(199);
    expect(t.queries).toHaveLength(0);
    reactor.advance(1);
    expect(t.queries).toHaveLength(1);
    t.queries[0].callback([]);
    reactor.advance(200);
    expect(hb.probes).toBe(2);
    hb.stop();
  });

  it('skips a tick while the connection is busy or not ready, and never overlaps probes', () => {
    const reactor = new VirtualReactor();
    const t = target();
    const hb = new Heartbeat(t, reactor, { intervalMs: 100, timeoutMs: 1000 });
    hb.start();
    t.busy = true;
    reactor.advance(100);
    t.busy = false;
    t.state = 'reconnecting';
    reactor.advance(100);
    expect(hb.probes).toBe(0);
    t.state = 'ready';
    reactor.advance(300);
    expect(hb.probes).toBe(1);
    hb.stop();
  });

  it('aborts the session with HeartbeatTimeout when a probe misses its deadline', () => {
    const reactor = new VirtualReactor();
    const t = target();
    const hb = new Heartbeat(t, reactor, { intervalMs: 200, timeoutMs: 500 });
    hb.start();
    reactor.advance(699);
    expect(t.aborted).toHaveLength(0);
    reactor.advance(1);
    expect(t.aborted).toEqual([expect.objectContaining({ code: 'ERR_HEARTBEAT_TIMEOUT', timeoutMs: 500 })]);
    expect(hb.timeouts).toBe(1);
    hb.stop();
  });

  it('drops the deadline of a probe in flight when stopped', () => {
    const reactor = new VirtualReactor();
    const t = target();
    const hb = new Heartbeat(t, reactor, { intervalMs: 100, timeoutMs: 100 });
    hb.start();
    reactor.advance(100);
    hb.stop();
    reactor.advance(1000);
    expect(t.aborted).toHaveLength(0);
    expect(hb.running).toBe(false);
  });

  it('counts a failed probe as answered (the detector judges the failure)', () => {
    const reactor = new VirtualReactor();
    const t = target();
    const hb = new Heartbeat(t, reactor, { intervalMs: 100, timeoutMs: 50 });
    hb.start();
    reactor.advance(100);
    t.queries[0].errback(new Error('probe failed'));
    reactor.advance(50);
    expect(t.aborted).toHaveLength(0);
    hb.stop();
  });
});
