/**
 * Exactly-once change data capture into a table of the same (or another)
 * database: each replicated transaction is applied in one local transaction
 * that also stores its commit LSN.
 *
 * Theory of operation. A replication stream is at-least-once: a transaction
 * whose acknowledgement did not reach the server (a crash between applying
 * and acknowledging, or an outage) is sent again. Exactly-once needs the
 * consumer's help: it applies a transaction's changes and records the
 * transaction's commit LSN in one `runInteraction` (BEGIN .. COMMIT) on a
 * normal connection pool, and skips any transaction whose commit LSN is at
 * or below the stored one. Only after that COMMIT is the transaction's
 * Commit message acknowledged, so the server forgets nothing that was not
 * applied, and what it sends again is recognised and skipped.
 *
 * Messages inside a transaction are acknowledged as they are buffered:
 * for pgoutput the stream reports to the server only acknowledged
 * transaction ends, so this moves nothing on the server, and it keeps the
 * stream reading (unacknowledged messages pace it: a transaction larger
 * than the stream's `highWaterMark` would otherwise stall it). After an
 * outage in the middle of a transaction the stream does not deliver the
 * acknowledged head again; the buffer here still holds it.
 *
 * Run directly, it is a demo on a fresh database (DATABASE_URL): source and
 * mirror tables, a publication and a slot; three transactions applied, a
 * "crash" before the third is acknowledged, a second session that skips the
 * third (already applied) and applies a fourth; the mirror equals the
 * source; everything is dropped at the end.
 */
import {
  Connection, ConnectionPool, DeadConnectionDetector, PgoutputDecoder, ReplicationConnection, formatLsn, parseLsn, quoteIdent, quoteQualified,
  type Cursor, type PgoutputMessage, type ReplicationMessage, type ReplicationStream,
} from '../src/index';
import { ensurePublication, writeOut } from './cdc';

/** The row changes of one transaction, as pgoutput decoded them. */
type RowChange = Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' | 'truncate' }>;

/** Options of {@link applyExactlyOnce}. */
export interface ExactlyOnceOptions {
  /** The walsender's connection string (replication=database is added). */
  dsn: string | undefined;
  /** Where the mirror lives and the applied LSN is stored. */
  pool: ConnectionPool;
  slot: string;
  publication: string;
  /** The mirror table of each source table (`schema.table` -> target name). */
  targets: Readonly<Record<string, string>>;
  /** The table holding each slot's last applied commit LSN (created when missing). */
  positionTable?: string;
  /** Progress lines (default: nowhere). */
  log?: (line: string) => void;
  /** For the demo: after this many applied transactions, stop without acknowledging the last one (a simulated crash). */
  crashAfter?: number;
}

/** A running applier. */
export interface Applier {
  readonly stream: ReplicationStream;
  /** Transactions applied, and transactions skipped as already applied. */
  readonly counts: { applied: number; skipped: number };
  /** Fires when the stream ends. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts applying the slot's transactions exactly once; see the file comment. */
export async function applyExactlyOnce(o: ExactlyOnceOptions): Promise<Applier> {
  const positions = o.positionTable ?? 'cdc_applied_lsn';
  const log = o.log ?? (() => undefined);
  await o.pool.runOperation(`CREATE TABLE IF NOT EXISTS ${quoteQualified(positions)} (slot text PRIMARY KEY, commit_lsn pg_lsn NOT NULL)`);
  const repl = new ReplicationConnection({ detector: new DeadConnectionDetector() });
  await repl.connect(o.dsn);
  const stream = repl.startReplication({ slot: o.slot, plugin: 'pgoutput', options: { proto_version: 1, publication_names: o.publication } });
  stream.gaps$.subscribe((g) => log(`gap: resumed at ${formatLsn(g.resumeLsn)} after ${g.error.message}`));
  const decoder = new PgoutputDecoder(repl.types, { protoVersion: 1 });
  const counts = { applied: 0, skipped: 0 };
  let changes: RowChange[] = [];
  let crashed = false;

  const consume = async (m: ReplicationMessage): Promise<void> => {
    if (crashed) return;
    const msg = decoder.decode(m.bytes, m.dataStart);
    if (msg.tag === 'begin') changes = [];
    if (msg.tag === 'insert' || msg.tag === 'update' || msg.tag === 'delete' || msg.tag === 'truncate') changes.push(msg);
    if (msg.tag !== 'commit') return m.ack(); // moves nothing on the server (not a transaction end); keeps the stream reading
    const applied = await o.pool.runInteraction(applyTransaction, o.slot, msg.commitLsn, changes, o.targets, positions);
    if (applied) counts.applied++;
    else counts.skipped++;
    log(`${applied ? 'applied' : 'skipped (already applied)'} commit ${formatLsn(msg.commitLsn)}: ${changes.length} change(s)`);
    changes = [];
    if (o.crashAfter !== undefined && counts.applied >= o.crashAfter) {
      crashed = true; // committed locally, never acknowledged: the server will send it again
      setImmediate(() => void stop());
      return;
    }
    m.ack(); // after COMMIT: the server may forget this transaction
  };

  const done = Promise.resolve(stream.consumeStream(consume));
  const stop = async (): Promise<void> => {
    await stream.stop();
    repl.close();
  };
  return { stream, counts, done, stop };
}

/**
 * One replicated transaction in one local transaction (run by
 * `runInteraction`): locks the slot's stored LSN, skips the transaction if
 * its commit LSN is not above it, otherwise applies its changes and stores
 * the new LSN. Fires with whether it applied.
 */
export async function applyTransaction(
  c: Cursor, slot: string, commitLsn: bigint, changes: readonly RowChange[], targets: Readonly<Record<string, string>>, positions: string,
): Promise<boolean> {
  await c.execute(`SELECT commit_lsn::text AS lsn FROM ${quoteQualified(positions)} WHERE slot = $1 FOR UPDATE`, [slot]);
  const row = c.fetchone<{ lsn: string }>();
  if (row !== null && parseLsn(row.lsn) >= commitLsn) return false;
  for (const change of changes) await applyChange(c, change, targets);
  await c.execute(
    `INSERT INTO ${quoteQualified(positions)} (slot, commit_lsn) VALUES ($1, $2::pg_lsn) ON CONFLICT (slot) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn`,
    [slot, formatLsn(commitLsn)],
  );
  return true;
}

/** Applies one row change to its mirror table (by the relation's replica identity columns). */
async function applyChange(c: Cursor, m: RowChange, targets: Readonly<Record<string, string>>): Promise<void> {
  const targetOf = (r: { namespace: string; name: string }): string => {
    const t = targets[`${r.namespace}.${r.name}`];
    if (t === undefined) throw new Error(`no target table for ${r.namespace}.${r.name}`);
    return quoteQualified(t);
  };
  if (m.tag === 'truncate') {
    await c.execute(`TRUNCATE ${m.relations.map(targetOf).join(', ')}`);
    return;
  }
  const table = targetOf(m.relation);
  const keys = m.relation.columns.filter((col) => col.isKey).map((col) => col.name);
  const where = (row: Record<string, unknown>, from: number): { sql: string; params: unknown[] } => ({
    sql: keys.map((k, i) => `${quoteIdent(k)} = $${from + i}`).join(' AND '),
    params: keys.map((k) => row[k]),
  });
  if (m.tag === 'insert') {
    const cols = Object.keys(m.new);
    await c.execute(`INSERT INTO ${table} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((k) => m.new[k]));
  } else if (m.tag === 'update') {
    const cols = Object.keys(m.new).filter((k) => typeof m.new[k] !== 'symbol'); // an unchanged TOASTed value is not sent
    const w = where(m.old ?? m.new, cols.length + 1);
    await c.execute(`UPDATE ${table} SET ${cols.map((k, i) => `${quoteIdent(k)} = $${i + 1}`).join(', ')} WHERE ${w.sql}`, [...cols.map((k) => m.new[k]), ...w.params]);
  } else {
    const w = where(m.old, 1);
    await c.execute(`DELETE FROM ${table} WHERE ${w.sql}`, w.params);
  }
}

/** The demo; see the file comment. */
async function demo(dsn: string | undefined): Promise<void> {
  const id = `${process.pid}`;
  const [src, dst, slot, publication, positions] = [`cdc_eo_src_${id}`, `cdc_eo_dst_${id}`, `cdc_eo_${id}`, `cdc_eo_pub_${id}`, `cdc_eo_applied_${id}`];
  const conn = new Connection();
  await conn.connect(dsn);
  const pool = new ConnectionPool({ min: 1, max: 2, connect: dsn });
  await pool.start();
  const repl = new ReplicationConnection();
  await repl.connect(dsn);
  const say = (line: string): Promise<void> => writeOut(`exactly-once: ${line}\n`);
  try {
    for (const t of [src, dst]) await conn.runOperation(`CREATE TABLE ${quoteIdent(t)} (id int PRIMARY KEY, v text)`);
    await ensurePublication(conn, publication, src);
    await repl.createReplicationSlot(slot, { plugin: 'pgoutput', snapshot: 'nothing' });
    for (const [i, v] of [[1, 'one'], [2, 'two'], [3, 'three']] as const) await conn.runOperation(`INSERT INTO ${quoteIdent(src)} VALUES ($1, $2)`, [i, v]);
    const targets = { [`public.${src}`]: dst };
    const common = { dsn, pool, slot, publication, targets, positionTable: positions, log: (l: string) => void say(l) };

    const first = await applyExactlyOnce({ ...common, crashAfter: 3 });
    await first.done;
    await say(`session 1 applied ${first.counts.applied}, then stopped before acknowledging the last`);

    await conn.runOperation(`UPDATE ${quoteIdent(src)} SET v = 'TWO' WHERE id = 2`);
    const second = await applyExactlyOnce(common);
    const deadline = Date.now() + 30_000;
    while (second.counts.applied + second.counts.skipped < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await second.stop();
    await say(`session 2 skipped ${second.counts.skipped} already applied, applied ${second.counts.applied}`);

    const rows = async (t: string): Promise<string> => JSON.stringify(await conn.runQuery(`SELECT id, v FROM ${quoteIdent(t)} ORDER BY id`));
    const [a, b] = [await rows(src), await rows(dst)];
    await say(`mirror equals source: ${a === b} ${b}`);
  } finally {
    await repl.dropReplicationSlot(slot, { wait: true }).then(() => undefined, () => undefined);
    repl.close();
    await pool.close();
    await conn.runOperation(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    for (const t of [src, dst, positions]) await conn.runOperation(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
    conn.close();
  }
}

if (require.main === module) {
  demo(process.env.DATABASE_URL || undefined).catch((err: unknown) => {
    process.stderr.write(`cdc-exactly-once: ${err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)}\n`);
    process.exitCode = 1;
  });
}
