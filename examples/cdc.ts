/**
 * Change data capture: a table's changes as JSON lines on stdout.
 *
 * Theory of operation. A `ReplicationConnection` streams the slot's changes
 * through the `pgoutput` plugin (the plugin of PostgreSQL's built-in logical
 * replication) for one publication. Each XLogData payload is decoded by a
 * `PgoutputDecoder`; inserts, updates, deletes and truncates become one JSON
 * line each on stdout. A change is acknowledged only after stdout's write
 * callback has fired (the line has left this process), so the server is
 * never told a position is flushed before its line was written: after a
 * crash the slot sends the unwritten changes again (at-least-once).
 * `consumeStream` waits for each write before handing out the next message,
 * and unacknowledged messages pace the stream, so a slow reader of stdout
 * slows the server down instead of filling memory.
 *
 * Faults: the connection has a DeadConnectionDetector. When the walsender
 * is terminated, the server restarts or the link dies, the stream
 * reconnects by itself and restarts from the last acknowledged position;
 * nothing acknowledged is written twice. Each outage is reported on stderr
 * as a `gap` line, state changes as `state` lines (stdout stays JSON lines
 * of changes only).
 *
 * Two ways to run it (`node -r ./scripts/register-ts.js examples/cdc.ts`):
 * - with CDC_SLOT set, it follows that slot (created with pgoutput when
 *   missing, and kept: a restart resumes from it) for the publication
 *   CDC_PUBLICATION (default `<slot>_pub`, created FOR TABLE CDC_TABLE when
 *   missing) until SIGINT/SIGTERM, or until CDC_MAX changes were written
 *   (it stops at the end of that transaction, once acknowledged);
 * - without CDC_SLOT, a self-contained demo: it creates a table, a
 *   publication and a temporary slot, makes three changes itself, prints
 *   them and exits.
 * The connection string comes from DATABASE_URL (else the PG* variables).
 */
import {
  Connection, DeadConnectionDetector, PgoutputDecoder, ReplicationConnection, formatLsn, quoteIdent, quoteQualified,
  type PgoutputMessage, type ReplicationMessage, type ReplicationStream,
} from '../src/index';

/** One change as written on stdout. */
export interface ChangeLine {
  /** The change's LSN (`16/B374D848`). */
  lsn: string;
  /** The transaction's id and commit LSN (from its Begin message). */
  xid: number | null;
  commitLsn: string | null;
  op: 'insert' | 'update' | 'delete' | 'truncate';
  /** `schema.table` (for a truncate, every truncated table). */
  table: string | string[];
  new?: Record<string, unknown>;
  old?: Record<string, unknown> | null;
}

/**
 * Turns decoded pgoutput messages into {@link ChangeLine}s: keeps the open
 * transaction's xid and commit LSN (from Begin), returns null for messages
 * that are not row changes (Begin, Commit, Relation, Type, Origin, ...).
 */
export class ChangeFormatter {
  private xid: number | null = null;
  private commitLsn: string | null = null;

  /** The line for `m`, or null. */
  line(m: PgoutputMessage): ChangeLine | null {
    const base = { lsn: formatLsn(m.lsn), xid: this.xid, commitLsn: this.commitLsn };
    switch (m.tag) {
      case 'begin':
        this.xid = m.xid;
        this.commitLsn = formatLsn(m.finalLsn);
        return null;
      case 'commit':
        this.xid = null;
        this.commitLsn = null;
        return null;
      case 'insert':
        return { ...base, op: 'insert', table: tableOf(m.relation), new: m.new };
      case 'update':
        return { ...base, op: 'update', table: tableOf(m.relation), old: m.old, new: m.new };
      case 'delete':
        return { ...base, op: 'delete', table: tableOf(m.relation), old: m.old };
      case 'truncate':
        return { ...base, op: 'truncate', table: m.relations.map(tableOf) };
      default:
        return null;
    }
  }
}

function tableOf(r: { namespace: string; name: string }): string {
  return `${r.namespace}.${r.name}`;
}

/** JSON with bigints as strings and bytes as hex (`\x...`), like the server's text form. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return `\\x${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    }
    return v;
  });
}

/** Writes `text` to stdout; resolves when the write callback fired (the text left the process). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

/** Options of {@link followChanges}. */
export interface FollowOptions {
  dsn: string | undefined;
  slot: string;
  publication: string;
  /** Create the slot as TEMPORARY (dropped with the session; no resume across a restart). */
  temporary?: boolean;
  /** Called with each change; its Promise is awaited before the change is acknowledged. */
  write: (line: ChangeLine) => Promise<void>;
  /** Called after each message was acknowledged, with its decoded form (e.g. to stop at a transaction's end). */
  acked?: (m: PgoutputMessage) => void;
  /** State changes and gaps (default: JSON lines on stderr). */
  log?: (event: Record<string, unknown>) => void;
}

/** A running follower. */
export interface Follower {
  readonly repl: ReplicationConnection;
  readonly stream: ReplicationStream;
  /** Fires when the stream ends (stop() or a failure). */
  readonly done: Promise<void>;
  /** Stops the stream and closes the connection. */
  stop(): Promise<void>;
}

/** Connects (with a detector), creates the slot if it is missing, and streams its changes to `write`. */
export async function followChanges(o: FollowOptions): Promise<Follower> {
  const log = o.log ?? ((e) => void process.stderr.write(`${toJson(e)}\n`));
  const repl = new ReplicationConnection({ detector: new DeadConnectionDetector() });
  await repl.connect(o.dsn);
  if (!(await slotExists(o.dsn, o.slot))) {
    const created = await repl.createReplicationSlot(o.slot, { plugin: 'pgoutput', temporary: o.temporary, snapshot: 'nothing' });
    log({ event: 'slot-created', slot: o.slot, consistentPoint: formatLsn(created.consistentPoint), temporary: o.temporary === true });
  }
  const stream = repl.startReplication({ slot: o.slot, plugin: 'pgoutput', options: { proto_version: 1, publication_names: o.publication } });
  stream.state$.subscribe((state) => log({ event: 'state', state }));
  stream.gaps$.subscribe((g) => log({ event: 'gap', from: g.from, to: g.to, resumeLsn: formatLsn(g.resumeLsn), error: g.error.message }));
  // The decoder keeps its relation cache across a resume: the server describes a relation again before
  // its next change in a new session, and a half-acknowledged transaction's head is not delivered twice.
  const decoder = new PgoutputDecoder(repl.types, { protoVersion: 1 });
  const formatter = new ChangeFormatter();
  const consume = async (m: ReplicationMessage): Promise<void> => {
    const decoded = decoder.decode(m.bytes, m.dataStart);
    const line = formatter.line(decoded);
    if (line !== null) await o.write(line);
    m.ack(); // only now may the server forget it
    o.acked?.(decoded);
  };
  const done = Promise.resolve(stream.consumeStream(consume));
  const stop = async (): Promise<void> => {
    await stream.stop();
    repl.close();
  };
  return { repl, stream, done, stop };
}

/** Whether the slot exists (asked on a normal connection). */
async function slotExists(dsn: string | undefined, slot: string): Promise<boolean> {
  const conn = new Connection();
  await conn.connect(dsn);
  try {
    return (await conn.runQuery('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).length > 0;
  } finally {
    conn.close();
  }
}

/** Creates the publication FOR TABLE `table` unless it exists. */
export async function ensurePublication(conn: Connection, publication: string, table: string): Promise<void> {
  const exists = await conn.runQuery('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (exists.length === 0) await conn.runOperation(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${quoteQualified(table)}`);
}

/** Follows CDC_SLOT until a signal or CDC_MAX changes. */
async function follow(dsn: string | undefined): Promise<void> {
  const slot = process.env.CDC_SLOT!;
  const publication = process.env.CDC_PUBLICATION ?? `${slot}_pub`;
  const max = process.env.CDC_MAX ? Number(process.env.CDC_MAX) : Infinity;
  if (process.env.CDC_TABLE) {
    const conn = new Connection();
    await conn.connect(dsn);
    await ensurePublication(conn, publication, process.env.CDC_TABLE).finally(() => conn.close());
  }
  let written = 0;
  let stopping: Promise<void> | null = null;
  const f: Follower = await followChanges({
    dsn, slot, publication,
    write: async (line) => {
      await writeOut(`${toJson(line)}\n`);
      written++;
    },
    acked: (m) => {
      if (written >= max && m.tag === 'commit') stopping ??= Promise.resolve().then(() => f.stop()); // at a transaction's end, once it is acknowledged
    },
  });
  const onSignal = (): void => void (stopping ??= f.stop());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await f.done;
  await stopping;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** The self-contained demo: table, publication, temporary slot, three changes. */
async function demo(dsn: string | undefined): Promise<void> {
  const table = process.env.CDC_TABLE ?? 'cdc_demo';
  const suffix = `${process.pid}`;
  const slot = `cdc_demo_${suffix}`;
  const publication = `cdc_demo_pub_${suffix}`;
  const conn = new Connection();
  await conn.connect(dsn);
  await conn.runOperation(`CREATE TABLE IF NOT EXISTS ${quoteQualified(table)} (id int PRIMARY KEY, name text, price numeric, seen timestamptz)`);
  await ensurePublication(conn, publication, table);
  const lines: ChangeLine[] = [];
  const f = await followChanges({
    dsn, slot, publication, temporary: true,
    write: async (line) => {
      lines.push(line);
      await writeOut(`${toJson(line)}\n`);
    },
  });
  try {
    await conn.runOperation(`INSERT INTO ${quoteQualified(table)} VALUES (1, 'apple', 1.20, '2024-01-02T03:04:05Z')`);
    await conn.runOperation(`UPDATE ${quoteQualified(table)} SET price = 1.35 WHERE id = 1`);
    await conn.runOperation(`DELETE FROM ${quoteQualified(table)} WHERE id = 1`);
    const deadline = Date.now() + 30_000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await writeOut(`cdc: ${lines.map((l) => l.op).join(', ')} written and acknowledged\n`);
  } finally {
    await f.stop();
    await conn.runOperation(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    conn.close();
  }
}

if (require.main === module) {
  const dsn = process.env.DATABASE_URL || undefined;
  (process.env.CDC_SLOT ? follow(dsn) : demo(dsn)).catch((err: unknown) => {
    process.stderr.write(`cdc: ${err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)}\n`);
    process.exitCode = 1;
  });
}
