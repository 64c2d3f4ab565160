/**
 * The secret scan (issue 16, "Secrets"): after faults, no password, pgpass
 * line, sslpassword or private key appears anywhere a user can see it.
 *
 * The SCRAM role's password comes from a pgpass file; the TLS client key is
 * encrypted with an sslpassword (a client certificate signed by the
 * throwaway cluster's CA, so the server accepts it). Connections with a
 * detector and a pool then go through faults: backends terminated, a wrong
 * password, a wrong sslpassword, server errors. Everything observable is
 * collected: every error (message, stack, `cause` chain, JSON.stringify,
 * util.inspect with hidden fields), every state-change reason, everything
 * written to the console, and the inspect/JSON views of the connection,
 * pool, detector and cursor. None may contain a secret.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { createPrivateKey } from 'node:crypto';
import { Connection, ConnectionPool, DeadConnectionDetector } from '../../src/index';
import { adminQuery, describeLocal, localServer, testServer } from '../support/server';
import { errorOf, until } from './helpers';

const SSL_PASSWORD = 'sslpass-Zq81-unique';

describeLocal('secret scan after faults', () => {
  let dir: string;
  let password: string;
  let keyBody: string;
  const seen: unknown[] = [];
  const printed: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeAll(() => {
    password = localServer().users.scram.password;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspg-secrets-'));
    const tls = path.dirname(localServer().caCertPath);
    const key = path.join(dir, 'client.key');
    const crt = path.join(dir, 'client.crt');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', path.join(dir, 'client.csr'), '-subj', `/CN=${localServer().users.scram.user}`], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', path.join(dir, 'client.csr'), '-CA', path.join(tls, 'ca.crt'), '-CAkey', path.join(tls, 'ca.key'), '-CAcreateserial', '-CAserial', path.join(dir, 'ca.srl'), '-days', '1', '-out', crt], { stdio: 'pipe' });
    const plain = fs.readFileSync(key, 'utf8');
    keyBody = plain.split('\n')[1].slice(0, 40);
    fs.writeFileSync(key, createPrivateKey(plain).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: SSL_PASSWORD }) as string, { mode: 0o600 });
    const { host, port } = testServer();
    fs.writeFileSync(path.join(dir, 'pgpass'), `${host}:${port}:*:${localServer().users.scram.user}:${password}\n`, { mode: 0o600 });
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map((a) => inspect(a, { depth: Infinity })).join(' '))));
    }
  });
  afterAll(() => {
    for (const s of spies) s.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const dsn = (extra = ''): string => {
    const { host, port } = testServer();
    return `host=${host} port=${port} user=${localServer().users.scram.user} dbname=postgres passfile=${dir}/pgpass sslmode=verify-ca ` +
      `sslrootcert=${localServer().caCertPath} sslcert=${dir}/client.crt sslkey=${dir}/client.key sslpassword=${SSL_PASSWORD}${extra}`;
  };

  async function capture(d: PromiseLike<unknown>): Promise<void> {
    const e = await errorOf(d, 30_000);
    if (e !== null) seen.push(e);
  }

  async function terminateBackendsOf(user: string): Promise<void> {
    await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [user]);
  }

  it('connects, survives terminations, fails on wrong secrets; nothing shows a secret', async () => {
    const user = localServer().users.scram.user;
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [100, 200, 300, 300, 300, 300, 300, 300, 300, 300] });
    const conn = new Connection({ env: {}, detector });
    conn.onStateChange((_s, reason) => reason && seen.push(reason));
    detector.onGiveUp((e) => seen.push(e));
    await conn.connect(dsn());
    const [{ ssl }] = await conn.runQuery<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(ssl).toBe(true);
    const pool = new ConnectionPool({ connect: dsn(), min: 2, max: 2, detector: () => new DeadConnectionDetector({ reconnectionIterator: () => [100, 200, 300, 300, 300] }) });
    await pool.runQuery('SELECT 1');

    for (let cycle = 0; cycle < 3; cycle++) {
      await terminateBackendsOf(user);
      await capture(conn.runQuery('SELECT pg_sleep(0.05)'));
      await capture(pool.runQuery('SELECT 1'));
      await until(() => conn.state === 'ready', 30_000, 'reconnected');
    }
    await capture(conn.runQuery('SELECT * FROM no_such_table'));
    await capture(conn.runInteraction(async (c) => { await c.execute('SELECT 1/0'); }));

    const wrongPassword = new Connection({ env: {} });
    await capture(wrongPassword.connect(dsn().replace(/passfile=\S+/, 'password=Not-The-Password-1')));
    const wrongKeyPass = new Connection({ env: {} });
    await capture(wrongKeyPass.connect(dsn().replace(SSL_PASSWORD, 'wrong-ssl-pass-2')));
    expect(seen.length).toBeGreaterThan(5);

    const views = { conn, pool, detector, cursor: conn.cursor() };
    const texts = [
      ...seen.flatMap(renderError),
      ...printed,
      ...Object.values(views).flatMap((v) => [inspect(v, { depth: Infinity, showHidden: true }), JSON.stringify(v)]),
    ];
    const secrets = [password, encodeURIComponent(password), SSL_PASSWORD, keyBody, `${user}:${password}`, 'wrong-ssl-pass-2', 'Not-The-Password-1'];
    const leaks = texts.flatMap((t, i) => secrets.filter((s) => t.includes(s)).map((s) => `text ${i} contains ${s === password ? 'the password' : s.slice(0, 6)}...`));
    expect(leaks).toEqual([]);
    conn.close();
    await pool.close();
  }, 180_000);
});

/** Every way an error may be shown: message, stack, cause chain, JSON, inspect with hidden fields. */
function renderError(e: unknown): string[] {
  const out: string[] = [inspect(e, { depth: Infinity, showHidden: true }), JSON.stringify(e) ?? ''];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 10; cur = (cur as { cause?: unknown }).cause, depth++) {
    out.push(cur.message, cur.stack ?? '');
  }
  return out;
}
