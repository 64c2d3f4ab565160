/**
 * A read pool with `target_session_attrs=prefer-standby` through standby
 * outages and failovers, FAILOVER_CYCLES times (default 2).
 *
 * Theory of operation. A primary and a streaming standby
 * (scripts/pg-replica.ts), named primary first in a key=value DSN, so only
 * the attribute check can put the pool on the standby. The pool's members
 * have detectors, and `maxLifetimeMs` recycles them: a session is judged
 * when it connects (libpq's semantics), so a member stays where it is until
 * it dies or is recycled, and recycling is what brings reads back to a
 * standby once there is one again. Every read asks the server where it ran
 * (`inet_server_port()`, `pg_is_in_recovery()`).
 *
 * A cycle: (1) reads come from the standby; (2) the standby stops: members
 * die, reconnect and, with no standby left, settle on the primary (the
 * second pass of prefer-standby), and reads go on there; (3) the standby
 * comes back and reads move back to it; (4) the primary stops: reads go on
 * from the standby, undisturbed; (5) the standby is promoted: reads go on
 * from it, now a primary; (6) the old primary is rebuilt as the standby and
 * reads move to it. Every step waits for its condition with a generous
 * limit; what is asserted is where reads land, never how fast they move.
 */
import { startReplicaPair, type ReplicaNode, type ReplicaPair } from '../../scripts/pg-replica';
import { ConnectionPool, DeadConnectionDetector } from '../../src/index';
import { describeLocal } from '../support/server';
import { eventually, failoverCycles } from './helpers';

const CYCLES = failoverCycles();
/** Per-step limit: generous, a loaded 2-core machine must not trip it; never a bound on speed. */
const STEP_MS = 60_000;
const MEMBERS = 2;

/** 100 ms between attempts, for 2 minutes. */
function* every100ms(): Generator<number> {
  for (let i = 0; i < 1200; i++) yield 100;
}

/** Where one read ran. */
interface Landing {
  port: number;
  standby: boolean;
}

describeLocal(`a prefer-standby read pool through ${CYCLES} failovers`, () => {
  let pair: ReplicaPair;
  let pool: ConnectionPool | undefined;

  beforeAll(async () => {
    pair = await startReplicaPair({ readyTimeoutMs: 120_000 });
  }, 300_000);
  afterAll(async () => {
    await pool?.close();
    await pair?.destroy();
  }, 120_000);

  /** One read: where it ran. */
  const read = async (): Promise<Landing> => {
    const [row] = await pool!.runQuery<Landing>('SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby');
    return row;
  };
  /** Resolves once `2 * MEMBERS` reads in a row ran on `node` in the given role (reads that fail meanwhile count as not there). */
  const readsSettleOn = async (node: ReplicaNode, standby: boolean, what: string): Promise<void> => {
    await eventually(async () => {
      const got = [];
      for (let i = 0; i < 2 * MEMBERS; i++) got.push(await read());
      return got.every((r) => r.port === node.port && r.standby === standby);
    }, STEP_MS, what);
  };
  /** `n` reads, each of which must succeed on `node` in the given role. */
  const readsStayOn = async (node: ReplicaNode, standby: boolean, n = 3 * MEMBERS): Promise<void> => {
    for (let i = 0; i < n; i++) expect(await read()).toEqual({ port: node.port, standby });
  };

  it('reads from the standby, falls back to the primary while there is none, and follows each promotion', async () => {
    const dsn = pair.keyValue({ params: { target_session_attrs: 'prefer-standby', sslmode: 'disable' } });
    expect(pair.nodes[0]).toBe(pair.primary); // the primary is named first: only the check can skip it
    pool = new ConnectionPool({
      min: MEMBERS, max: MEMBERS, connect: dsn, maxLifetimeMs: 1000, acquireTimeoutMs: 120_000,
      detector: () => new DeadConnectionDetector({ reconnectionIterator: every100ms }),
      connectionOptions: { connectTimeoutMs: 2000 },
    });
    await pool.start();
    const landings: string[] = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const [primary, standby] = [pair.primary, pair.standby];
      await readsStayOn(standby, true); // (1) fresh members of a whole pair are on the standby
      landings.push(`cycle ${cycle}: standby ${standby.name}`);

      await standby.stop(); // (2)
      await readsSettleOn(primary, false, `cycle ${cycle}: reads on the primary while the standby is down`);
      await standby.start(); // (3)
      await readsSettleOn(standby, true, `cycle ${cycle}: reads back on the standby`);

      await primary.stop(); // (4)
      await readsStayOn(standby, true);
      await pair.promote(); // (5)
      await readsSettleOn(standby, false, `cycle ${cycle}: reads on the promoted node`);
      await pair.rebuild(); // (6)
      await readsSettleOn(primary, true, `cycle ${cycle}: reads on the rebuilt standby`);
      landings.push(`cycle ${cycle}: moved to ${primary.name}`);
    }
    expect(landings).toHaveLength(2 * CYCLES);
    expect(pair.primary).toBe(pair.nodes[CYCLES % 2]);
  }, 120_000 + CYCLES * 180_000);
});
