/**
 * The sans-IO machine over the Node reactor, against the harness server.
 *
 * The auth/transport matrix uses the minimal hand-written loop of
 * examples/sans-io.ts (NodeReactor + ProtocolMachine + poll()): trust, md5
 * and scram-sha-256 users over TCP, the unix socket and verified TLS. The
 * Connection (the reference driver) then verifies TLS with verify-full, and
 * refuses a server signed by another CA.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeReactor } from '../../reactor/node/node';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { Connection } from '../../src/index';
import type { MachineOptions } from '../../src/core';
import { simpleQuery, type SansIoTarget } from '../../examples/sans-io';
import { createTestDatabase, describeLocal, localCa, localServer, testServer, type TestDatabase, type TestUser } from '../support/server';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('machine_node');
});
afterAll(async () => {
  await db.drop();
});

type Transport = 'tcp' | 'unix' | 'tls';

/** A target for `user` over `transport`, on the test database. */
function target(user: TestUser, transport: Transport): SansIoTarget {
  const server = testServer();
  const machine: MachineOptions = {
    user: user.user, password: user.password || undefined, crypto: nodeAuthCrypto,
    startupParameters: { database: db.name, client_encoding: 'UTF8' },
    tls: transport === 'tls' ? 'require' : 'disable',
  };
  if (transport === 'unix') {
    return { endpoint: { kind: 'unix', path: path.join(localServer().socketDir, `.s.PGSQL.${server.port}`) }, machine };
  }
  return {
    endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port },
    machine,
    tls: { ca: localCa(), servername: 'localhost', rejectUnauthorized: true },
  };
}

const SQL = `SELECT current_user AS who,
  (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())::text AS ssl,
  coalesce(inet_client_addr()::text, 'local') AS addr`;

describeLocal('the machine over the Node reactor: authentication x transport', () => {
  const users = ['trust', 'md5', 'scram'] as const;
  const transports: Transport[] = ['tcp', 'unix', 'tls'];
  const matrix = users.flatMap((u) => transports.map((t) => [u, t] as const));

  it.each(matrix)('the %s user connects over %s, queries and terminates cleanly', async (who, transport) => {
    const user = localServer().users[who];
    const r = await simpleQuery(new NodeReactor(), target(user, transport), SQL);
    expect(r.columns).toEqual(['who', 'ssl', 'addr']);
    expect(r.rows).toEqual([[user.user, transport === 'tls' ? 'true' : 'false', transport === 'unix' ? 'local' : '127.0.0.1/32']]);
    expect(r.tls).toBe(transport === 'tls');
    expect(r.parameters.get('server_version')).toMatch(/^\d+/);
  });

  it('fails the scram user with the server error when the password is wrong', async () => {
    const user = { ...localServer().users.scram, password: 'not-the-password' };
    await expect(simpleQuery(new NodeReactor(), target(user, 'tcp'), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  it('fails with ERR_TLS_REFUSED when TLS is required and the unix socket path is not TLS-capable', async () => {
    const t = target(localServer().users.trust, 'unix');
    t.machine.tls = 'require';
    await expect(simpleQuery(new NodeReactor(), t, 'SELECT 1')).rejects.toMatchObject({ code: 'ERR_TLS_REFUSED' });
  });
});

/** A self-signed CA that signed nothing the server holds. */
function strangerCa(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-ca-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=stranger CA'], { cwd: dir, stdio: 'ignore' });
    return fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describeLocal('the Connection over TLS with verify-full', () => {
  it('connects to localhost verifying the harness certificate, and the session is encrypted', async () => {
    const conn = new Connection();
    await conn.connect({ dsn: db.url(), sslmode: 'verify-full', sslrootcert: localServer().caCertPath, host: 'localhost' });
    try {
      const [row] = await conn.runQuery<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(row.ssl).toBe(true);
    } finally {
      conn.close();
    }
  });

  it('accepts the same through the URI form ?sslmode=verify-full&sslrootcert=...', async () => {
    const u = new URL(db.url());
    u.hostname = 'localhost';
    u.searchParams.set('sslmode', 'verify-full');
    u.searchParams.set('sslrootcert', localServer().caCertPath);
    const conn = new Connection();
    await conn.connect(u.toString());
    try {
      expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      conn.close();
    }
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-wrong-ca-'));
    const caPath = path.join(dir, 'ca.crt');
    fs.writeFileSync(caPath, strangerCa());
    try {
      const conn = new Connection();
      const err = await conn.connect({ dsn: db.url(), sslmode: 'verify-full', sslrootcert: caPath, host: 'localhost' }).then(() => null, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect(conn.closed).toBe(true);
      expect(String(err?.message) + String((err as { cause?: Error })?.cause?.message ?? '')).toMatch(/certif|verify|TLS|SSL/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
