/**
 * The fault matrix, short (issue 16): the runner of `npm run soak`
 * (scripts/soak/) with 2 cycles on the CI selection (every fault once,
 * every built role at least twice), against a throwaway cluster of its own.
 * A combination fails on anything the database or the harness saw go wrong:
 * committed work lost or done twice, a notification sent while connected
 * not delivered exactly once and in order, an outage not announced, a
 * Deferred pending past its deadline, an unhandled failure, a descriptor
 * left open, RSS growing beyond the bound. Durations are printed, never
 * asserted.
 *
 * Before it, the judges themselves are shown to fail on what they must
 * catch (so a pass of the matrix means something), and the proxy's trickle
 * fault to keep bytes and their order.
 */
import * as net from 'node:net';
import { Notification, NotificationGap } from '../../src/index';
import type { Admin } from '../../scripts/soak/admin';
import { FAULTS } from '../../scripts/soak/faults';
import { WriteLedger } from '../../scripts/soak/ledger';
import { failures, runSoak } from '../../scripts/soak/matrix';
import { NotificationLedger } from '../../scripts/soak/notifications';
import { markdownTable, violationList } from '../../scripts/soak/report';
import { CI_SELECTION, selectCombinations } from '../../scripts/soak/selection';
import { startFaultProxy } from '../support/fault-proxy';

const CYCLES = 2;

/** A notification numbered `n`, as the harness sends it. */
const note = (n: number): Notification => new Notification('soak', String(n), 1);
const gap = (): NotificationGap => new NotificationGap('soak', 0, 1);

describe('the soak judges', () => {
  it('pass a clean notification stream, and excuse what a death may have lost', () => {
    const ledger = new NotificationLedger(1);
    const a = ledger.numberNext(true, 0);
    const b = ledger.numberNext(true, 0);
    ledger.numberNext(false, 0); // sent during the outage: lost
    ledger.received(0, note(a));
    expect(ledger.pending()).toEqual([b]);
    ledger.excuseBefore(Date.now()); // b was on the session that died
    ledger.received(0, gap());
    const c = ledger.numberNext(true, 1);
    ledger.received(0, note(c));
    const { counts, violations } = ledger.judge(1);
    expect(violations).toEqual([]);
    expect(counts).toMatchObject({ trusted: 3, trustedDelivered: 2, excused: 1, untrusted: 1, untrustedDelivered: 0, gaps: 1 });
  });

  it('catch a duplicate, a loss, a reordering, a missing gap and a gap in the wrong place', () => {
    const ledger = new NotificationLedger(1);
    const [a, b, c] = [ledger.numberNext(true, 0), ledger.numberNext(true, 0), ledger.numberNext(true, 1)];
    ledger.numberNext(true, 1); // never arrives
    for (const x of [note(b), note(a), note(a), note(c)]) ledger.received(0, x);
    const { violations } = ledger.judge(1);
    expect(violations).toEqual([
      `subscriber 0: notification ${a} after ${b} (out of order or twice)`,
      `subscriber 0: notification ${a} after ${b} (out of order or twice)`,
      'subscriber 0: 0 gaps for 1 outages',
      `subscriber 0: notification ${c} arrived after 0 gaps, 1 were owed`,
      'subscriber 0: notification 4, sent while connected, never arrived',
    ]);
  });

  it('catch a write done twice, a committed write lost, and a "safe" failure that committed', async () => {
    const ledger = new WriteLedger('t');
    ledger.commit('a');
    ledger.commit('b');
    ledger.outcomeUnknown('c');
    ledger.safeFailure('d', 'ERR_CONNECTION_DEAD', false);
    const table = [{ id: 'a', n: 2 }, { id: 'c', n: 1 }, { id: 'd', n: 1 }];
    const admin = { retry: async () => table } as unknown as Admin;
    const { counts, violations } = await ledger.judge(admin, 1000);
    expect(violations).toEqual([
      'write done twice: a x2',
      'committed write lost: b',
      'write in the table that the client was told failed safely: d',
    ]);
    expect(counts).toMatchObject({ committed: 2, unknown: 1, unknownCommitted: 1, abandoned: 1, duplicates: 1, lost: 1 });
  });

  it('select with --only filters and refuse unknown names', () => {
    expect(selectCombinations(['blackhole:pool'])).toEqual([{ fault: 'blackhole', role: 'pool' }]);
    expect(selectCombinations([':replication']).map((c) => c.fault)).toEqual(Object.keys(FAULTS));
    expect(selectCombinations(['terminate']).map((c) => c.role)).toEqual(['listener', 'worker', 'pool', 'pipeline', 'replication']);
    expect(() => selectCombinations(['blackhol:pool'])).toThrow(/unknown fault 'blackhol'/);
    expect(selectCombinations(CI_SELECTION)).toHaveLength(CI_SELECTION.length);
  });
});

describe('the fault proxy trickle', () => {
  it('lets a few bytes through at a time, in order; trickle(0) lets the rest through at once', async () => {
    const received: Buffer[] = [];
    let ended = false;
    const sink = net.createServer((s) => {
      s.on('data', (d: Buffer) => received.push(d));
      s.on('end', () => (ended = true));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const proxy = await startFaultProxy({ targetHost: '127.0.0.1', targetPort: (sink.address() as net.AddressInfo).port });
    const client = net.connect(proxy.port, proxy.host);
    client.on('error', () => undefined);
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      proxy.trickle(7, 5);
      const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      client.write(payload.subarray(0, 1000));
      client.write(payload.subarray(1000));
      await waitUntil(() => Buffer.concat(received).length >= 70); // some has trickled through...
      expect(proxy.trickleBytes).toBeGreaterThan(0); // ...and the rest waits
      expect(payload.subarray(0, Buffer.concat(received).length).equals(Buffer.concat(received))).toBe(true);
      proxy.trickle(0);
      await waitUntil(() => Buffer.concat(received).length >= payload.length);
      expect(Buffer.concat(received).equals(payload)).toBe(true);
      expect(proxy.trickleBytes).toBe(0);
      client.end();
      await waitUntil(() => ended && proxy.connections === 0);
    } finally {
      client.destroy();
      await proxy.close();
      await new Promise((resolve) => sink.close(resolve));
    }
  });
});

describe('soak: the fault matrix, short', () => {
  it(`runs every fault on a role for ${CYCLES} cycles, judged by the database and the harness`, async () => {
    const lines: string[] = [];
    const report = await runSoak({ cycles: CYCLES, only: CI_SELECTION, log: (l) => lines.push(l) });
    console.log(`${markdownTable(report.rows)}\n\n${violationList(failures(report))}${failures(report).length ? `\n\n${lines.join('\n')}` : ''}`);
    expect(report.rows.map((r) => `${r.fault}:${r.role}`)).toEqual(selectCombinations(CI_SELECTION).map((c) => `${c.fault}:${c.role}`));
    expect(failures(report).map((r) => ({ combination: `${r.fault}:${r.role}`, violations: r.violations }))).toEqual([]);
    for (const r of report.rows) {
      expect(r.cyclesDone).toBe(CYCLES);
      // an outage fault really took every connection of the role down, every cycle
      if (FAULTS[r.fault as keyof typeof FAULTS].kind === 'outage') expect(r.outages).toBeGreaterThanOrEqual(CYCLES);
      expect(r.trackedDeferreds + Object.keys(r.counts).length).toBeGreaterThan(0);
    }
  }, 900_000);
});

/** Polls `cond` every 5 ms, for at most 20 s (never a bound on speed). */
async function waitUntil(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
