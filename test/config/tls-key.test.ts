/**
 * loadConfig loads the client certificate and key as libpq does when TLS
 * starts (issue 10, item 13): a key that is not a key, an encrypted key, a
 * key that does not match the certificate, or a certificate that does not
 * parse fails with a ConfigurationError naming the file (libpq's words),
 * never quoting the file's content. A valid pair is returned as PEM text.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadConfig } from '../../src/config/load';
import { ConfigurationError } from '../../src/errors/base';
import { testCertificate } from '../reactor/tls-fixture';

const SECRET = 'key-content-s3cr3t';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'tspg-tlskey-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function write(name: string, text: string, mode = 0o600): string {
  const file = path.join(home, name);
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
  return file;
}

const base = () => ({ env: {}, osUser: 'osuser', homeDir: home, platform: 'linux' });

async function failure(cert: string, key: string): Promise<{ error: ConfigurationError; certFile: string; keyFile: string }> {
  const certFile = write('client.crt', cert, 0o644);
  const keyFile = write('client.key', key);
  const error = await loadConfig(`host=h user=u sslmode=require sslcert=${certFile} sslkey=${keyFile}`, base()).then(
    () => { throw new Error('loadConfig succeeded'); },
    (e: unknown) => e as ConfigurationError,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error.code).toBe('ERR_INVALID_CONFIG');
  expect(error.message).not.toContain(SECRET);
  expect(error.message).not.toContain(Buffer.from(SECRET).toString('base64'));
  expect(JSON.stringify(error)).not.toContain(SECRET);
  return { error, certFile, keyFile };
}

describe('loadConfig with a client certificate and key', () => {
  it('returns a valid pair as PEM text', async () => {
    const { cert, key } = testCertificate();
    const certFile = write('client.crt', cert, 0o644);
    const keyFile = write('client.key', key);
    const p = await loadConfig(`host=h user=u sslmode=require sslcert=${certFile} sslkey=${keyFile}`, base());
    expect(p.tls).toMatchObject({ cert, key });
  });

  it('refuses a key that is not a key: "could not load private key file"', async () => {
    const { error, keyFile } = await failure(testCertificate().cert, `${SECRET}\n`);
    expect(error.message).toMatch(new RegExp(`^could not load private key file "${keyFile}": \\S`));
  });

  it('refuses a PEM block that is not a key', async () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(SECRET).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const { error, keyFile } = await failure(testCertificate().cert, pem);
    expect(error.message).toContain(`could not load private key file "${keyFile}"`);
  });

  it('refuses an encrypted key without sslpassword, saying so', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: SECRET }) as string;
    const { error, keyFile } = await failure(testCertificate().cert, encrypted);
    expect(error.message).toBe(`could not load private key file "${keyFile}": the key is encrypted and no sslpassword was given`);
  });

  describe('sslpassword (issue 16: honoured, not ignored)', () => {
    const PASS = 'key-pass-phrase-9';
    const encryptedPair = (): { cert: string; key: string; plain: string } => {
      const { cert, key } = testCertificate();
      const object = createPrivateKey(key);
      return { cert, plain: key, key: object.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASS }) as string };
    };
    const load = (certFile: string, keyFile: string, password: string) =>
      loadConfig({ dsn: `host=h user=u sslmode=require sslcert=${certFile} sslkey=${keyFile}`, sslpassword: password }, base());

    it('decrypts the key with the right sslpassword; the TLS layer gets it unencrypted, in memory', async () => {
      const { cert, key, plain } = encryptedPair();
      const p = await load(write('client.crt', cert, 0o644), write('client.key', key), PASS);
      expect(p.tls?.key).toContain('-----BEGIN PRIVATE KEY-----');
      expect(createPrivateKey(p.tls?.key as string).export({ type: 'pkcs8', format: 'der' })).toEqual(createPrivateKey(plain).export({ type: 'pkcs8', format: 'der' }));
    });

    it('a wrong sslpassword fails naming the file, never the password', async () => {
      const { cert, key } = encryptedPair();
      const keyFile = write('client.key', key);
      const error = await load(write('client.crt', cert, 0o644), keyFile, 'wrong-pass-7').then(() => null, (e: unknown) => e as ConfigurationError);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error?.message).toBe(`could not load private key file "${keyFile}": it could not be decrypted with the given sslpassword`);
      expect(`${error?.message} ${JSON.stringify(error)} ${String(error?.stack)}`).not.toMatch(/wrong-pass-7|key-pass-phrase/);
    });
  });

  it('sslcertmode=disable sends no certificate even when one is configured', async () => {
    const { cert, key } = testCertificate();
    const p = await loadConfig(`host=h user=u sslmode=require sslcertmode=disable sslcert=${write('client.crt', cert, 0o644)} sslkey=${write('client.key', key)}`, base());
    expect(p.tls?.cert).toBeUndefined();
    expect(p.tls?.key).toBeUndefined();
  });

  it('refuses a key that does not match the certificate', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const { error, keyFile } = await failure(testCertificate().cert, other);
    expect(error.message).toBe(`certificate does not match private key file "${keyFile}"`);
  });

  it('refuses a PEM certificate that does not parse: "could not load certificate file"', async () => {
    const cert = `-----BEGIN CERTIFICATE-----\n${Buffer.from(SECRET).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const { error, certFile } = await failure(cert, testCertificate().key);
    expect(error.message).toContain(`could not load certificate file "${certFile}"`);
  });
});
