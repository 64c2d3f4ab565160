/**
 * The driver behind PgBouncer in transaction mode (issue 12), through the
 * harness (scripts/pgbouncer.ts): PgBouncer's default configuration, with
 * default_pool_size 2, so several clients share two server connections and
 * a client's consecutive transactions may run on different ones.
 *
 * With `prepare: false` every core operation works: parameters, pipelining,
 * interactions (judged by the table contents), cancellation, types, the
 * pool, COPY in and out. With prepared statements (the default) a
 * statement prepared on one server connection is unknown on the next, so
 * calls may fail (26000); what must never happen is an answer computed from
 * another client's statement: each call either answers its own query or
 * fails with an error.
 */
import { CancelledError, Connection, ConnectionPool, Point, queryIterator } from '../../src/index';
import type { PgBouncer } from '../../scripts/pgbouncer';
import { roundTripCases, type RoundTripCase } from '../types/roundtrip-cases';
import { failure } from '../support/failure';
import { describePgBouncer, startTestPgBouncer } from '../support/pgbouncer';
import { createTestDatabase, type TestDatabase } from '../support/server';

const CLIENTS = 5;

let db: TestDatabase;
let bouncer: PgBouncer;
const opened: Connection[] = [];

/**
 * The URL of the test database through the pooler, asking for protocol 3.0:
 * PgBouncer 1.18 refuses a startup packet of 3.2 (the driver's default
 * maximum) with 08P01, and only the first test is about getting past that;
 * the others are about pooling.
 */
function url(): string {
  return `${bouncer.url(db.name)}?max_protocol_version=3.0`;
}

/** A connection through the pooler, closed after the file. */
async function connect(options: { prepare?: boolean } = {}, dsn = url()): Promise<Connection> {
  const conn = new Connection(options);
  opened.push(conn);
  await conn.connect(dsn);
  return conn;
}

/** `n` connections with `prepare: false`. */
function unprepared(n: number): Promise<Connection[]> {
  return Promise.all(Array.from({ length: n }, () => connect({ prepare: false })));
}

/** Count of each outcome: `ok`, `wrong` or an error's code. */
type Outcomes = Record<string, number>;

function count(outcomes: Outcomes, key: string): void {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}

/**
 * Cases that need the parameter type the server describes, which `prepare:
 * false` never asks for (parameters are written from their JS values): a
 * JS array meant as JSON (inferred as an array literal), a plain `{ x, y }`
 * meant as a point (inferred as JSON), and box[] (its elements are
 * separated by `;`, not `,`). Not a pooler matter: the same without one.
 */
function needsServerType(c: RoundTripCase): boolean {
  if (/^jsonb?$/.test(c.sqlType)) return Array.isArray(c.value);
  if (c.sqlType === 'point') return !(c.value instanceof Point);
  return c.sqlType === 'box[]';
}

describePgBouncer('through PgBouncer in transaction mode (default_pool_size 2)', () => {
  beforeAll(async () => {
    db = await createTestDatabase('pgbouncer');
    bouncer = await startTestPgBouncer();
  });
  afterAll(async () => {
    for (const c of opened) c.close();
    await bouncer?.destroy();
    await db?.drop();
  });

  describe('prepare: false', () => {
    it('connects with the driver\'s defaults to PgBouncer\'s default configuration (startup parameters it accepts; protocol 3.0 when it refuses 3.2)', async () => {
      const conn = await connect({ prepare: false }, bouncer.url(db.name));
      expect(await conn.runQuery('SELECT current_database() AS d')).toEqual([{ d: db.name }]);
    });

    it('connects asking for protocol 3.0 (the startup packet carries only parameters PgBouncer accepts)', async () => {
      const [conn] = await unprepared(1);
      expect(await conn.runQuery('SELECT current_database() AS d')).toEqual([{ d: db.name }]);
    });

    it(`runs queries with parameters from ${CLIENTS} clients at once, each getting its own answers`, async () => {
      const conns = await unprepared(CLIENTS);
      const answers = await Promise.all(conns.map(async (conn, c) => {
        const rows = [];
        for (let n = 0; n < 20; n++) rows.push((await conn.runQuery('SELECT $1::int AS c, $2::text AS n', [c, `q${n}`]))[0]);
        return rows;
      }));
      answers.forEach((rows, c) => expect(rows).toEqual(Array.from({ length: 20 }, (_, n) => ({ c, n: `q${n}` }))));
    });

    it('pipelines: 50 queries in flight per client, answered in call order', async () => {
      const conns = await unprepared(CLIENTS);
      const all = await Promise.all(conns.map((conn, c) => {
        const fired: number[] = [];
        const calls = Array.from({ length: 50 }, (_, n) =>
          conn.runQuery<{ v: number }>('SELECT $1::int * 1000 + $2::int AS v', [c, n]).addCallback((r) => (fired.push(n), r)));
        return Promise.all(calls).then((rows) => ({ fired, values: rows.map((r) => r[0].v) }));
      }));
      all.forEach(({ fired, values }, c) => {
        expect(fired).toEqual([...Array(50).keys()]);
        expect(values).toEqual(Array.from({ length: 50 }, (_, n) => c * 1000 + n));
      });
    });

    it('runInteraction commits and rolls back, judged by the table contents', async () => {
      const conns = await unprepared(CLIENTS);
      await conns[0].runOperation('CREATE TABLE ledger (client int, k int, PRIMARY KEY (client, k))');
      const kept: string[] = [];
      await Promise.all(conns.map(async (conn, c) => {
        for (let k = 0; k < 12; k++) {
          const rollback = k % 3 === 2;
          const run = conn.runInteraction(async (cur) => {
            await cur.execute('INSERT INTO ledger VALUES ($1, $2)', [c, k]);
            await cur.execute('INSERT INTO ledger VALUES ($1, $2)', [c, k + 100]);
            if (rollback) throw new Error('roll it back');
          });
          if (rollback) expect(await failure(run)).toMatchObject({ message: 'roll it back' });
          else {
            await run;
            kept.push(`${c}/${k}`, `${c}/${k + 100}`);
          }
        }
      }));
      const rows = await conns[0].runQuery<{ r: string }>("SELECT client || '/' || k AS r FROM ledger");
      expect(rows.map((r) => r.r).sort()).toEqual(kept.sort());
      expect(kept).toHaveLength(CLIENTS * 8 * 2);
    });

    it('cancels a running pg_sleep (PgBouncer forwards the CancelRequest), and the client works on', async () => {
      const [conn, other] = await unprepared(2);
      const sleep = conn.runQuery('SELECT pg_sleep(600)');
      await other.runQuery("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)' AND state = 'active'")
        .then(async function waitForIt(rows): Promise<unknown> {
          if (rows.length > 0) return rows;
          return other.runQuery("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)' AND state = 'active'").then(waitForIt);
        });
      sleep.cancel();
      expect(await failure(sleep)).toBeInstanceOf(CancelledError);
      expect(await conn.runQuery('SELECT $1::int AS n', [7])).toEqual([{ n: 7 }]);
    });

    it('round-trips the types of the round-trip table (those whose text a JS value alone determines)', async () => {
      const [conn] = await unprepared(1);
      const cases = roundTripCases.filter((c) => c.options === undefined && !needsServerType(c));
      expect(cases.length).toBeGreaterThan(100);
      const results = await Promise.all(cases.map((c) => conn.runQuery<{ v: unknown }>(`SELECT $1::${c.sqlType} AS v`, [c.value])));
      results.forEach((rows, i) => expect([cases[i].sqlType, rows[0].v]).toEqual([cases[i].sqlType, 'expected' in cases[i] ? cases[i].expected : cases[i].value]));
    });

    it(`a ConnectionPool of ${CLIENTS} runs queries and interactions`, async () => {
      const pool = new ConnectionPool({ min: CLIENTS, max: CLIENTS, connect: url(), prepare: false });
      await pool.start();
      try {
        await pool.runOperation('CREATE TABLE pooled (v int)');
        const sums = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.runQuery<{ s: number }>('SELECT $1::int + $2::int AS s', [i, i])));
        expect(sums.map((r) => r[0].s)).toEqual(Array.from({ length: 40 }, (_, i) => 2 * i));
        await Promise.all(Array.from({ length: 20 }, (_, i) => pool.runInteraction(async (cur) => {
          await cur.execute('INSERT INTO pooled VALUES ($1)', [i]);
        })));
        expect(await pool.runQuery('SELECT count(*)::int AS n, sum(v)::int AS s FROM pooled')).toEqual([{ n: 20, s: 190 }]);
      } finally {
        await pool.close();
      }
    });

    it('streams rows through a server-side cursor (its transaction keeps one server connection)', async () => {
      const [conn, other] = await unprepared(2);
      const seen: number[] = [];
      for await (const row of queryIterator<{ n: number }>(conn, 'SELECT n FROM generate_series(1, $1::int) AS n', [2500], { batchSize: 1000 })) {
        seen.push(row.n);
        if (seen.length % 1000 === 0) await other.runQuery('SELECT $1::int AS n', [seen.length]); // others go on meanwhile
      }
      expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    });

    it('COPY FROM STDIN and COPY TO STDOUT', async () => {
      const [conn] = await unprepared(1);
      await conn.runOperation('CREATE TABLE copied (id int, name text)');
      const rows = Array.from({ length: 500 }, (_, i) => [i, i % 7 === 0 ? null : `name\t${i}`]);
      expect(await conn.copyFrom('COPY copied (id, name) FROM STDIN', rows)).toBe(500);
      const out: Array<Array<string | null>> = [];
      await new Promise<void>((resolve, reject) => {
        conn.copyTo('COPY (SELECT * FROM copied ORDER BY id) TO STDOUT', { rows: true }).subscribe({
          next: (r) => out.push(r),
          error: reject,
          complete: resolve,
        });
      });
      expect(out).toEqual(rows.map(([id, name]) => [String(id), name]));
    });
  });

  describe('prepared statements (the default)', () => {
    it('3 clients x 100 parameterized queries: every answer is the client\'s own, or an error', async () => {
      const conns = await Promise.all([0, 1, 2].map(() => connect()));
      const outcomes: Outcomes = {};
      const pids = conns.map(() => new Set<number>());
      const moved = (): boolean => pids.some((p) => p.size > 1);
      let sent = 0;
      await Promise.all(conns.map(async (conn, c) => {
        // ten batches, then more (up to 100) until the pooler has moved a client between server connections
        for (let batch = 0; batch < 10 || (batch < 100 && !moved()); batch++) {
          sent += 10;
          // ten in flight at a time; five SQL texts per client, each naming the client in its text
          await Promise.all(Array.from({ length: 10 }, async (_, j) => {
            const n = batch * 10 + j, shape = n % 5;
            const sql = `SELECT ${c} AS client, ${shape} AS shape, $1::int AS n, pg_backend_pid() AS pid`;
            try {
              const [row] = await conn.runQuery<{ client: number; shape: number; n: number; pid: number }>(sql, [n]);
              pids[c].add(row.pid);
              count(outcomes, row.client === c && row.shape === shape && row.n === n ? 'ok' : 'wrong');
            } catch (e) {
              count(outcomes, (e as { code?: string }).code ?? 'no code');
            }
          }));
        }
      }));
      console.info(`prepared statements through PgBouncer (transaction mode), ${sent} queries: ${JSON.stringify(outcomes)}`);
      expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(sent);
      expect(outcomes.wrong).toBeUndefined();
      // and the only error is the pooler's symptom: our statement is not prepared on this server connection
      expect(Object.keys(outcomes).filter((k) => k !== 'ok' && k !== '26000')).toEqual([]);
      // the test means something only if the pooler did move clients between server connections
      expect(moved()).toBe(true);
    });

    it('3 clients x 20 interactions: each commits what it reports committed, or fails with 26000 and rolls back', async () => {
      const conns = await Promise.all([0, 1, 2].map(() => connect()));
      await conns[0].runOperation('CREATE TABLE prepared_ledger (client int, k int)');
      const outcomes: Outcomes = {};
      const committed: string[] = [];
      await Promise.all(conns.map(async (conn, c) => {
        for (let k = 0; k < 20; k++) {
          try {
            await conn.runInteraction(async (cur) => {
              await cur.execute(`INSERT INTO prepared_ledger VALUES (${c}, $1)`, [k]); // the client in the SQL text
            });
            committed.push(`${c}/${k}`);
            count(outcomes, 'committed');
          } catch (e) {
            count(outcomes, (e as { code?: string }).code ?? 'no code');
          }
        }
      }));
      console.info(`interactions with prepared statements through PgBouncer, 60 runs: ${JSON.stringify(outcomes)}`);
      const rows = await conns[0].runQuery<{ r: string }>("SELECT client || '/' || k AS r FROM prepared_ledger", [], { simple: true });
      expect(rows.map((r) => r.r).sort()).toEqual(committed.sort());
      // a failure is 26000 and rolled back: never RollbackFailed, never a session left in a failed block (25P02)
      expect(Object.keys(outcomes).filter((k) => k !== 'committed' && k !== '26000')).toEqual([]);
    });
  });
});
