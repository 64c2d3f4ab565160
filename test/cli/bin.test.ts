/** The `tspostgres` executable itself, run as a child process (TypeScript through scripts/register-ts.js). */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', './scripts/register-ts.js', 'cli/bin.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

describe('the tspostgres bin', () => {
  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^Usage: tspostgres COMMAND/), stderr: '' });
  }, 180_000); // one run only: transpiling the sources on the fly is slow on a loaded machine
});
