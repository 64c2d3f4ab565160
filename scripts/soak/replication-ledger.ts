/**
 * Exactly-once for a logical replication stream, judged by the database.
 *
 * Theory of operation. A {@link ChangeWriter} commits transactions one
 * after the other on a connection of its own (never the driver under
 * test): each inserts a run of rows with fresh ids into `repl_rows` and one
 * row into `repl_ledger` naming the transaction (its number, its xid, its
 * first id, its row count). Because transactions are written one at a time,
 * the ledger's order is the commit order, and the ledger *is* the list of
 * committed transactions, whatever the writer was told (a commit whose
 * outcome was unknown is in it or not).
 *
 * An {@link AppliedLog} consumes the stream as a careful consumer does: it
 * collects messages, and now and then "applies" the collected ones (appends
 * them to its log) and acknowledges the last one, in batches of random size
 * that often end inside a transaction. Messages collected but not applied
 * when the stream loses its session are dropped (they were never
 * acknowledged, so the server sends them again). The applied log is
 * therefore exactly what the consumer acknowledged, in order.
 *
 * {@link judgeReplication} compares that log with the ledger: the applied
 * transactions, in order, must be exactly the committed ones, each
 * contiguous (BEGIN, its rows, its ledger row, COMMIT, nothing else in
 * between: never split across a resume), with the right xid, each row
 * once, commit positions increasing; nothing applied (acknowledged) twice,
 * nothing lost. A {@link SlotSampler} reads the slot's
 * `confirmed_flush_lsn` from pg_replication_slots over and over while the
 * run goes on, with the last commit the consumer had acknowledged. The slot
 * may be past that commit (an idle stream reports a keepalive's position
 * as flushed), but never at or past a later commit: at the end, with every
 * commit position known from the applied log, a sample is a violation when
 * a commit lies between the acknowledged one and the slot's position.
 */
import type { ReplicationGap, ReplicationMessage, ReplicationStream, TypeRegistry } from '../../src/index';
import { formatLsn, parseLsn, PgoutputDecoder } from '../../src/index';

/** The writer's tables (inserts only: no replica identity needed). */
export const REPLICATION_TABLES =
  'CREATE TABLE repl_rows (id int NOT NULL, txn int NOT NULL); CREATE TABLE repl_ledger (txn int PRIMARY KEY, xid bigint NOT NULL, first int NOT NULL, n int NOT NULL)';

/** Something that runs SQL text (node-postgres, or the soak's Admin). */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** Commits transactions until stopped; see the file comment. */
export class ChangeWriter {
  /** Rows in transactions the server confirmed committed. */
  committedRows = 0;
  /** Transactions confirmed committed, and those whose outcome is unknown (in the ledger or not). */
  committed = 0;
  unknown = 0;
  /** Rows attempted (committed or not): the writer stops at `target`. */
  attemptedRows = 0;
  /** Rows to write in all (raise it to write more). */
  target = 0;
  private nextTxn = 1;
  private nextId = 1;
  private stopped = false;
  private readonly loop: Promise<void>;

  /**
   * @param db the writer's own connection (reconnects by itself)
   * @param maxRowsPerTxn rows per transaction are drawn from 1..this
   * @param pauseMs pause after each transaction (0: none)
   */
  constructor(private readonly db: SqlRunner, private readonly maxRowsPerTxn = 40, private readonly pauseMs = 0) {
    this.loop = this.run();
  }

  /** Resolves once `target` rows have been attempted. */
  async reached(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.attemptedRows < this.target) {
      if (Date.now() > deadline) throw new Error(`the writer attempted ${this.attemptedRows} of ${this.target} rows in ${ms} ms`);
      await sleep(10);
    }
  }

  /** Stops after the transaction in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.attemptedRows >= this.target) {
        await sleep(5);
        continue;
      }
      const n = Math.min(1 + Math.floor(Math.random() * this.maxRowsPerTxn), this.target - this.attemptedRows);
      const txn = this.nextTxn++;
      const first = this.nextId;
      this.nextId += n;
      this.attemptedRows += n;
      try {
        await this.db.query(
          `BEGIN; INSERT INTO repl_rows SELECT g, ${txn} FROM generate_series(${first}, ${first + n - 1}) g; ` +
            `INSERT INTO repl_ledger VALUES (${txn}, pg_current_xact_id()::text::bigint & 4294967295, ${first}, ${n}); COMMIT`,
        );
        this.committed++;
        this.committedRows += n;
      } catch {
        this.unknown++; // the server may be down: committed or not, the ledger will say
        await sleep(50);
      }
      if (this.pauseMs > 0) await sleep(this.pauseMs);
    }
  }
}

/** One message of the stream, as the judge sees it. */
export type ChangeEvent =
  | { readonly kind: 'begin'; readonly xid: number; readonly lsn: bigint }
  | { readonly kind: 'row'; readonly id: number; readonly txn: number; readonly lsn: bigint }
  | { readonly kind: 'ledger'; readonly txn: number; readonly lsn: bigint }
  | { readonly kind: 'commit'; readonly lsn: bigint }
  /** Not a change (a pgoutput Relation or Type message): ignored by the judge. */
  | { readonly kind: 'meta'; readonly lsn: bigint };

/** Turns messages into events; `reset` is called when the stream lost its session. */
export interface ChangeParser {
  parse(m: ReplicationMessage): ChangeEvent;
  reset(): void;
}

/** test_decoding with `include-xids` on (its default). */
export function testDecodingParser(): ChangeParser {
  return {
    parse(m) {
      const t = m.text;
      const lsn = m.dataStart;
      if (t.startsWith('BEGIN')) return { kind: 'begin', xid: Number(t.slice(6)), lsn };
      if (t.startsWith('COMMIT')) return { kind: 'commit', lsn };
      let x = /^table public\.repl_rows: INSERT: id\[integer\]:(\d+) txn\[integer\]:(\d+)$/.exec(t);
      if (x) return { kind: 'row', id: Number(x[1]), txn: Number(x[2]), lsn };
      x = /^table public\.repl_ledger: INSERT: txn\[integer\]:(\d+) /.exec(t);
      if (x) return { kind: 'ledger', txn: Number(x[1]), lsn };
      throw new Error(`unexpected test_decoding output at ${formatLsn(lsn)}: ${t.slice(0, 120)}`);
    },
    reset() {},
  };
}

/** pgoutput (protocol 1, publication of the two tables) through a PgoutputDecoder. */
export function pgoutputParser(types: TypeRegistry): ChangeParser {
  let decoder = new PgoutputDecoder(types);
  return {
    parse(m) {
      const d = decoder.decode(m.bytes, m.dataStart);
      const lsn = m.dataStart;
      switch (d.tag) {
        case 'begin':
          return { kind: 'begin', xid: d.xid, lsn };
        case 'commit':
          return { kind: 'commit', lsn };
        case 'relation':
        case 'type':
          return { kind: 'meta', lsn };
        case 'insert':
          if (d.relation.name === 'repl_rows') return { kind: 'row', id: Number(d.new.id), txn: Number(d.new.txn), lsn };
          if (d.relation.name === 'repl_ledger') return { kind: 'ledger', txn: Number(d.new.txn), lsn };
          break;
        default:
          break;
      }
      throw new Error(`unexpected pgoutput message ${d.tag} at ${formatLsn(lsn)}`);
    },
    reset() {
      decoder = new PgoutputDecoder(types);
    },
  };
}

/** Options of {@link AppliedLog}. */
export interface AppliedLogOptions {
  /** Batches are drawn from 1..this many messages (default 60). */
  readonly maxBatch?: number;
  /** Collected messages are applied at the latest this long after the first (default 20 ms). */
  readonly flushMs?: number;
  /** Work per message before it is applied, on the real clock (ms; default 0). */
  readonly perMessageMs?: number;
}

/** The consumer; see the file comment. */
export class AppliedLog {
  /** What was applied and acknowledged, in order. */
  readonly applied: ChangeEvent[] = [];
  /** Every gap the stream emitted. */
  readonly gaps: ReplicationGap[] = [];
  /** The position of the last COMMIT acknowledged (0n: none yet). */
  ackedCommitLsn = 0n;
  /** Messages dropped unacknowledged when a session was lost (the server sends them again). */
  dropped = 0;
  /** Rows applied, and the wall-clock time of the last message applied. */
  rows = 0;
  lastAppliedAt = 0;
  /** Errors of the parser (a message it could not read: a violation). */
  readonly errors: string[] = [];
  private pending: Array<{ m: ReplicationMessage; e: ChangeEvent }> = [];
  private batch: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxBatch: number;
  private readonly flushMs: number;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly stream: ReplicationStream, private readonly parser: ChangeParser, options: AppliedLogOptions = {}) {
    this.maxBatch = options.maxBatch ?? 60;
    this.flushMs = options.flushMs ?? 20;
    this.batch = this.draw();
    const perMessageMs = options.perMessageMs ?? 0;
    this.offs.push(stream.onMessage((m) => (perMessageMs > 0 ? sleep(perMessageMs).then(() => this.take(m)) : this.take(m))));
    this.offs.push(stream.onStateChange((s) => {
      if (s !== 'reconnecting') return;
      this.dropped += this.pending.length; // never acknowledged: sent again after the resume
      this.pending = [];
      this.parser.reset();
    }));
    this.offs.push(stream.onGap((g) => void this.gaps.push(g)));
  }

  /** Applies what is collected now (the end of a run). */
  flush(): void {
    this.apply();
  }

  /** Stops consuming. */
  detach(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.offs.forEach((off) => off());
  }

  private take(m: ReplicationMessage): void {
    let e: ChangeEvent;
    try {
      e = this.parser.parse(m);
    } catch (err) {
      this.errors.push((err as Error).message);
      return;
    }
    this.pending.push({ m, e });
    if (this.pending.length >= this.batch) this.apply();
    else this.timer ??= setTimeout(() => {
      this.timer = null;
      this.apply();
    }, this.flushMs);
  }

  private apply(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (const { e } of batch) {
      this.applied.push(e);
      if (e.kind === 'commit') this.ackedCommitLsn = e.lsn;
      if (e.kind === 'row') this.rows++;
    }
    this.lastAppliedAt = Date.now();
    batch[batch.length - 1].m.ack();
    this.batch = this.draw();
  }

  private draw(): number {
    return 1 + Math.floor(Math.random() * this.maxBatch);
  }
}

/** A committed transaction, as the ledger table has it. */
export interface LedgerEntry {
  readonly txn: number;
  readonly xid: number;
  readonly first: number;
  readonly n: number;
}

/** Reads the ledger (committed transactions in commit order) and checks repl_rows against it. */
export async function readLedger(db: SqlRunner): Promise<{ ledger: LedgerEntry[]; rows: number; violations: string[] }> {
  const ledger = (await db.query<{ txn: number; xid: string; first: number; n: number }>('SELECT txn, xid::text AS xid, first, n FROM repl_ledger ORDER BY txn'))
    .map((r) => ({ txn: r.txn, xid: Number(r.xid), first: r.first, n: r.n }));
  const [{ rows, bad }] = await db.query<{ rows: number; bad: number }>(
    'SELECT count(*)::int AS rows, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM repl_ledger l WHERE l.txn = r.txn AND r.id BETWEEN l.first AND l.first + l.n - 1))::int AS bad FROM repl_rows r',
  );
  const expected = ledger.reduce((s, l) => s + l.n, 0);
  const violations = [];
  if (rows !== expected || bad !== 0) violations.push(`the table disagrees with its ledger: ${rows} rows for ${expected}, ${bad} outside their transaction`);
  return { ledger, rows, violations };
}

/** Counts of a {@link judgeReplication}. */
export interface ReplicationCounts {
  transactions: number;
  rows: number;
  appliedTransactions: number;
  appliedRows: number;
  /** Transactions of other sessions with no change of ours (BEGIN, COMMIT): not judged. */
  empty: number;
  duplicates: number;
  lost: number;
  split: number;
  outOfOrder: number;
  gaps: number;
  dropped: number;
}

/** Compares the applied log with the ledger; see the file comment. */
export function judgeReplication(ledger: readonly LedgerEntry[], log: AppliedLog): { counts: ReplicationCounts; violations: string[] } {
  const violations: string[] = [...log.errors.slice(0, 5).map((e) => `parser: ${e}`)];
  const txns = groupTransactions(log.applied, violations);
  let duplicates = 0;
  let outOfOrder = 0;
  const seen = new Set<number>();
  let lastTxn = 0;
  let lastCommit = 0n;
  const byTxn = new Map(ledger.map((l) => [l.txn, l]));
  let empty = 0;
  for (const t of txns) {
    if (t.txn === -1 && t.ids.length === 0) {
      // BEGIN .. COMMIT with no change of ours: another session's transaction with no row change (autovacuum's
      // ANALYZE updating the catalog, say), which test_decoding shows unless skip-empty-xacts is set
      empty++;
      if (t.commit <= lastCommit) violations.push(`an empty transaction (xid ${t.xid}, commit ${formatLsn(t.commit)}) after commit ${formatLsn(lastCommit)}`);
      lastCommit = t.commit;
      continue;
    }
    if (seen.has(t.txn)) {
      duplicates++;
      if (duplicates <= 5) violations.push(`transaction ${t.txn} applied (acknowledged) twice`);
      continue;
    }
    seen.add(t.txn);
    if (t.txn < lastTxn || t.commit <= lastCommit) {
      outOfOrder++;
      if (outOfOrder <= 5) violations.push(`transaction ${t.txn} (commit ${formatLsn(t.commit)}) after ${lastTxn} (commit ${formatLsn(lastCommit)})`);
    }
    lastTxn = t.txn;
    lastCommit = t.commit;
    const want = byTxn.get(t.txn);
    if (want === undefined) {
      violations.push(`transaction ${t.txn} applied but not in the ledger (not committed)`);
      continue;
    }
    if (want.xid !== t.xid) violations.push(`transaction ${t.txn}: xid ${t.xid}, the ledger says ${want.xid}`);
    const ids = Array.from({ length: want.n }, (_, i) => want.first + i);
    if (t.ids.length !== ids.length || t.ids.some((id, i) => id !== ids[i])) {
      violations.push(`transaction ${t.txn}: rows ${describeIds(t.ids)}, committed ${describeIds(ids)}`);
    }
  }
  const lost = ledger.filter((l) => !seen.has(l.txn));
  for (const l of lost.slice(0, 5)) violations.push(`committed transaction ${l.txn} (xid ${l.xid}, ${l.n} rows) never applied`);
  if (lost.length > 5) violations.push(`... ${lost.length} committed transactions never applied in all`);
  const split = violations.filter((v) => v.startsWith('split')).length;
  return {
    counts: {
      transactions: ledger.length, rows: ledger.reduce((s, l) => s + l.n, 0), appliedTransactions: txns.length - empty, appliedRows: log.rows, empty,
      duplicates, lost: lost.length, split, outOfOrder, gaps: log.gaps.length, dropped: log.dropped,
    },
    violations,
  };
}

interface AppliedTxn {
  xid: number;
  txn: number;
  ids: number[];
  commit: bigint;
}

/** Groups the applied events into transactions; anything out of shape is a "split" violation. */
function groupTransactions(events: readonly ChangeEvent[], violations: string[]): AppliedTxn[] {
  const out: AppliedTxn[] = [];
  let open: (AppliedTxn & { ledger: boolean }) | null = null;
  let splits = 0;
  const split = (what: string): void => {
    splits++;
    if (splits <= 5) violations.push(`split: ${what}`);
  };
  for (const e of events) {
    if (e.kind === 'meta') continue;
    if (e.kind === 'begin') {
      if (open !== null) split(`BEGIN ${e.xid} at ${formatLsn(e.lsn)} inside transaction xid ${open.xid}`);
      open = { xid: e.xid, txn: -1, ids: [], commit: 0n, ledger: false };
      continue;
    }
    if (open === null) {
      split(`${e.kind} at ${formatLsn(e.lsn)} outside any transaction`);
      continue;
    }
    if (e.kind === 'row') {
      if (open.ledger) split(`row ${e.id} after the ledger row of transaction ${open.txn}`);
      if (open.txn === -1) open.txn = e.txn;
      else if (open.txn !== e.txn) split(`row ${e.id} of transaction ${e.txn} inside transaction ${open.txn}`);
      open.ids.push(e.id);
    } else if (e.kind === 'ledger') {
      if (open.txn !== -1 && open.txn !== e.txn) split(`ledger row of ${e.txn} inside transaction ${open.txn}`);
      open.txn = e.txn;
      open.ledger = true;
    } else {
      if (!open.ledger && open.ids.length > 0) split(`COMMIT of xid ${open.xid} at ${formatLsn(e.lsn)} without its ledger row`);
      open.commit = e.lsn;
      out.push(open);
      open = null;
    }
  }
  return out;
}

function describeIds(ids: number[]): string {
  if (ids.length === 0) return 'none';
  return ids.length <= 6 ? ids.join(',') : `${ids.length} from ${ids[0]} to ${ids[ids.length - 1]}`;
}

/** A run of equal samples with the slot ahead of the consumer's acknowledged commit. */
export interface AheadSample {
  /** The slot's confirmed_flush_lsn. */
  readonly confirmed: bigint;
  /** The consumer's acknowledged commit position (or the slot's floor) when it was read. */
  readonly bound: bigint;
  /** How many samples in a row saw these two. */
  count: number;
}

/** What {@link SlotSampler} saw, judged by {@link SlotSampler.stop}. */
export interface SlotSamples {
  samples: number;
  /** The slot's active_pid at the last sample (null: inactive), and when (Date.now()). */
  activePid: number | null;
  sampledAt: number;
  /** Samples with confirmed_flush_lsn past the acknowledged commit (an idle stream's keepalive position: fine when no commit lies between). */
  pastAck: number;
  /** Samples with confirmed_flush_lsn at or past a commit the consumer had not acknowledged: violations. */
  ahead: number;
  violations: string[];
}

/**
 * Samples the slot's confirmed_flush_lsn until stopped; see the file
 * comment. The slot may be ahead of the last acknowledged commit (an idle
 * stream reports a keepalive's position as flushed); it must never be at
 * or past a commit the consumer had not acknowledged when it was sampled.
 * That needs the commit positions, known at the end: {@link stop} judges.
 */
export class SlotSampler {
  readonly result: SlotSamples = { samples: 0, activePid: null, sampledAt: 0, pastAck: 0, ahead: 0, violations: [] };
  /** Samples past the acknowledged commit, equal neighbours merged. */
  readonly pastAck: AheadSample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  /**
   * @param db a connection straight to the server (reconnecting by itself)
   * @param slot the slot
   * @param acked the consumer's acknowledged commit position now
   * @param floor the slot's confirmed_flush_lsn when it was created (before anything was acknowledged)
   * @param everyMs pause between samples
   */
  constructor(private readonly db: SqlRunner, private readonly slot: string, private readonly acked: () => bigint, private readonly floor: bigint, private readonly everyMs = 25) {
    this.loop = this.run();
  }

  /**
   * Stops sampling (one last sample first) and judges the samples against
   * `commits`, the commit positions of every transaction applied (the
   * applied log's: {@link commitPositions}; that every committed
   * transaction was applied is {@link judgeReplication}'s to check).
   */
  async stop(commits: () => readonly bigint[]): Promise<SlotSamples> {
    this.stopped = true;
    await this.loop;
    await this.sample().catch(() => undefined);
    judgeSlot(this.pastAck, commits(), this.result);
    return this.result;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sample().catch(() => undefined); // the server may be down
      await sleep(this.everyMs);
    }
  }

  private async sample(): Promise<void> {
    const rows = await this.db.query<{ lsn: string | null; pid: number | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
      [this.slot],
    );
    const bound = maxOf(this.acked(), this.floor); // read after the answer: acknowledgements only grow
    if (rows.length === 0 || rows[0].lsn === null) return;
    this.result.activePid = rows[0].pid;
    this.result.sampledAt = Date.now();
    const confirmed = parseLsn(rows[0].lsn);
    this.result.samples++;
    if (confirmed <= bound) return;
    this.result.pastAck++;
    const last = this.pastAck[this.pastAck.length - 1];
    if (last !== undefined && last.confirmed === confirmed && last.bound === bound) last.count++;
    else this.pastAck.push({ confirmed, bound, count: 1 });
  }
}

/** The commit positions of the applied log, in order. */
export function commitPositions(log: Pick<AppliedLog, 'applied'>): bigint[] {
  return log.applied.filter((e) => e.kind === 'commit').map((e) => e.lsn);
}

/**
 * Judges samples of the slot past the acknowledged commit: one is a
 * violation when some commit `c` lies in `bound < c <= confirmed` (the
 * server would skip a transaction the consumer never acknowledged).
 * Adds to `into.ahead` and `into.violations`.
 */
export function judgeSlot(pastAck: readonly AheadSample[], commits: readonly bigint[], into: Pick<SlotSamples, 'ahead' | 'violations'>): void {
  const sorted = [...commits].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const s of pastAck) {
    const c = firstAfter(sorted, s.bound);
    if (c === null || c > s.confirmed) continue;
    into.ahead += s.count;
    if (into.violations.length < 5) into.violations.push(`confirmed_flush_lsn ${formatLsn(s.confirmed)} at or past the commit ${formatLsn(c)}, not acknowledged (acknowledged up to ${formatLsn(s.bound)})`);
  }
}

/** The first of `sorted` above `lsn`, or null. */
function firstAfter(sorted: readonly bigint[], lsn: bigint): bigint | null {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= lsn) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo] : null;
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
