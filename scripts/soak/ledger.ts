/**
 * Exactly-once writes, judged by the table.
 *
 * Theory of operation. Every write inserts a row with a unique id into
 * `soak_rows`, which has no unique constraint, so a write done twice shows
 * as two rows. The client side records what it was told: committed,
 * outcome unknown (the driver said it cannot know), or failed safely (the
 * driver's word that nothing was done: the same id is then written again,
 * so a "safe" failure that did commit shows up as a duplicate). At the end
 * the table decides: no id twice, every committed id there, every id there
 * committed or unknown, nothing given up on after a safe failure there.
 */
import type { Admin } from './admin';

/** Counts of a {@link WriteLedger} judgement. */
export interface WriteCounts {
  committed: number;
  unknown: number;
  unknownCommitted: number;
  retried: number;
  abandoned: number;
  rows: number;
  duplicates: number;
  lost: number;
}

/** What the client was told about each id; see the file comment. */
export class WriteLedger {
  private readonly committed = new Set<string>();
  private readonly unknown = new Set<string>();
  private readonly abandoned = new Set<string>();
  /** Safe failures by error code (each was retried with the same id, or abandoned at the end). */
  readonly failures = new Map<string, number>();
  private retries = 0;

  /** @param tag the `role` column of this role's rows */
  constructor(readonly tag: string) {}

  /** The driver reported `id` committed. */
  commit(id: string): void {
    this.committed.add(id);
  }

  /** The driver reported that `id` may or may not have committed. */
  outcomeUnknown(id: string): void {
    this.unknown.add(id);
  }

  /** `id` failed safely with `code`; it is written again (`retry`) or given up on. */
  safeFailure(id: string, code: string, retry: boolean): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
    if (retry) this.retries++;
    else this.abandoned.add(id);
  }

  /** How many ids were reported committed so far. */
  get committedCount(): number {
    return this.committed.size;
  }

  /** Compares with the table; see the file comment. */
  async judge(admin: Admin, ms: number): Promise<{ counts: WriteCounts; violations: string[] }> {
    const rows = await admin.retry<{ id: string; n: number }>('SELECT id, count(*)::int AS n FROM soak_rows WHERE role = $1 GROUP BY id', [this.tag], ms);
    const inTable = new Map(rows.map((r) => [r.id, r.n]));
    const twice = rows.filter((r) => r.n > 1).map((r) => `${r.id} x${r.n}`);
    const lost = [...this.committed].filter((id) => !inTable.has(id));
    const phantom = [...inTable.keys()].filter((id) => !this.committed.has(id) && !this.unknown.has(id));
    const violations = [
      ...twice.map((x) => `write done twice: ${x}`),
      ...lost.map((id) => `committed write lost: ${id}`),
      ...phantom.map((id) => `write in the table that the client was told failed safely: ${id}`),
    ];
    const counts: WriteCounts = {
      committed: this.committed.size,
      unknown: this.unknown.size,
      unknownCommitted: [...this.unknown].filter((id) => inTable.has(id)).length,
      retried: this.retries,
      abandoned: this.abandoned.size,
      rows: rows.reduce((n, r) => n + r.n, 0),
      duplicates: twice.length,
      lost: lost.length,
    };
    return { counts, violations };
  }
}

/** The table of {@link WriteLedger}: no unique constraint, on purpose. */
export const WRITES_TABLE = 'CREATE TABLE soak_rows (id text NOT NULL, role text NOT NULL, at timestamptz NOT NULL DEFAULT now())';
