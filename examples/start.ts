/**
 * `npm start`: the main job. Starts the throwaway PostgreSQL server
 * (scripts/pg-cluster.ts: the same one the tests use), runs examples/demo.ts
 * against it with DATABASE_URL (and PGCA_FILE, the CA of its TLS
 * certificate) in the environment, stops the server, and exits with the
 * demo's status. Ctrl-C stops the server too; a SIGKILL is covered by the
 * server's parent-death signal.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startCluster, type Cluster } from '../scripts/pg-cluster';

const ROOT = path.join(__dirname, '..');

/** Runs the demo as a child process; resolves with its exit status. */
function runDemo(cluster: Cluster): Promise<number> {
  const env = { ...process.env, DATABASE_URL: cluster.url('superuser'), PGCA_FILE: cluster.caCertPath };
  const child = spawn(process.execPath, ['-r', './scripts/register-ts.js', 'examples/demo.ts'], { cwd: ROOT, env, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

/** Starts the server, runs the demo, stops the server; returns the exit status. */
async function main(): Promise<number> {
  const started = Date.now();
  const cluster = await startCluster();
  process.stdout.write(`server: PostgreSQL from ${cluster.binDir}, pid ${cluster.pid}, ` +
    `tcp ${cluster.host}:${cluster.port}, unix socket in ${cluster.socketDir}, up in ${Date.now() - started} ms\n`);
  const stop = (): void => { void cluster.destroy().then(() => process.exit(130)); };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    return await runDemo(cluster);
  } finally {
    await cluster.destroy();
    process.stdout.write('server: stopped and removed\n');
  }
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`npm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
