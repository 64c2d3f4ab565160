/** `tspostgres query` against the real server: table, JSON lines, CSV, usage errors, secrets. */
import { main } from '../../cli/main';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { fakeIo } from './fake-io';

const TRICKY = `SELECT * FROM (VALUES
  (1, 'plain', 'a,b'),
  (2, 'say "hi"', E'line1\\nline2'),
  (3, NULL, '')
) AS t(id, quote, text) ORDER BY id`;

describeServer('tspostgres query', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cli_query');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('prints JSON lines when stdout is not a terminal', async () => {
    const io = fakeIo();
    expect(await main(['query', '--dsn', db.url(), TRICKY], io)).toBe(0);
    expect(io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { id: 1, quote: 'plain', text: 'a,b' },
      { id: 2, quote: 'say "hi"', text: 'line1\nline2' },
      { id: 3, quote: null, text: '' },
    ]);
    expect(io.err()).toBe('');
  });

  it('prints an aligned table on a terminal, and JSON lines there with --json', async () => {
    const io = fakeIo({ isTTY: true });
    expect(await main(['query', '--dsn', db.url(), "SELECT 1 AS n, 'abc' AS word, NULL::text AS nothing UNION ALL SELECT 22, 'x', 'y'"], io)).toBe(0);
    expect(io.out()).toBe([
      ' n  | word | nothing',
      '----+------+---------',
      ' 1  | abc  |',
      ' 22 | x    | y',
      '(2 rows)',
      '',
    ].join('\n'));
    const json = fakeIo({ isTTY: true });
    expect(await main(['query', '--json', '--dsn', db.url(), 'SELECT 1 AS n'], json)).toBe(0);
    expect(json.out()).toBe('{"n":1}\n');
  });

  it('escapes newlines in table cells so that each row stays on one line', async () => {
    const io = fakeIo({ isTTY: true });
    expect(await main(['query', '--dsn', db.url(), TRICKY], io)).toBe(0);
    expect(io.out().split('\n')).toHaveLength(7); // header, rule, 3 rows, footer, ''
    expect(io.out()).toContain('line1\\nline2');
  });

  it('prints CSV with RFC 4180 quoting; NULL is an empty field, an empty string is ""', async () => {
    const io = fakeIo({ isTTY: true });
    expect(await main(['query', '--csv', '--dsn', db.url(), TRICKY], io)).toBe(0);
    expect(io.out()).toBe('id,quote,text\r\n1,plain,"a,b"\r\n2,"say ""hi""","line1\nline2"\r\n3,,""\r\n');
  });

  it('passes extra arguments as parameters and connects from DATABASE_URL', async () => {
    const io = fakeIo({ env: { DATABASE_URL: db.url() } });
    expect(await main(['query', 'SELECT $1::int + 1 AS n, $2::text AS t', '41', 'x'], io)).toBe(0);
    expect(io.out()).toBe('{"n":42,"t":"x"}\n');
  });

  it('prints the command tag of a statement without rows on a terminal', async () => {
    const io = fakeIo({ isTTY: true });
    expect(await main(['query', '--dsn', db.url(), 'CREATE TABLE IF NOT EXISTS cli_t (x int)'], io)).toBe(0);
    expect(io.out()).toBe('CREATE TABLE\n');
  });

  it('exits 1 with the database error on stderr', async () => {
    const io = fakeIo();
    expect(await main(['query', '--dsn', db.url(), 'SELECT * FROM no_such_table'], io)).toBe(1);
    expect(io.err()).toMatch(/^tspostgres: .*no_such_table/);
    expect(io.out()).toBe('');
  });

  it('cancels a running query on the abort signal (SIGINT) and exits 1', async () => {
    const io = fakeIo();
    const exit = main(['query', '--dsn', db.url(), 'SELECT pg_sleep(600)'], io);
    const deadline = Date.now() + 20_000;
    const running = async (): Promise<boolean> => {
      const probe = fakeIo();
      await main(['query', '--dsn', db.url(), "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'"], probe);
      return probe.out() === '{"n":1}\n';
    };
    while (!(await running()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    io.abort();
    expect(await exit).toBe(1);
    expect(io.err()).toMatch(/^tspostgres: /);
  });

  it('exits 2 on usage errors: no SQL, unknown option, --json with --csv, unknown command', async () => {
    for (const args of [['query'], ['query', '--bogus', 'SELECT 1'], ['query', '--json', '--csv', 'SELECT 1'], ['frobnicate'], []]) {
      const io = fakeIo();
      expect(await main(args, io)).toBe(2);
      expect(io.err()).not.toBe('');
      expect(io.out()).toBe('');
    }
  });

  it('prints help with --help and exits 0', async () => {
    for (const args of [['--help'], ['help'], ['query', '--help']]) {
      const io = fakeIo();
      expect(await main(args, io)).toBe(0);
      expect(io.out()).toMatch(/^Usage: tspostgres/);
    }
  });
});
