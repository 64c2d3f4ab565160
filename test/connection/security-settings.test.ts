/**
 * The security keywords are honoured or refused, never ignored (issue 16):
 * `require_auth` against the real server's md5, SCRAM and trust roles;
 * `sslcrl`/`sslcrldir` with a CRL that revokes the server's certificate
 * (made with openssl from the throwaway cluster's own CA);
 * `ssl_min_protocol_version`/`ssl_max_protocol_version` judged by the
 * server's `pg_stat_ssl`; and the keywords Node cannot honour refused with a
 * ConfigurationError naming them.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, ConfigurationError, ConnectionFailed, type ConnectInput } from '../../src/index';
import { describeLocal, localServer, testServer, type TestUser } from '../support/server';

/** Connects as `user` over TCP with `extra`; fires with the connection or the error. */
async function attempt(user: TestUser, extra: Record<string, unknown> = {}): Promise<Connection | Error> {
  const { host, port } = testServer();
  const conn = new Connection({ env: {} });
  try {
    await conn.connect({ host, port, user: user.user, password: user.password || undefined, database: 'postgres', sslmode: 'disable', ...extra } as ConnectInput);
    return conn;
  } catch (e) {
    conn.close();
    return e as Error;
  }
}

async function connectsOk(user: TestUser, extra: Record<string, unknown> = {}): Promise<Connection> {
  const result = await attempt(user, extra);
  if (result instanceof Error) throw result;
  return result;
}

describeLocal('require_auth (libpq 16)', () => {
  const users = () => localServer().users;

  it.each([
    ['scram', 'scram-sha-256'], ['md5', 'md5'], ['trust', 'none'], ['scram', 'md5,scram-sha-256'], ['scram', '!md5'], ['trust', '!password,!md5'],
  ] as const)('%s role with require_auth=%s connects', async (role, requirement) => {
    (await connectsOk(users()[role], { require_auth: requirement })).close();
  });

  it.each([
    ['md5', 'scram-sha-256', 'server requested a hashed password'],
    ['scram', 'md5', 'server requested SASL authentication'],
    ['trust', 'scram-sha-256', 'server did not complete authentication'],
    ['md5', '!md5', 'server requested a hashed password'],
    ['trust', '!none', 'server did not complete authentication'],
  ] as const)('%s role with require_auth=%s is refused before any credential is sent: %s', async (role, requirement, why) => {
    const error = await attempt(users()[role], { require_auth: requirement });
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as ConnectionFailed).errors[0]).toMatchObject({ code: 'ERR_AUTH_REQUIREMENT', message: `authentication method requirement "${requirement}" failed: ${why}` });
  });

  it.each(['scram', 'md5,!scram-sha-256', 'md5,md5', ''.padEnd(3, 'x')])('an invalid require_auth (%s) is a ConfigurationError', async (value) => {
    expect(await attempt(users().trust, { require_auth: value })).toBeInstanceOf(ConfigurationError);
  });
});

describeLocal('sslcrl and sslcrldir', () => {
  let dir: string;
  let revoked: string;
  let empty: string;

  /** openssl ca over the cluster's CA: a CRL revoking the server certificate, and one revoking nothing. */
  beforeAll(() => {
    const tls = path.dirname(localServer().caCertPath);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspg-crl-'));
    fs.writeFileSync(path.join(dir, 'index.txt'), '');
    fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
    fs.writeFileSync(path.join(dir, 'ca.cnf'), `[ca]\ndefault_ca=tsp\n[tsp]\ndatabase=${dir}/index.txt\ncrlnumber=${dir}/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n`);
    const ca = ['-config', path.join(dir, 'ca.cnf'), '-keyfile', path.join(tls, 'ca.key'), '-cert', path.join(tls, 'ca.crt')];
    empty = path.join(dir, 'empty.crl');
    execFileSync('openssl', ['ca', ...ca, '-gencrl', '-out', empty], { stdio: 'pipe' });
    execFileSync('openssl', ['ca', ...ca, '-revoke', path.join(tls, 'server.crt')], { stdio: 'pipe' });
    revoked = path.join(dir, 'revoked.crl');
    execFileSync('openssl', ['ca', ...ca, '-gencrl', '-out', revoked], { stdio: 'pipe' });
    fs.mkdirSync(path.join(dir, 'crldir'));
    fs.copyFileSync(revoked, path.join(dir, 'crldir', 'revoked.r0'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const verified = () => ({ sslmode: 'verify-ca', sslrootcert: localServer().caCertPath });

  it('a CRL that revokes nothing changes nothing', async () => {
    (await connectsOk(localServer().users.trust, { ...verified(), sslcrl: empty })).close();
  });

  it('sslcrl revoking the server certificate: the connection is refused (as psql refuses it)', async () => {
    const error = await attempt(localServer().users.trust, { ...verified(), sslcrl: revoked });
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message) + String((error as Error & { cause?: Error }).cause?.message)).toMatch(/revoked/i);
  });

  it('sslcrldir holding that CRL: refused too', async () => {
    const error = await attempt(localServer().users.trust, { ...verified(), sslcrldir: path.join(dir, 'crldir') });
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message) + String((error as Error & { cause?: Error }).cause?.message)).toMatch(/revoked/i);
  });
});

describeLocal('ssl_min_protocol_version and ssl_max_protocol_version', () => {
  async function tlsVersion(extra: Record<string, string>): Promise<string> {
    const conn = await connectsOk(localServer().users.trust, { sslmode: 'require', ...extra });
    try {
      const [row] = await conn.runQuery<{ version: string }>('SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return row.version;
    } finally {
      conn.close();
    }
  }

  it('the server sees the version the keywords allow', async () => {
    expect(await tlsVersion({ ssl_max_protocol_version: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await tlsVersion({ ssl_min_protocol_version: 'TLSv1.3' })).toBe('TLSv1.3');
  });

  it('an unknown version, or a minimum above the maximum, is a ConfigurationError', async () => {
    expect(await attempt(localServer().users.trust, { ssl_min_protocol_version: 'TLSv9' })).toBeInstanceOf(ConfigurationError);
    const error = await attempt(localServer().users.trust, { ssl_min_protocol_version: 'TLSv1.3', ssl_max_protocol_version: 'TLSv1.2' });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('ssl_min_protocol_version TLSv1.3 is newer than ssl_max_protocol_version TLSv1.2');
  });
});

describeLocal('keywords Node cannot honour are refused, naming them', () => {
  it.each([
    [{ sslcertmode: 'require' }, 'sslcertmode=require'],
    [{ gssencmode: 'require' }, 'gssencmode=require'],
  ])('%j', async (extra, named) => {
    const error = await attempt(localServer().users.trust, extra);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(named);
  });

  it('requirepeer on a unix socket is refused; over TCP it does not apply (as in libpq)', async () => {
    const conn = new Connection({ env: {} });
    const error = await conn.connect({ host: localServer().socketDir, port: testServer().port, user: 'postgres', database: 'postgres', requirepeer: 'postgres' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('requirepeer');
    (await connectsOk(localServer().users.trust, { requirepeer: 'postgres' })).close();
  });
});
