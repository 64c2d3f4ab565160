import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ConfigurationError, InterfaceError } from '../../src/errors/base';
import { defaultHostFor, loadConfig } from '../../src/config/load';
import { PgpassPermissionError, SslKeyPermissionError } from '../../src/config/errors';
import { passwordFor } from '../../src/dsn/hosts';

const SECRET = 'S3cr3t-Pw';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'tspg-config-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function write(name: string, text: string, mode: number): string {
  const file = path.join(home, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
  return file;
}

const base = () => ({ env: {}, osUser: 'osuser', homeDir: home, platform: 'linux' });

describe('loadConfig with a password file', () => {
  it('reads ~/.pgpass when it is 0600 and sets each host its own password', async () => {
    write('.pgpass', `h1:5432:app:alice:${SECRET}\nh2:*:*:alice:other\n`, 0o600);
    const p = await loadConfig('postgres://alice@h1,h2,h3/app', base());
    expect(p.password).toBeUndefined();
    expect(p.hosts.map((h) => passwordFor(p, h))).toEqual([SECRET, 'other', undefined]);
  });

  it('refuses a 0644 password file with ERR_PGPASS_PERMISSIONS, naming the file and the fix', async () => {
    const file = write('.pgpass', `*:*:*:*:${SECRET}\n`, 0o644);
    const err = await loadConfig('host=h user=u', base()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgpassPermissionError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as PgpassPermissionError).code).toBe('ERR_PGPASS_PERMISSIONS');
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('mode 0644');
    expect((err as Error).message).toContain('chmod 0600');
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('refuses a group-readable 0640 file too, but not when a password is already given', async () => {
    write('.pgpass', '*:*:*:*:x\n', 0o640);
    await expect(loadConfig('host=h user=u', base())).rejects.toThrow(PgpassPermissionError);
    await expect(loadConfig('host=h user=u password=given', base())).resolves.toMatchObject({ password: 'given' });
  });

  it('uses PGPASSFILE (and passfile=) instead of ~/.pgpass', async () => {
    const file = write('elsewhere/pass', '*:*:*:u:from-env-file\n', 0o600);
    write('.pgpass', '*:*:*:u:from-home\n', 0o600);
    const viaEnv = await loadConfig('host=h user=u', { ...base(), env: { PGPASSFILE: file } });
    expect(viaEnv.hosts[0].password).toBe('from-env-file');
    const viaKeyword = await loadConfig(`host=h user=u passfile=${file}`, base());
    expect(viaKeyword.hosts[0].password).toBe('from-env-file');
  });

  it('ignores a missing password file and a password file that is not a regular file', async () => {
    await expect(loadConfig('host=h user=u', base())).resolves.toMatchObject({ user: 'u' });
    fs.mkdirSync(path.join(home, '.pgpass'));
    const p = await loadConfig('host=h user=u', base());
    expect(p.hosts[0].password).toBeUndefined();
  });

  it('looks up the default socket directory as localhost', async () => {
    write('.pgpass', 'localhost:5432:*:u:local-pw\n', 0o600);
    const p = await loadConfig('user=u', base());
    expect(p.hosts[0]).toMatchObject({ kind: 'unix', host: '/var/run/postgresql', password: 'local-pw' });
  });

  it('skips the permission check on Windows, where modes mean nothing', async () => {
    write('appdata/postgresql/pgpass.conf', '*:*:*:u:win-pw\n', 0o644);
    const p = await loadConfig('host=h user=u', { ...base(), platform: 'win32', env: { APPDATA: path.join(home, 'appdata') } });
    expect(p.hosts[0].password).toBe('win-pw');
  });
});

describe('loadConfig defaults from the process', () => {
  it('takes the environment and OS user from options or the real process', async () => {
    const p = await loadConfig(undefined, { ...base(), env: { PGHOST: 'envhost', PGUSER: 'envuser' } });
    expect(p).toMatchObject({ hosts: [{ host: 'envhost' }], user: 'envuser', database: 'envuser' });
    const real = await loadConfig('host=h sslmode=disable', { homeDir: home, env: {} });
    expect(real.user).toBe(os.userInfo().username);
  });

  it('picks the default host per platform', () => {
    expect(defaultHostFor('linux')).toBe('/var/run/postgresql');
    expect(defaultHostFor('darwin')).toBe('/tmp');
    expect(defaultHostFor('win32')).toBe('localhost');
  });
});

describe('loadConfig with TLS files', () => {
  it('reads sslrootcert, sslcert and a 0600 sslkey as PEM text', async () => {
    const ca = write('ca.pem', 'CA PEM', 0o644);
    const cert = write('client.crt', 'CERT PEM', 0o644);
    const key = write('client.key', 'KEY PEM', 0o600);
    const p = await loadConfig(`host=h user=u sslmode=verify-full sslrootcert=${ca} sslcert=${cert} sslkey=${key}`, base());
    expect(p.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
  });

  it('uses the files under ~/.postgresql by default', async () => {
    write('.postgresql/root.crt', 'HOME CA', 0o644);
    write('.postgresql/postgresql.crt', 'HOME CERT', 0o644);
    write('.postgresql/postgresql.key', 'HOME KEY', 0o600);
    expect((await loadConfig('host=h user=u', base())).tls).toEqual({ ca: 'HOME CA', cert: 'HOME CERT', key: 'HOME KEY' });
  });

  it('marks sslrootcert=system as the system trust store', async () => {
    const p = await loadConfig('host=h user=u sslrootcert=system', base());
    expect(p.sslmode).toBe('verify-full');
    expect(p.tls).toEqual({ useSystemCa: true });
  });

  it('refuses verify-ca and verify-full without a root certificate, suggesting sslrootcert=system', async () => {
    await expect(loadConfig('host=h user=u sslmode=verify-ca', base())).rejects.toThrow(/root certificate file ".*root.crt" does not exist.*sslrootcert=system/);
    await expect(loadConfig('host=h user=u sslmode=require', base())).resolves.toMatchObject({ tls: {} });
  });

  it('refuses a private key readable by group or world', async () => {
    const cert = write('c.crt', 'CERT', 0o644);
    const key = write('c.key', 'KEY', 0o644);
    const err = await loadConfig(`host=h user=u sslcert=${cert} sslkey=${key}`, base()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SslKeyPermissionError);
    expect((err as SslKeyPermissionError).code).toBe('ERR_SSLKEY_PERMISSIONS');
  });

  it('refuses a certificate without its key', async () => {
    const cert = write('c.crt', 'CERT', 0o644);
    await expect(loadConfig(`host=h user=u sslcert=${cert}`, base())).rejects.toThrow(/certificate present, but not private key file/);
  });

  it('reads nothing when TLS is off or every host is a unix socket', async () => {
    write('.postgresql/root.crt', 'HOME CA', 0o644);
    expect((await loadConfig('host=h user=u sslmode=disable', base())).tls).toBeUndefined();
    expect((await loadConfig('host=/tmp user=u sslmode=verify-full', base())).tls).toBeUndefined();
  });

  it('works with injected file access instead of the real file system', async () => {
    const files: Record<string, string> = { '/fake/.pgpass': '*:*:*:u:fake-pw\n' };
    const p = await loadConfig('host=h user=u sslmode=disable', {
      ...base(),
      homeDir: '/fake',
      readFile: (f) => Promise.resolve(files[f]),
      stat: (f) => (f in files ? Promise.resolve({ mode: 0o100600, isFile: () => true }) : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' }))),
    });
    expect(p.hosts[0].password).toBe('fake-pw');
  });
});

describe('loadConfig with input that is not connection parameters', () => {
  const noFiles = () => {
    const touched: string[] = [];
    const files = {
      readFile: (f: string) => (touched.push(f), Promise.reject(new Error('no file access expected'))),
      stat: (f: string) => (touched.push(f), Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' }))),
    };
    return { touched, files };
  };

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 123],
    ['a boolean', false],
  ])('rejects %s with InterfaceError ERR_INVALID_ARGUMENT (a rejected promise, not a throw) before touching any file', async (_, input) => {
    const { touched, files } = noFiles();
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = loadConfig(input as string, { ...base(), ...files });
    }).not.toThrow();
    const err = await result!.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InterfaceError);
    expect((err as InterfaceError).code).toBe('ERR_INVALID_ARGUMENT');
    expect(touched).toEqual([]);
  });

  it('rejects an unknown or wrongly typed key with ConfigurationError naming it, before touching any file', async () => {
    const { touched, files } = noFiles();
    await expect(loadConfig({ host: 'h', connectionTimeoutMillis: 5 } as never, { ...base(), ...files })).rejects.toThrow(/"connectionTimeoutMillis"/);
    await expect(loadConfig({ port: { n: 1 } } as never, { ...base(), ...files })).rejects.toThrow(ConfigurationError);
    expect(touched).toEqual([]);
  });

  it('still reads the PG* variables for undefined', async () => {
    const p = await loadConfig(undefined, { ...base(), env: { PGHOST: 'envhost', PGSSLMODE: 'disable' } });
    expect(p.hosts).toEqual([{ host: 'envhost', port: 5432, kind: 'tcp' }]);
  });
});
