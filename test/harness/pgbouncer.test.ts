/**
 * The PgBouncer harness (scripts/pgbouncer.ts): a pooler in transaction
 * mode in front of the run's server, with PgBouncer's defaults (unknown
 * startup parameters refused), a small pool shared by several clients, run
 * as a non-root user, and gone after stop().
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Client } from 'pg';
import type { PgBouncer } from '../../scripts/pgbouncer';
import { findPgBouncer, startPgBouncer } from '../../scripts/pgbouncer';
import { encodeFrontend } from '../../src/protocol/encode';
import { describePgBouncer, startTestPgBouncer } from '../support/pgbouncer';
import { createTestDatabase, type TestDatabase } from '../support/server';

/** The first byte PgBouncer answers a StartupMessage with ('R' authentication, 'E' error) and the rest as text. */
function startupAnswer(b: PgBouncer, parameters: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: b.host, port: b.port });
    let got = Buffer.alloc(0);
    sock.once('connect', () => sock.write(encodeFrontend({ type: 'StartupMessage', parameters })));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length < 5 || got.length < 1 + got.readInt32BE(1)) return;
      sock.destroy();
      resolve(`${String.fromCharCode(got[0])} ${got.subarray(5, 1 + got.readInt32BE(1)).toString('latin1').replace(/\0/g, ' ')}`);
    });
    sock.once('error', reject);
  });
}

describePgBouncer('PgBouncer harness', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;

  beforeAll(async () => {
    db = await createTestDatabase('pgbouncer_harness');
    bouncer = await startTestPgBouncer();
  });
  afterAll(async () => {
    await bouncer?.destroy();
    await db?.drop();
  });

  it('finds the pgbouncer binary and runs it in transaction mode with default_pool_size 2, not as root', async () => {
    expect(findPgBouncer()).toMatch(/pgbouncer$/);
    expect(bouncer.poolMode).toBe('transaction');
    expect(bouncer.defaultPoolSize).toBe(2);
    const client = new Client({ connectionString: bouncer.url('pgbouncer') }); // the admin console
    await client.connect();
    try {
      const config = (await client.query({ text: 'SHOW CONFIG', rowMode: 'array' })).rows as string[][];
      const setting = (key: string): string | undefined => config.find((r) => r[0] === key)?.[1];
      expect(setting('pool_mode')).toBe('transaction');
      expect(setting('default_pool_size')).toBe('2');
      expect(setting('ignore_startup_parameters')).toBe('');
    } finally {
      await client.end();
    }
    const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${bouncer.pid}/status`, 'utf8'))?.[1];
    expect(uid).toMatch(/^\d+$/);
    expect(uid).not.toBe('0'); // PgBouncer refuses to run as root: the harness switches to the postgres user
  });

  it('lets a client through to any database of the server, under its own name', async () => {
    const client = new Client({ connectionString: bouncer.url(db.name) });
    await client.connect();
    try {
      expect((await client.query('SELECT current_database() AS d, current_user AS u')).rows).toEqual([{ d: db.name, u: 'postgres' }]);
    } finally {
      await client.end();
    }
  });

  it('keeps PgBouncer\'s defaults: a startup parameter it does not know refuses the connection', async () => {
    const base = { user: 'postgres', database: db.name, client_encoding: 'UTF8' };
    expect(await startupAnswer(bouncer, base)).toMatch(/^R /);
    expect(await startupAnswer(bouncer, { ...base, extra_float_digits: '3' })).toMatch(/^E .*unsupported startup parameter: extra_float_digits/);
    expect(await startupAnswer(bouncer, { ...base, IntervalStyle: 'postgres' })).toMatch(/^E .*unsupported startup parameter: IntervalStyle/i);
  });

  it('shares two server connections among five clients', async () => {
    const clients = Array.from({ length: 5 }, () => new Client({ connectionString: bouncer.url(db.name) }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const pids = new Set<number>();
      for (let round = 0; round < 4; round++) {
        const rows = await Promise.all(clients.map((c) => c.query('SELECT pg_backend_pid() AS pid, pg_sleep(0.01)')));
        for (const r of rows) pids.add(r.rows[0].pid as number);
      }
      expect(pids.size).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('is gone after stop(): the process exited and the port refuses connections', async () => {
    const other = await startTestPgBouncer({ defaultPoolSize: 1 });
    const pid = other.pid!;
    await other.destroy();
    expect(other.pid).toBeNull();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(new Client({ connectionString: other.url(db.name) }).connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('fails with the log when pgbouncer cannot start', async () => {
    const error = await startPgBouncer({ server: { host: '127.0.0.1', port: 1 }, settings: { pool_mode: 'bogus' } }).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error).toMatchObject({ code: 'ERR_TEST_PGBOUNCER' });
    expect(error?.message).toMatch(/exited during start-up[\s\S]*invalid value "bogus" for parameter pool_mode/);
  });
});
