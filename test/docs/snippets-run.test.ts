/**
 * Every TypeScript code block of the guides RUNS against the run's
 * PostgreSQL server (issue 14: "every guide's code is an example that runs
 * in CI"); snippets.test.ts type-checks the same blocks.
 *
 * Theory of operation. The blocks of README.md, docs/getting-started.md and
 * docs/guide/*.md (extracted by snippets.ts) run one by one, in-process
 * (snippet-runner.ts), each with a give-up deadline of 60 s, in a database
 * made for this file. Before each block the database is reset to
 * test/docs/fixture.sql (the tables the guides name: jobs, account,
 * transfers, items, big, events, orders, ...) and the block's
 * `<!-- snippet-setup: SQL -->` runs. The environment points at that
 * database while the blocks run: `DATABASE_URL`, and `PGHOST`, `PGPORT`,
 * `PGUSER`, `PGPASSWORD`, `PGDATABASE`, so `new Connection().connect()` with
 * no argument reaches it too.
 *
 * The names a block's prelude declares get real values ({@link FIXTURES}):
 * `conn` a connected Connection (unconnected when the block itself calls
 * `conn.connect(`), `pool` a started ConnectionPool, `cursor` a Cursor,
 * `repl` a connected ReplicationConnection, `dsn` the database's URL, `db`
 * the TestDatabase, `server` the TestServer, `reactor` the default reactor,
 * `MyReactor` the NodeReactor class, and small stand-ins for the user's own
 * callbacks (`log`, `save`, `cleanup`, ... do nothing). A declared name the
 * table does not know fails the block.
 *
 * A block fails the test, named by its Markdown file:line, when it throws or
 * rejects, leaves an unhandled Deferred failure (captureUnhandledFailures),
 * or leaves a session open in the database after the runner has closed the
 * fixtures it supplied (a block that opens its own connection must close it).
 * A value the block states in a comment after an expression statement
 * (`rows.rowCount;   // 3`, `row.t.toISOString();   // '2024-...Z'`) must be
 * what the expression gives (snippet-runner.ts: checkedSource).
 * An unhandled Promise rejection fails the test running when it surfaces:
 * jest's own handler does that (the test environment's `process` does not
 * see the event, so the runner cannot).
 * `<!-- snippet: compile-only (reason) -->` blocks are only type-checked; they
 * and the skips are counted and listed. A fixture page proves the runner
 * fails a block that throws.
 */
import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Client } from 'pg';
import WebSocket from 'ws';
import { createTestDatabase, describeServer, testServer, type TestDatabase } from '../support/server';
import {
  Connection, ConnectionPool, PgoutputDecoder, ReplicationConnection, captureUnhandledFailures, defaultReactor, nodeAuthCrypto, resolveConfig, succeed,
  type Cursor,
} from '../../src/index';
import { NodeReactor } from '../../reactor/index';
import { Recorder } from '../../reactor/testing/index';
import { ROOT, extractSnippets, pages, type Snippet } from './snippets';
import { MiniHarness, checkedSource, declaredNames, modulePath, runSnippet } from './snippet-runner';

/** The give-up deadline of one block (never an assertion on time). */
const DEADLINE_MS = 60_000;

/** What a fixture builds values with, and what it must close afterwards. */
interface FixtureScope {
  db: TestDatabase;
  /** The block's code, to see what it does with a fixture. */
  code: string;
  closers: Array<() => Promise<unknown> | unknown>;
  /** Work the runner waits for before closing (a last query on each connection). */
  drains: Array<() => Promise<unknown>>;
  repl?: Promise<ReplicationConnection>;
}

async function connected(scope: FixtureScope): Promise<Connection> {
  const conn = new Connection();
  scope.closers.push(() => conn.close());
  await conn.connect(scope.db.url());
  scope.drains.push(async () => { if (conn.state === 'ready' || conn.state === 'busy') await conn.runQuery('SELECT 1'); });
  return conn;
}

/** The block's ReplicationConnection (one per block, made on first use). */
async function replication(scope: FixtureScope): Promise<ReplicationConnection> {
  if (scope.repl === undefined) {
    const repl = new ReplicationConnection();
    scope.closers.push(() => repl.close());
    scope.repl = repl.connect(scope.db.url()).then(() => repl);
  }
  return scope.repl;
}

type Fixture = (scope: FixtureScope) => unknown;
const noop = (): void => undefined;
const asyncNoop = async (): Promise<void> => undefined;

/**
 * Values of declared names, by `name: type` as written in the prelude, or by
 * `name` alone (functions, and names with one meaning in every guide).
 */
const FIXTURES: Record<string, Fixture> = {
  'conn': async (scope) => (/\bconn\.connect\(/.test(scope.code) ? new Connection() : connected(scope)),
  'sql: Connection': connected,
  'pool': async (scope) => {
    const pool = new ConnectionPool({ connect: scope.db.url(), min: 1, max: 4 });
    scope.closers.push(() => pool.close());
    await pool.start();
    scope.drains.push(async () => { await pool.runQuery('SELECT 1'); });
    return pool;
  },
  'cursor': async (scope) => (await connected(scope)).cursor(),
  'repl': replication,
  // replication.md's consumer loop: the orders_cdc stream (snippet-setup makes
  // the slot, the publication and an order), stopped once a position is stored.
  'stream: ReplicationStream': async (scope) => {
    const stream = (await replication(scope)).startReplication({ slot: 'orders_cdc', options: { proto_version: 1, publication_names: 'orders_pub' } });
    const conn = await connected(scope);
    let stopped = false;
    const poll = async (): Promise<void> => {
      while (!stopped) {
        const rows = await conn.runQuery('SELECT 1 FROM cdc_applied_lsn');
        if (rows.length > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await stream.stop();
    };
    const polling = poll();
    scope.closers.unshift(async () => { stopped = true; await polling; });
    return stream;
  },
  'decoder: PgoutputDecoder': async (scope) => new PgoutputDecoder((await replication(scope)).types),
  'slot: string': () => 'orders_cdc',
  'apply': () => async (c: Cursor, change: { tag: string }) => { await c.execute('SELECT $1::text AS tag', [change.tag]); },
  'dsn': (scope) => scope.db.url(),
  'db': (scope) => scope.db,
  'server': () => testServer(),
  'reactor': () => defaultReactor(),
  'MyReactor': () => NodeReactor,
  'sql: string': () => 'SELECT 1',
  'params: unknown[]': () => [],
  'params: ConnectParams': () => resolveConfig('postgres://alice@db1:5432,db2:5433/app', {}),
  'controller': () => new AbortController(),
  'd': () => succeed('a value'),
  'logger': () => ({ error: noop }),
  'n': () => 0,
  'day': () => '2024-01-02',
  'rows: Iterable<unknown[]>': () => [[1, 'apple'], [2, 'pear']],
  'transform': () => new PassThrough({ objectMode: true }),
  'out': () => new Writable({ objectMode: true, write: (_c, _e, cb) => cb() }),
  'handler': () => new Recorder(),
  'client': () => new Recorder(),
  'fakeServer': () => new Recorder(),
  'token': () => 'a-relay-token',
  'WebSocket: WebSocketConstructor': () => WebSocket,
  'options: MachineOptions': () => ({ user: 'postgres', crypto: nodeAuthCrypto }),
  'transport': () => ({ write: noop, close: noop, abort: noop, pauseReading: noop, resumeReading: noop }),
  'queued': () => [{ sql: 'SELECT $1::int', params: [new TextEncoder().encode('1')] }],
  'socket: Socket': () => new PassThrough(),
  'id': () => 'transfer-1',
  'from': () => 'alice',
  'to': () => 'bob',
  'amount': () => 30,
  'args': () => ['alice'],
  // The user's own functions: stand-ins that do what the guide says they do.
  'alarm': () => (n: number) => n,
  'log': () => noop,
  'cleanup': () => noop,
  'release': () => noop,
  'resync': () => noop,
  'handle': () => noop,
  'done': () => noop,
  'keep': () => noop,
  'pump': () => noop,
  'save': () => asyncNoop,
  'index': () => asyncNoop,
  'upload': () => asyncNoop,
  'connect': () => (dsn: string) => succeed(dsn),
  'failureTester': () => () => undefined,
  'fn': () => async (cursor: Cursor, name: string) => { await cursor.execute('SELECT balance FROM account WHERE name = $1', [name]); },
  'work': () => async (cursor: Cursor) => { await cursor.execute('UPDATE account SET balance = balance + 1'); },
  'transfer': () => async (cur: Cursor, id: string, from: string, to: string, amount: number) => {
    await cur.execute('INSERT INTO transfers (id, amount) VALUES ($1, $2)', [id, amount]);
    await cur.execute('UPDATE account SET balance = balance - $1 WHERE name = $2', [amount, from]);
    await cur.execute('UPDATE account SET balance = balance + $1 WHERE name = $2', [amount, to]);
  },
};

/** The values of a block's declared names; throws for a name without a fixture. */
async function fixtureValues(s: Snippet, scope: FixtureScope): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const d of declaredNames(s.prelude)) {
    const f = FIXTURES[`${d.name}: ${d.type}`] ?? FIXTURES[d.name];
    if (!f) throw new Error(`${s.file}:${s.fenceLine}: no fixture for the declared name '${d.name}${d.type ? `: ${d.type}` : ''}' (add one to FIXTURES in ${path.relative(ROOT, __filename)})`);
    const v = f(scope);
    values[d.name] = v instanceof Promise ? await v : v; // a Deferred is thenable: given as is, not awaited
  }
  return values;
}

/** Resolves with `p`, or rejects after the deadline. */
async function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sessions in the database other than the admin's; waits a while for closing ones to go. */
async function openSessions(admin: Client, db: TestDatabase): Promise<string[]> {
  const sql = `SELECT pid, backend_type, application_name, state, query FROM pg_stat_activity
               WHERE datname = $1 AND pid <> pg_backend_pid()`;
  let rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 100; i++) {
    rows = (await admin.query(sql, [db.name])).rows;
    if (rows.length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  // Ended, so that the next block starts clean; the leak fails this block.
  for (const r of rows) await admin.query('SELECT pg_terminate_backend($1)', [r.pid]);
  return rows.map((r) => `${String(r.pid)} ${String(r.backend_type)} ${String(r.state)}: ${String(r.query).slice(0, 80)}`);
}

/** Drops what the database outlives a reset with: replication slots and publications. */
async function dropGlobals(admin: Client, db: TestDatabase): Promise<void> {
  await admin.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [db.name]);
  for (let i = 0; i < 50; i++) {
    const { rows } = await admin.query(`SELECT slot_name FROM pg_replication_slots WHERE database = $1`, [db.name]);
    if (rows.length === 0) break;
    for (const r of rows) await admin.query('SELECT pg_drop_replication_slot($1)', [r.slot_name]).catch(() => undefined);
  }
  const { rows } = await admin.query('SELECT pubname FROM pg_publication');
  for (const r of rows) await admin.query(`DROP PUBLICATION IF EXISTS "${String(r.pubname)}"`);
}

/** The outcome of one block. */
interface Outcome {
  harness: MiniHarness;
}

/** Runs one block with its fixtures, and checks that it left nothing behind. */
async function runBlock(s: Snippet, db: TestDatabase, admin: Client, named: Map<string, Snippet>): Promise<Outcome> {
  const where = `${s.file}:${s.fenceLine}`;
  await dropGlobals(admin, db);
  await admin.query(fs.readFileSync(path.join(__dirname, 'fixture.sql'), 'utf8'));
  for (const sql of s.setup) await admin.query(sql);
  const scope: FixtureScope = { db, code: s.code, closers: [], drains: [] };
  const capture = captureUnhandledFailures();
  const harness = new MiniHarness();
  let failure: unknown = null;
  try {
    const values = await fixtureValues(s, scope);
    await withDeadline(runSnippet(s, { values, harness, expect, load: (p) => require(p), named }), where);
    await withDeadline(Promise.all(scope.drains.map((d) => d())), `${where} (the fixtures' last query)`);
  } catch (e) {
    failure = e;
  } finally {
    for (const close of scope.closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
  }
  const unhandled = capture.restore();
  if (failure !== null) throw Object.assign(new Error(`${where}: ${(failure as Error)?.message ?? String(failure)}`), { cause: failure });
  if (unhandled.length > 0) throw new Error(`${where}: unhandled Deferred failure: ${String(unhandled[0]?.stack ?? unhandled[0])}`);
  const left = await openSessions(admin, db);
  if (left.length > 0) throw new Error(`${where}: left ${left.length} session(s) open (close what the block opens):\n  ${left.join('\n  ')}`);
  return { harness };
}

const FIXTURE_PAGE = [
  '# Fixture',
  '```ts',
  "import { Connection } from 'tspostgres';",
  'const conn = new Connection();',
  'await conn.connect(process.env.DATABASE_URL);',
  "const [row] = await conn.runQuery<{ n: number }>('SELECT count(*)::int AS n FROM jobs');",
  'conn.close();',
  "if (row.n !== 3) throw new Error('the fixture has 3 jobs');",
  'row.n;   // 3: the jobs of the fixture',
  '```',
  '<!-- snippet-prelude: import { Connection } from \'tspostgres\'; declare const conn: Connection; -->',
  '```ts',
  "await conn.runQuery('SELECT no_such_column FROM jobs');",
  '```',
  '```ts',
  "import { Connection } from 'tspostgres';",
  'const conn = new Connection();',
  'await conn.connect(process.env.DATABASE_URL);',
  '```',
  '```ts',
  "import { fail } from 'tspostgres';",
  "const d = fail(new Error('nobody handles this'));",
  '```',
  '```ts',
  "['a', 'b'].join('-');   // 'a+b'",
  '```',
  '<!-- snippet: compile-only (needs a standby) -->',
  '```ts',
  "throw new Error('never runs');",
  '```',
  '```ts',
  "import * as dc from 'node:diagnostics_channel';",
  "dc.subscribe('tspostgres:docs-fixture', () => undefined);",
  "dc.channel('tspostgres:docs-fixture-2').subscribe(() => undefined);",
  "if (!dc.channel('tspostgres:docs-fixture').hasSubscribers) throw new Error('subscribed during the block');",
  '```',
].join('\n');

describeServer('documentation code blocks run against PostgreSQL', () => {
  const docs = pages().flatMap((p) => extractSnippets(fs.readFileSync(path.join(ROOT, p), 'utf8'), p));
  const fixture = extractSnippets(FIXTURE_PAGE, 'fixture.md');
  const named = new Map<string, Snippet>();
  for (const s of docs) if (s.name !== null) named.set(modulePath(s).replace(/\.ts$/, ''), s);
  let db: TestDatabase;
  let admin: Client;
  const savedEnv: Record<string, string | undefined> = {};
  const started = Date.now();

  beforeAll(async () => {
    db = await createTestDatabase('docs_run');
    admin = new Client({ connectionString: db.url() });
    await admin.connect();
    const u = new URL(db.url());
    const env: Record<string, string> = {
      DATABASE_URL: db.url(), PGHOST: u.hostname, PGPORT: u.port || '5432', PGDATABASE: db.name,
      PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password),
    };
    for (const [k, v] of Object.entries(env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  }, 60_000);

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await dropGlobals(admin, db).catch(() => undefined);
    await admin?.end();
    await db?.drop();
    console.log(`snippets-run: ${Math.round((Date.now() - started) / 1000)} s in all`);
  }, 60_000);

  it('the fixture page: a block runs, a block that throws fails at its line, a leak, an unhandled Deferred failure and a false stated value fail, compile-only does not run', async () => {
    expect(fixture.map((s) => s.compileOnly)).toEqual([null, null, null, null, null, 'needs a standby', null]);
    expect(fixture.map((s) => checkedSource(s).checks)).toEqual([1, 0, 0, 0, 1, 0, 0]);
    // diagnostics_channel is process-wide: a block's subscriptions end with the block
    await runBlock(fixture[6], db, admin, named);
    expect([dc.channel('tspostgres:docs-fixture').hasSubscribers, dc.channel('tspostgres:docs-fixture-2').hasSubscribers]).toEqual([false, false]);
    await runBlock(fixture[0], db, admin, named);
    await expect(runBlock(fixture[1], db, admin, named)).rejects.toThrow(/^fixture\.md:12: .*no_such_column/);
    await expect(runBlock(fixture[2], db, admin, named)).rejects.toThrow(/^fixture\.md:15: left 1 session\(s\) open/);
    await runBlock(fixture[0], db, admin, named); // the leaked session was ended
    await expect(runBlock(fixture[4], db, admin, named)).rejects.toThrow(/^fixture\.md:24: fixture\.md:25: the comment states a value the code does not give/);
    await expect(runBlock(fixture[3], db, admin, named)).rejects.toThrow(/^fixture\.md:20: unhandled Deferred failure: .*nobody handles/);
  }, 120_000);

  it('lists the blocks that do not run, each with its reason', () => {
    const notRun = docs.filter((s) => s.skip !== null || s.compileOnly !== null || s.badSkip);
    const checks = docs.filter((s) => !notRun.includes(s)).reduce((n, s) => n + checkedSource(s).checks, 0);
    console.log(`snippets-run: ${docs.length} blocks, ${docs.length - notRun.length} run (${checks} values stated in comments checked), ${notRun.length} not run${
      notRun.map((s) => `\n  ${s.skip !== null ? 'skip' : 'compile-only'} ${s.file}:${s.fenceLine}: ${s.skip ?? s.compileOnly}`).join('')}`);
    expect(docs.filter((s) => s.badSkip).map((s) => `${s.file}:${s.fenceLine}`)).toEqual([]);
    expect(docs.length - notRun.length).toBeGreaterThan(40);
  });

  for (const s of docs) {
    if (s.skip !== null || s.compileOnly !== null || s.badSkip) continue;
    if (s.name !== null && docs.some((o) => o !== s && o.code.includes(`'./${path.basename(s.name as string, '.ts')}'`))) continue; // runs as an import
    it(`${s.file}:${s.fenceLine}`, async () => {
      const { harness } = await runBlock(s, db, admin, named);
      if (harness.registered > 0) {
        if (harness.skipped.length > 0) {
          const msg = `${s.file}:${s.fenceLine}: skipped ${harness.skipped.join('; ')}`;
          if (process.env.CI === 'true') throw new Error(msg);
          console.log(msg);
        }
        expect(harness.passed.length + harness.skipped.length).toBe(harness.registered);
      }
    }, DEADLINE_MS * 3);
  }
});
