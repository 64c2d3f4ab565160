/**
 * scripts/pg-replica.ts on pairs of its own, once cloned the default way
 * (pg_basebackup when one fits the server) and once by the low-level backup
 * API and a file copy: the standby streams what the primary writes and
 * refuses writes; after a promotion it takes writes; after a rebuild the old
 * primary follows the new one; and the pair can fail over again.
 */
import { findBasebackup, inRecovery, nodeQuery, startReplicaPair, type CloneMethod, type ReplicaNode, type ReplicaPair } from '../../scripts/pg-replica';
import { parseDsn } from '../../src/dsn';
import { describeLocal } from '../support/server';

/** Limits to give up at on a loaded machine, never bounds on speed. */
const READY = { readyTimeoutMs: 120_000 };
const PAIR_MS = 300_000;

/** The values of `t` on `node`, in order. */
async function values(pair: ReplicaPair, node: 'primary' | 'standby'): Promise<number[]> {
  const rows = await nodeQuery<{ x: number }>(pair[node], 'SELECT x FROM t ORDER BY x');
  return rows.map((r) => r.x);
}

/** The SQLSTATE a write on the standby fails with (null when it succeeds). */
async function writeError(pair: ReplicaPair): Promise<string | null> {
  return nodeQuery(pair.standby, 'INSERT INTO t VALUES (-1)').then(() => null, (e: { code?: string }) => e.code ?? 'none');
}

/** `in_hot_standby` of the node (PostgreSQL 14+, the oldest major this project tests). */
async function hotStandby(node: ReplicaNode): Promise<string> {
  return (await nodeQuery<{ in_hot_standby: string }>(node, 'SHOW in_hot_standby'))[0].in_hot_standby;
}

const METHODS: Array<CloneMethod | undefined> = [undefined, 'copy'];

for (const method of METHODS) {
  describeLocal(`a primary and a streaming standby (clone: ${method ?? 'default'})`, () => {
    let pair: ReplicaPair;

    beforeAll(async () => {
      pair = await startReplicaPair({ ...READY, method });
    }, PAIR_MS);
    afterAll(async () => {
      await pair?.destroy();
    }, 60_000);

    it('clones with pg_basebackup when one fits the server, else by copy; as asked otherwise', () => {
      const expected = method ?? (findBasebackup(pair.primary.binDir) ? 'pg_basebackup' : 'copy');
      expect(pair.method).toBe(expected);
      expect(pair.nodes.map((n) => n.name)).toEqual(['node1', 'node2']);
      expect(new Set(pair.nodes.map((n) => n.port)).size).toBe(2);
      expect(pair.nodes[0].socketDir).not.toBe(pair.nodes[1].socketDir);
    });

    it('streams a row written on the primary to the standby', async () => {
      await nodeQuery(pair.primary, 'CREATE TABLE t (x int)');
      await nodeQuery(pair.primary, 'INSERT INTO t VALUES (1)');
      await pair.waitForReplay();
      expect(await values(pair, 'standby')).toEqual([1]);
      const [slot] = await nodeQuery<{ active: boolean }>(pair.primary, "SELECT active FROM pg_replication_slots WHERE slot_type = 'physical'");
      expect(slot.active).toBe(true);
    }, PAIR_MS);

    it('keeps the standby read-only: in recovery, in_hot_standby on, a write fails with 25006', async () => {
      expect(await inRecovery(pair.standby)).toBe(true);
      expect(await inRecovery(pair.primary)).toBe(false);
      expect(await hotStandby(pair.standby)).toBe('on');
      expect(await hotStandby(pair.primary)).toBe('off');
      expect(await writeError(pair)).toBe('25006');
    }, PAIR_MS);

    it('after failover the promoted standby takes writes, and the old primary is diverged and stopped', async () => {
      const [oldPrimary, oldStandby] = [pair.primary, pair.standby];
      await pair.failover();
      expect(pair.primary).toBe(oldStandby);
      expect(pair.standby).toBe(oldPrimary);
      expect(pair.diverged).toBe(true);
      expect(oldPrimary.pid).toBeNull();
      expect(await inRecovery(pair.primary)).toBe(false);
      await nodeQuery(pair.primary, 'INSERT INTO t VALUES (2)');
      expect(await values(pair, 'primary')).toEqual([1, 2]);
      await expect(pair.promote()).rejects.toThrow(/diverged/);
    }, PAIR_MS);

    it('after rebuild the old primary follows the new one, on its old port, read-only', async () => {
      const port = pair.standby.port;
      await pair.rebuild();
      expect(pair.diverged).toBe(false);
      expect(pair.standby.port).toBe(port);
      expect(await inRecovery(pair.standby)).toBe(true);
      expect(await writeError(pair)).toBe('25006');
      await nodeQuery(pair.primary, 'INSERT INTO t VALUES (3)');
      await pair.waitForReplay();
      expect(await values(pair, 'standby')).toEqual([1, 2, 3]);
      await expect(pair.rebuild()).rejects.toThrow(/nothing to rebuild/);
    }, PAIR_MS);

    it('fails over again (swap): the first node is the primary once more and nothing committed is lost', async () => {
      await pair.swap();
      expect(pair.primary).toBe(pair.nodes[0]);
      await nodeQuery(pair.primary, 'INSERT INTO t VALUES (4)');
      await pair.waitForReplay();
      expect(await values(pair, 'primary')).toEqual([1, 2, 3, 4]);
      expect(await values(pair, 'standby')).toEqual([1, 2, 3, 4]);
    }, PAIR_MS);

    it('names both nodes in its connection strings, in node order', () => {
      const [a, b] = pair.nodes;
      expect(pair.url({ params: { target_session_attrs: 'read-write' } })).toBe(
        `postgres://postgres@127.0.0.1:${a.port},127.0.0.1:${b.port}/postgres?target_session_attrs=read-write`,
      );
      expect(pair.keyValue({ database: 'db', params: { target_session_attrs: 'prefer-standby' } })).toBe(
        `host=127.0.0.1,127.0.0.1 port=${a.port},${b.port} user=postgres dbname=db target_session_attrs=prefer-standby`,
      );
      expect(pair.url({ user: 'scram' })).toContain('tsp_scram:tsp-scram-secret@');
      // the driver's parser reads both forms alike: both hosts, both ports, in order
      const want = { host: '127.0.0.1,127.0.0.1', port: `${a.port},${b.port}`, target_session_attrs: 'read-write' };
      expect(parseDsn(pair.url({ params: { target_session_attrs: 'read-write' } }))).toMatchObject(want);
      expect(parseDsn(pair.keyValue({ params: { target_session_attrs: 'read-write' } }))).toMatchObject(want);
    });
  });
}
