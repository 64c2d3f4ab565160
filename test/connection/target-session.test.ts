/**
 * target_session_attrs against real servers, judged against libpq itself.
 *
 * A primary and a streaming hot standby (scripts/pg-replica.ts). For each
 * topology (column) and each `target_session_attrs` value (row) the test
 * connects with our driver and with libpq 18 (Debian's psql run against the
 * libpq of the pinned PostgreSQL 18 package, which knows every value and
 * `load_balance_hosts`), and checks both land on the node the table says,
 * or both fail when no node fits:
 *
 * | attrs          | both up [S, P] | standby only [P down, S] | read-only primary [P ro, S] | primary only [S down, P] |
 * |----------------|----------------|--------------------------|-----------------------------|--------------------------|
 * | any            | S              | S                        | P                           | P                        |
 * | read-write     | P              | none                     | none                        | P                        |
 * | read-only      | S              | S                        | P                           | none                     |
 * | primary        | P              | none                     | P                           | P                        |
 * | standby        | S              | S                        | S                           | none                     |
 * | prefer-standby | S              | S                        | S                           | P (second pass)          |
 *
 * "read-only primary" is the primary with `default_transaction_read_only=on`
 * (a database setting, so it is reported at startup).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { nodeQuery, startReplicaPair, type ReplicaNode, type ReplicaPair } from '../../scripts/pg-replica';
import { Connection, ConnectionFailed, UnsuitableServer } from '../../src/index';
import type { TargetSessionAttrs } from '../../src/dsn/params';
import { describeLocal } from '../support/server';

const run = promisify(execFile);
const LIBPQ_18 = path.resolve(__dirname, '../../node_modules/pg-server-18/native/lib');
const PSQL = ['/usr/lib/postgresql/15/bin/psql', '/usr/bin/psql'].find((p) => fs.existsSync(p));
const ATTRS: TargetSessionAttrs[] = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'];
const RO_DB = 'tsp_read_only';

type Landing = 'P' | 'S' | 'none';

/** One column of the table: the host order, which node is stopped, the database, and the expected landing per attrs. */
interface Topology {
  name: string;
  order: Array<'P' | 'S'>;
  database: string;
  expected: Record<TargetSessionAttrs, Landing>;
}

const TOPOLOGIES: Topology[] = [
  { name: 'both up [S, P]', order: ['S', 'P'], database: 'postgres',
    expected: { any: 'S', 'read-write': 'P', 'read-only': 'S', primary: 'P', standby: 'S', 'prefer-standby': 'S' } },
  { name: 'read-only primary [P ro, S]', order: ['P', 'S'], database: RO_DB,
    expected: { any: 'P', 'read-write': 'none', 'read-only': 'P', primary: 'P', standby: 'S', 'prefer-standby': 'S' } },
  { name: 'primary only [S down, P]', order: ['S', 'P'], database: 'postgres',
    expected: { any: 'P', 'read-write': 'P', 'read-only': 'none', primary: 'P', standby: 'none', 'prefer-standby': 'P' } },
  { name: 'standby only [P down, S]', order: ['P', 'S'], database: 'postgres',
    expected: { any: 'S', 'read-write': 'none', 'read-only': 'S', primary: 'none', standby: 'S', 'prefer-standby': 'S' } },
];

describeLocal('target_session_attrs on a primary and a standby, against libpq 18', () => {
  let pair: ReplicaPair;
  let P: ReplicaNode;
  let S: ReplicaNode;

  beforeAll(async () => {
    if (PSQL === undefined || !fs.existsSync(LIBPQ_18)) throw new Error('this test needs psql (postgresql-client) and the pg-server-18 dev dependency (libpq 18)');
    pair = await startReplicaPair({ readyTimeoutMs: 60_000 });
    [P, S] = [pair.primary, pair.standby];
    await nodeQuery(P, `CREATE DATABASE ${RO_DB}`);
    await nodeQuery(P, `ALTER DATABASE ${RO_DB} SET default_transaction_read_only = on`);
    await pair.waitForReplay();
  }, 120_000);
  afterAll(async () => {
    await pair?.destroy();
  });

  /** The key=value string naming the nodes of `t` in order. */
  function conninfo(t: Topology, attrs: TargetSessionAttrs): string {
    const nodes = t.order.map((n) => (n === 'P' ? P : S));
    return `host=${nodes.map((n) => n.host).join(',')} port=${nodes.map((n) => n.port).join(',')} user=postgres dbname=${t.database} sslmode=disable connect_timeout=10 target_session_attrs=${attrs}`;
  }

  function landing(port: number): Landing {
    return port === P.port ? 'P' : port === S.port ? 'S' : (`port ${port}` as Landing);
  }

  /** Where our driver lands, and the error when nowhere. */
  async function ours(t: Topology, attrs: TargetSessionAttrs): Promise<{ at: Landing; error?: unknown }> {
    const conn = new Connection({ env: {} });
    try {
      await conn.connect(conninfo(t, attrs));
      const [row] = await conn.runQuery<{ port: number }>('SELECT inet_server_port() AS port');
      return { at: landing(row.port) };
    } catch (error) {
      return { at: 'none', error };
    } finally {
      conn.close();
    }
  }

  /** Where libpq 18 lands. */
  async function libpq(t: Topology, attrs: TargetSessionAttrs): Promise<Landing> {
    const env = { PATH: process.env.PATH, LD_LIBRARY_PATH: LIBPQ_18 };
    try {
      const { stdout } = await run(PSQL as string, ['-X', '-At', '-d', conninfo(t, attrs), '-c', 'SELECT inet_server_port()'], { env });
      return landing(Number(stdout.trim()));
    } catch {
      return 'none';
    }
  }

  async function column(t: Topology): Promise<void> {
    const got: Record<string, { ours: Landing; libpq: Landing }> = {};
    for (const attrs of ATTRS) {
      const mine = await ours(t, attrs);
      got[attrs] = { ours: mine.at, libpq: await libpq(t, attrs) };
      if (mine.at === 'none') checkFailure(mine.error, t, attrs);
    }
    const expected = Object.fromEntries(ATTRS.map((a) => [a, { ours: t.expected[a], libpq: t.expected[a] }]));
    expect(got).toEqual(expected);
  }

  /** No node fitted: a ConnectionFailed naming both nodes; a node that answered is an UnsuitableServer. */
  function checkFailure(error: unknown, t: Topology, attrs: TargetSessionAttrs): void {
    expect(error).toBeInstanceOf(ConnectionFailed);
    const failed = error as ConnectionFailed;
    const ports = t.order.map((n) => (n === 'P' ? P : S).port);
    expect(failed.hosts).toEqual(ports.map((p) => `127.0.0.1:${p}`));
    const unsuitable = failed.errors.filter((e) => e instanceof UnsuitableServer) as UnsuitableServer[];
    expect(unsuitable.length).toBeGreaterThan(0);
    for (const u of unsuitable) expect(u.targetSessionAttrs).toBe(attrs);
  }

  it(TOPOLOGIES[0].name, () => column(TOPOLOGIES[0]), 60_000);
  it(TOPOLOGIES[1].name, () => column(TOPOLOGIES[1]), 60_000);

  it(TOPOLOGIES[2].name, async () => {
    await S.stop();
    try {
      await column(TOPOLOGIES[2]);
    } finally {
      await S.start();
    }
  }, 60_000);

  it(TOPOLOGIES[3].name, async () => {
    await P.stop();
    await column(TOPOLOGIES[3]);
  }, 60_000);
});
