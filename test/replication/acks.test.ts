/**
 * AckTracker: the flush position follows only what was acknowledged, by
 * prefix of delivery order; with known transaction boundaries only
 * transaction ends count, and the acknowledged head of a half-acknowledged
 * transaction is what a resume skips; never while a streamed transaction is
 * open. Boundary classifiers for test_decoding and pgoutput.
 */
import { AckTracker } from '../../src/replication/acks';
import { classifierFor } from '../../src/replication/boundaries';

const td = classifierFor('test_decoding');

/** Delivers test_decoding texts at the given LSNs; returns their numbers. */
function deliver(t: AckTracker, ...items: Array<[bigint, string]>): number[] {
  return items.map(([lsn, text]) => t.deliver(lsn, text.length, text));
}

describe('AckTracker', () => {
  test('physical: the flush position is the end of the last acknowledged WAL chunk', () => {
    const t = new AckTracker(null, true);
    const [a, b] = [t.deliver(100n, 50, new Uint8Array(50)), t.deliver(150n, 30, new Uint8Array(30))];
    expect(t.flushLsn).toBe(0n);
    expect(t.ackSeq(a)).toBe(true);
    expect(t.flushLsn).toBe(150n);
    expect(t.unacknowledged).toBe(1);
    expect(t.unacknowledgedBytes).toBe(30);
    t.ackSeq(b);
    expect(t.flushLsn).toBe(180n);
    expect(t.resume()).toBe(0);
  });

  test('acknowledgement is by prefix and never goes back', () => {
    const t = new AckTracker(null, false);
    const seqs = [10n, 20n, 30n].map((l) => t.deliver(l, 1, 'x'));
    t.ackSeq(seqs[2]);
    expect(t.flushLsn).toBe(30n);
    expect(t.unacknowledged).toBe(0);
    expect(t.ackSeq(seqs[0])).toBe(false);
    expect(t.flushLsn).toBe(30n);
  });

  test('ackLsn acknowledges up to the last delivered message at or below it; beyond everything, it moves the position itself', () => {
    const t = new AckTracker(null, false);
    deliver(t, [10n, 'a'], [20n, 'b'], [30n, 'c']);
    t.ackLsn(25n);
    expect(t.flushLsn).toBe(20n);
    expect(t.unacknowledged).toBe(1);
    t.ackLsn(30n);
    t.ackLsn(99n); // a position the consumer stored: nothing delivered is left, no transaction open
    expect(t.flushLsn).toBe(99n);
  });

  test('test_decoding: only an acknowledged COMMIT moves the flush position (the server resends partial transactions)', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t, [100n, 'BEGIN'], [100n, 'table public.t: INSERT: id[integer]:1'], [120n, 'table public.t: INSERT: id[integer]:2'], [140n, 'COMMIT']);
    t.ackSeq(s[2]);
    expect(t.flushLsn).toBe(0n);
    expect(t.resume()).toBe(3); // BEGIN and two rows acknowledged: the server sends them again, skip them
  });

  test('interleaved transactions: a BEGIN below the last COMMIT does not lower the flush position', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t, [150n, 'BEGIN'], [160n, 'table x'], [200n, 'COMMIT'], [100n, 'BEGIN'], [120n, 'table y'], [300n, 'COMMIT']);
    t.ackSeq(s[4]);
    expect(t.flushLsn).toBe(200n);
    expect(t.resume()).toBe(2);
    // after the resume, acknowledgements of messages from before it are ignored (they come again with new numbers)
    expect(t.ackSeq(s[5])).toBe(false);
    const again = deliver(t, [300n, 'COMMIT']);
    t.ackSeq(again[0]);
    expect(t.flushLsn).toBe(300n);
  });

  test('a non-transactional message outside a transaction is its own end', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t, [50n, 'message: transactional: 0 prefix: p, sz: 1 content:x']);
    t.ackSeq(s[0]);
    expect(t.flushLsn).toBe(50n);
  });

  test('while a streamed transaction is open nothing is skipped on resume, and its end is only at its commit', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t,
      [10n, 'opening a streamed block for transaction TXN 700'],
      [11n, 'streaming change for TXN 700'],
      [12n, 'closing a streamed block for transaction TXN 700'],
      [20n, 'BEGIN'],
      [21n, 'table t'],
    );
    t.ackSeq(s[4]);
    expect(t.flushLsn).toBe(0n);
    expect(t.resume()).toBe(0);
    const t2 = new AckTracker(td, false);
    const s2 = deliver(t2, [10n, 'opening a streamed block for transaction TXN 700'], [12n, 'closing a streamed block for transaction TXN 700'], [30n, 'committing streamed transaction TXN 700']);
    t2.ackSeq(s2[2]);
    expect(t2.flushLsn).toBe(30n);
  });

  test('pgoutput Relation/Type messages are never counted for the resume skip (a new session sends them again)', () => {
    const t = new AckTracker(classifierFor('pgoutput'), false);
    const s = [t.deliver(10n, 1, Uint8Array.of(0x42)), t.deliver(10n, 1, Uint8Array.of(0x52)), t.deliver(11n, 1, Uint8Array.of(0x49))];
    t.ackSeq(s[2]);
    expect(t.resume()).toBe(2); // Begin and Insert; not the Relation
    expect(t.isMeta(Uint8Array.of(0x52))).toBe(true);
    expect(t.isMeta(Uint8Array.of(0x49))).toBe(false);
  });

  test('idleAt: an idle logical stream takes the keepalive position; never with a message unacknowledged or a transaction open', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t, [100n, 'BEGIN'], [110n, 'table t'], [140n, 'COMMIT'], [200n, 'BEGIN'], [210n, 'table t']);
    expect(t.idleAt(500n)).toBe(false); // five delivered, none acknowledged
    expect(t.flushLsn).toBe(0n);
    t.ackSeq(s[2]);
    expect(t.idleAt(500n)).toBe(false); // the second transaction's messages are unacknowledged
    expect(t.flushLsn).toBe(140n);
    t.ackSeq(s[4]);
    expect(t.unacknowledged).toBe(0);
    expect(t.idleAt(500n)).toBe(false); // all acknowledged, but its COMMIT has not come: the transaction is open
    expect(t.flushLsn).toBe(140n);
    const c = deliver(t, [300n, 'COMMIT']);
    t.ackSeq(c[0]);
    expect(t.flushLsn).toBe(300n);
    expect(t.idleAt(500n)).toBe(true); // idle: the keepalive's position
    expect(t.flushLsn).toBe(500n);
    expect(t.idleAt(400n)).toBe(false); // never backwards
    expect(t.flushLsn).toBe(500n);
    expect(t.resume()).toBe(0);
  });

  test('idleAt: not while a streamed transaction is open; not for physical streams', () => {
    const t = new AckTracker(td, false);
    const s = deliver(t, [10n, 'opening a streamed block for transaction TXN 700'], [12n, 'closing a streamed block for transaction TXN 700']);
    t.ackSeq(s[1]);
    expect(t.idleAt(99n)).toBe(false);
    expect(t.flushLsn).toBe(0n);
    const c = deliver(t, [30n, 'committing streamed transaction TXN 700']);
    t.ackSeq(c[0]);
    expect(t.idleAt(99n)).toBe(true);
    expect(t.flushLsn).toBe(99n);
    const p = new AckTracker(null, true);
    expect(p.idleAt(99n)).toBe(false);
    expect(p.flushLsn).toBe(0n);
  });

  test('an unknown plugin: every acknowledged message moves the position, nothing is skipped', () => {
    const t = new AckTracker(classifierFor('wal2json'), false);
    const s = deliver(t, [10n, '{"change":[]}'], [20n, '{"change":[]}']);
    t.ackSeq(s[0]);
    expect(t.flushLsn).toBe(10n);
    expect(t.resume()).toBe(0);
  });
});

describe('boundaries', () => {
  const pg = classifierFor('pgoutput')!;
  const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
  test.each([
    [bytes(0x42), 'begin'], [bytes(0x62), 'begin'],
    [bytes(0x43), 'end'], [bytes(0x50), 'end'], [bytes(0x4b), 'end'], [bytes(0x72), 'end'],
    [bytes(0x49), 'inside'], [bytes(0x55), 'inside'], [bytes(0x52), 'meta'], [bytes(0x59), 'meta'],
    [bytes(0x4d, 0), 'standalone'], [bytes(0x4d, 1), 'inside'],
  ])('pgoutput %p is %s', (payload, kind) => {
    expect(pg(payload).kind).toBe(kind);
  });

  test('pgoutput streamed transactions are tracked by xid', () => {
    expect(pg(bytes(0x53, 0, 0, 1, 0, 1))).toEqual({ kind: 'streamed', xid: 256, closes: false });
    expect(pg(bytes(0x45))).toEqual({ kind: 'streamed', xid: null, closes: false });
    expect(pg(bytes(0x63, 0, 0, 1, 0))).toEqual({ kind: 'streamed', xid: 256, closes: true });
    expect(pg(bytes(0x41, 0, 0, 1, 0))).toEqual({ kind: 'streamed', xid: 256, closes: true });
  });

  test('test_decoding texts', () => {
    expect(td!('BEGIN 730').kind).toBe('begin');
    expect(td!('COMMIT 730').kind).toBe('end');
    expect(td!('PREPARE TRANSACTION \'x\', txid 5').kind).toBe('end');
    expect(td!('table public.t: INSERT: id[integer]:1').kind).toBe('inside');
    expect(td!(new TextEncoder().encode('COMMIT'))).toEqual({ kind: 'end' });
  });

  test('no classifier for other plugins', () => {
    expect(classifierFor('wal2json')).toBeNull();
    expect(classifierFor(undefined)).toBeNull();
  });
});
