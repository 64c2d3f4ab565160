/**
 * A fast shutdown of the server (SIGINT to the postmaster) is not held up
 * by an idle logical stream, against a private cluster. The walsender
 * exits only once the consumer's reported flush position reaches its sent
 * position; here it has sent past the last acknowledged commit (WAL of an
 * unpublished table), so the stream must report a keepalive's position as
 * flushed while idle. Without that the walsender answers our status
 * updates with keepalives for as long as the stream stays connected.
 *
 * The cluster is stopped with a bare SIGINT (`cluster.kill`), not
 * `cluster.stop()`, which makes a fast shutdown immediate after 30 s and
 * would hide the hang. The 20 s is a give-up limit, not a bound on speed.
 */
import { Connection, parseLsn, ReplicationConnection, type PgoutputChange } from '../../src/index';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { until } from '../support/until';

/** initdb and a start may take a minute on a loaded machine: a limit for a cluster that never comes up. */
const CLUSTER_MS = 240_000;
const SLOT = 'tsp_shutdown';

let cluster: Cluster;
let sql: Connection;
let repl: ReplicationConnection;

beforeAll(async () => {
  cluster = await startCluster({ readyTimeoutMs: 120_000 });
  sql = new Connection();
  await sql.connect(`${cluster.url()}?sslmode=disable`);
  await sql.runOperation('CREATE TABLE published (id int PRIMARY KEY)');
  await sql.runOperation('CREATE TABLE unpublished (id int PRIMARY KEY)');
  await sql.runOperation('CREATE PUBLICATION pub FOR TABLE published');
}, CLUSTER_MS);

afterAll(async () => {
  repl?.close();
  sql?.close();
  await cluster?.destroy();
}, CLUSTER_MS);

describe('fast shutdown with an idle logical stream', () => {
  it('the server stops: the idle stream reports the keepalive position as flushed', async () => {
    repl = new ReplicationConnection();
    await repl.connect(`${cluster.url()}?sslmode=disable`);
    await repl.createReplicationSlot(SLOT, { plugin: 'pgoutput', snapshot: 'nothing' });
    const stream = repl.startReplication({ slot: SLOT, options: { proto_version: 1, publication_names: 'pub' }, statusIntervalMs: 200 });
    const commits: bigint[] = [];
    let ended: unknown = null; // the server going away ends the stream (no detector): expected
    stream.changes$.subscribe({
      next: (c: PgoutputChange) => {
        c.ack();
        if (c.tag === 'commit') commits.push(c.lsn);
      },
      error: (e: unknown) => void (ended = e),
    });
    await until(() => stream.state === 'streaming', 20_000, 'streaming');
    await sql.runOperation('INSERT INTO published VALUES (1)');
    await until(() => commits.length === 1, 20_000, 'the commit of the published row');
    for (let i = 0; i < 20; i++) await sql.runOperation('INSERT INTO unpublished VALUES ($1)', [i]);
    const [{ lsn }] = await sql.runQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const end = parseLsn(lsn);
    await until(() => stream.stats.serverLsn >= end, 20_000, 'the walsender past the unpublished WAL');
    sql.close();

    cluster.kill('SIGINT');
    await until(() => cluster.pid === null, 20_000, 'the server stopped by a fast shutdown').catch(() => undefined);
    expect(cluster.pid).toBeNull();
    await cluster.stop('immediate'); // cleanup; nothing to do once stopped
    expect(commits).toHaveLength(1);
    expect(ended).toBeInstanceOf(Error);
    repl.close();
  }, 120_000);
});
