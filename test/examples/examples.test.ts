/**
 * Every example under examples/ runs as a real program against a fresh
 * database of the test server, exits 0 and prints what it promises.
 *
 * start.ts (which starts its own server) and worker* (modules loaded by other
 * programs) are not standalone examples; every other examples/*.ts is run,
 * including ones added later: those must at least exit 0 and print something.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/server';

const ROOT = path.join(__dirname, '..', '..');

/** What each known example must print (each pattern somewhere in stdout). */
const EXPECTED: Record<string, RegExp[]> = {
  'demo.ts': [
    /demo: connected to PostgreSQL \d+/,
    /demo: pipelined squares 0 1 4 9 16 25 36 49 64 81/,
    /rolled back: alice=10, bob=0/,
    /demo: cancelled a 30 s query after \d+ ms \(CancelledError\); next query answered 1/,
  ],
  'basic-query.ts': [/basic: apple costs 1\.20, tags red\+sweet/, /basic: lemon costs 0\.80, tags sour/, /basic: tuple 42 2024-01-02T00:00:00\.000Z/, /basic: cursor says SELECT 1, n = 2/],
  'transaction.ts': [
    /transaction: committed, total 120: alice=70 bob=50/,
    /transaction: rolled back \(23514\): alice=70 bob=50/,
    /savepoint rolled back, outer committed: alice=71 bob=50/,
    /read-only interaction ran at serializable/,
  ],
  'pool.ts': [/pool: 20 queries answered in order \(0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19\) by [2-4] backends/, /withConnection saw TimeZone Asia\/Tokyo/, /interaction returned 55/, /stats size [2-4]/],
  'cancel.ts': [/running query -> CancelledError, queued query -> CancelledError/, /timeout -> TimeoutError/, /AbortSignal -> CancelledError/, /alive=true/],
  'sans-io.ts': [/sans-io: server_version \d+/, /columns who, answer, nothing; row \["[^"]+","42",null\]/],
};

const examples = fs.readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.ts') && f !== 'start.ts' && !f.startsWith('worker'))
  .sort();

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('examples');
});
afterAll(async () => {
  await db.drop();
});

/** Runs one example with DATABASE_URL set; resolves with its exit code and output. */
function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url() };
  delete env.PGCA_FILE;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', './scripts/register-ts.js', path.join('examples', file)], { cwd: ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('examples', () => {
  it('include every example this suite knows about', () => {
    expect(examples).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
  });

  it.each(examples)('%s runs against a fresh database, exits 0 and prints its results', async (file) => {
    const { code, stdout, stderr } = await run(file);
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/failed/) });
    expect(stdout.trim()).not.toBe('');
    for (const pattern of EXPECTED[file] ?? []) expect(stdout).toMatch(pattern);
  }, 90_000);
});
