/**
 * The replication judge (scripts/soak/replication-ledger.ts) fails on what
 * it must catch, so a pass of the replication fault tests and of the soak's
 * replication role means something: a transaction applied twice, one lost,
 * one split (a row missing, or another transaction inside it), commits out
 * of order, a row that is not the ledger's; an empty transaction of another
 * session is not a violation.
 */
import { judgeReplication, type AppliedLog, type ChangeEvent, type LedgerEntry } from '../../scripts/soak/replication-ledger';

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
});
