/**
 * `loadConfigSoon`, the connection's path to its configuration: the
 * configuration at once when no file has to be read, otherwise the promise
 * of what `loadConfig` gives; a password file that appears, changes or
 * disappears between two connects is seen by the next one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadConfig, loadConfigSoon } from '../../src/config/load';
import { ConfigurationError } from '../../src/errors/base';
import { passwordFor } from '../../src/dsn/hosts';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'tspg-soon-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const base = () => ({ env: {}, osUser: 'osuser', homeDir: home, platform: 'linux' });
const DSN = 'postgres://alice@h1:5432/app?sslmode=disable';

function pgpass(text: string): void {
  const file = path.join(home, '.pgpass');
  fs.writeFileSync(file, text);
  fs.chmodSync(file, 0o600);
}

describe('loadConfigSoon', () => {
  it('gives the configuration at once when there is no password file and no TLS', async () => {
    const soon = loadConfigSoon(DSN, base());
    expect(soon).not.toBeInstanceOf(Promise);
    expect(soon).toEqual(await loadConfig(DSN, base()));
  });

  it('gives TLS material at once when TLS may be used but none of its files exists', async () => {
    const dsn = 'postgres://alice@h1:5432/app?sslmode=prefer';
    const soon = loadConfigSoon(dsn, base());
    expect(soon).not.toBeInstanceOf(Promise);
    expect((soon as Awaited<typeof soon>).tls).toEqual({});
    expect(soon).toEqual(await loadConfig(dsn, base()));
  });

  it('gives a promise, with what loadConfig reads, once ~/.postgresql/root.crt exists', async () => {
    const dsn = 'postgres://alice@h1:5432/app?sslmode=require';
    fs.mkdirSync(path.join(home, '.postgresql'));
    fs.writeFileSync(path.join(home, '.postgresql', 'root.crt'), 'CA-PEM');
    const soon = loadConfigSoon(dsn, base());
    expect(soon).toBeInstanceOf(Promise);
    expect((await soon).tls).toEqual({ ca: 'CA-PEM' });
    expect(await soon).toEqual(await loadConfig(dsn, base()));
  });

  it('leaves verify-full without a root certificate to loadConfig (it fails as before)', async () => {
    const soon = loadConfigSoon('postgres://alice@h1:5432/app?sslmode=verify-full', base());
    expect(soon).toBeInstanceOf(Promise);
    await expect(soon).rejects.toThrow(/root certificate file/);
  });

  it('sees a password file that appears, changes and goes away between connects', async () => {
    expect(passwordFor(await loadConfigSoon(DSN, base()), { host: 'h1', port: 5432, kind: 'tcp' })).toBeUndefined();
    pgpass('h1:5432:app:alice:first\n');
    const first = loadConfigSoon(DSN, base());
    expect(first).toBeInstanceOf(Promise);
    expect((await first).hosts[0].password).toBe('first');
    pgpass('h1:5432:app:alice:second\n');
    expect((await loadConfigSoon(DSN, base())).hosts[0].password).toBe('second');
    fs.rmSync(path.join(home, '.pgpass'));
    const gone = loadConfigSoon(DSN, base());
    expect(gone).not.toBeInstanceOf(Promise);
    expect((gone as Awaited<typeof gone>).hosts[0].password).toBeUndefined();
  });

  it('skips the password file when a password is given', () => {
    pgpass('h1:5432:app:alice:fromfile\n');
    const soon = loadConfigSoon('postgres://alice:given@h1:5432/app?sslmode=disable', base());
    expect(soon).not.toBeInstanceOf(Promise);
    expect((soon as Awaited<typeof soon>).password).toBe('given');
  });

  it('throws a bad configuration synchronously; loadConfig rejects with it', async () => {
    expect(() => loadConfigSoon('postgres://alice@h1/app?sslmode=bogus', base())).toThrow(ConfigurationError);
    await expect(loadConfig('postgres://alice@h1/app?sslmode=bogus', base())).rejects.toThrow(ConfigurationError);
  });
});
