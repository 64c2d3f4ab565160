/**
 * The replication judge (scripts/soak/replication-ledger.ts) fails on what
 * it must catch, so a pass of the replication fault tests and of the soak's
 * replication role means something: a transaction applied twice, one lost,
 * one split (a row missing, or another transaction inside it), commits out
 * of order, a row that is not the ledger's; an empty transaction of another
 * session is not a violation. The slot's judge: confirmed_flush_lsn at or
 * past a commit not yet acknowledged is a violation; past the last
 * acknowledged commit with no commit between (an idle stream's keepalive
 * position) is not.
 */
import { commitPositions, judgeReplication, judgeSlot, type AheadSample, type AppliedLog, type ChangeEvent, type LedgerEntry } from '../../scripts/soak/replication-ledger';

const ledger: LedgerEntry[] = [
  { txn: 1, xid: 100, first: 1, n: 2 },
  { txn: 2, xid: 101, first: 3, n: 1 },
  { txn: 3, xid: 102, first: 4, n: 2 },
];

let lsn = 0n;
function txn(t: LedgerEntry, ids = Array.from({ length: t.n }, (_, i) => t.first + i)): ChangeEvent[] {
  return [
    { kind: 'begin', xid: t.xid, lsn: ++lsn },
    ...ids.map((id): ChangeEvent => ({ kind: 'row', id, txn: t.txn, lsn: ++lsn })),
    { kind: 'ledger', txn: t.txn, lsn: ++lsn },
    { kind: 'commit', lsn: ++lsn },
  ];
}

function logOf(applied: ChangeEvent[]): AppliedLog {
  return { applied, errors: [], gaps: [], dropped: 0, rows: applied.filter((e) => e.kind === 'row').length } as unknown as AppliedLog;
}

describe('the replication judge', () => {
  it('passes the committed transactions applied once in order, with an empty transaction of another session among them', () => {
    const first = txn(ledger[0]);
    const empty: ChangeEvent[] = [{ kind: 'begin', xid: 7, lsn: ++lsn }, { kind: 'meta', lsn: ++lsn }, { kind: 'commit', lsn: ++lsn }];
    const { counts, violations } = judgeReplication(ledger, logOf([...first, ...empty, ...txn(ledger[1]), ...txn(ledger[2])]));
    expect(violations).toEqual([]);
    expect(counts).toMatchObject({ transactions: 3, appliedTransactions: 3, rows: 5, appliedRows: 5, empty: 1, duplicates: 0, lost: 0, split: 0, outOfOrder: 0 });
  });

  it('catches a transaction applied twice, and one lost', () => {
    const { counts, violations } = judgeReplication(ledger, logOf([...txn(ledger[0]), ...txn(ledger[0]), ...txn(ledger[2])]));
    expect(violations).toEqual(['transaction 1 applied (acknowledged) twice', 'committed transaction 2 (xid 101, 1 rows) never applied']);
    expect(counts).toMatchObject({ duplicates: 1, lost: 1 });
  });

  it('catches a split transaction: a row missing, another transaction inside it, a COMMIT without its ledger row', () => {
    const inside = [...txn(ledger[0])];
    inside.splice(2, 0, ...txn(ledger[1]).slice(0, 2)); // BEGIN 101 and its row inside transaction 1
    const { violations } = judgeReplication(ledger, logOf([...inside, ...txn(ledger[2], [4])]));
    expect(violations).toEqual(expect.arrayContaining([
      expect.stringMatching(/^split: BEGIN 101 at .* inside transaction xid 100$/),
      expect.stringMatching(/^split: ledger row of 1 inside transaction 2$/),
      'transaction 3: rows 4, committed 4,5',
    ]));
    const noLedger = txn(ledger[0]).filter((e) => e.kind !== 'ledger');
    expect(judgeReplication(ledger, logOf(noLedger)).violations[0]).toMatch(/^split: COMMIT of xid 100 at .* without its ledger row$/);
  });

  it('catches commits out of order and an xid that is not the ledger\'s', () => {
    const [a, b] = [txn(ledger[1]), txn(ledger[0])];
    const { counts, violations } = judgeReplication(ledger, logOf([...a, ...b, ...txn({ ...ledger[2], xid: 999 })]));
    expect(counts.outOfOrder).toBe(1);
    expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/^transaction 1 \(commit .*\) after 2/), 'transaction 3: xid 999, the ledger says 102']));
  });

  describe('the slot', () => {
    // commits at 0x100, 0x200, 0x300 (the applied log's)
    const log = logOf([{ kind: 'begin', xid: 1, lsn: 0xf0n }, { kind: 'commit', lsn: 0x100n }, { kind: 'begin', xid: 2, lsn: 0x1f0n }, { kind: 'commit', lsn: 0x200n }, { kind: 'begin', xid: 3, lsn: 0x2f0n }, { kind: 'commit', lsn: 0x300n }]);
    const judged = (samples: AheadSample[]): { ahead: number; violations: string[] } => {
      const into = { ahead: 0, violations: [] as string[] };
      judgeSlot(samples, commitPositions(log), into);
      return into;
    };

    it('catches a confirmed position at or past a commit not yet acknowledged', () => {
      expect(commitPositions(log)).toEqual([0x100n, 0x200n, 0x300n]);
      const { ahead, violations } = judged([{ confirmed: 0x250n, bound: 0x100n, count: 3 }, { confirmed: 0x300n, bound: 0x200n, count: 1 }]);
      expect(ahead).toBe(4);
      expect(violations).toEqual([
        'confirmed_flush_lsn 0/250 at or past the commit 0/200, not acknowledged (acknowledged up to 0/100)',
        'confirmed_flush_lsn 0/300 at or past the commit 0/300, not acknowledged (acknowledged up to 0/200)',
      ]);
    });

    it('passes a confirmed position past the acknowledged commit with no commit between (an idle stream\'s keepalive)', () => {
      expect(judged([{ confirmed: 0x1ffn, bound: 0x100n, count: 5 }, { confirmed: 0x2ffn, bound: 0x200n, count: 1 }, { confirmed: 0x900n, bound: 0x300n, count: 2 }])).toEqual({ ahead: 0, violations: [] });
    });
  });
});
