/**
 * A client key that is not a key (issue 10, item 13).
 *
 * `sslmode=require` with a valid client certificate and a garbage key file
 * used to leave `connect()` pending for ever: the TLS upgrade threw
 * synchronously after the plain socket's listeners were detached, so the
 * loss was never reported, and connect_timeout found a reason already set.
 * Now the key is checked when the files are loaded, and it fails at once, as
 * libpq does ("could not load private key file"), with a message that never
 * contains the key's content. These tests are bounded by jest's timeout, not
 * by a wall-clock assertion.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectOptions, Connector, Endpoint, Reactor, TlsOptions, Transport, TransportHandler } from '../../reactor/interfaces';
import { NodeReactor } from '../../reactor/node/node';
import { ConfigurationError, Connection, ConnectionFailed } from '../../src/index';
import { describeLocal, localServer, testServer } from '../support/server';

/**
 * A NodeReactor whose transports start TLS with `tamper(options)` instead of
 * the options given: it reaches the TLS upgrade with options the
 * configuration loader would have refused.
 */
class TamperingReactor implements Reactor {
  private readonly inner = new NodeReactor();
  constructor(private readonly tamper: (o: TlsOptions) => TlsOptions) {}
  now(): number { return this.inner.now(); }
  callLater(ms: number, fn: () => void) { return this.inner.callLater(ms, fn); }
  callSoon(fn: () => void): void { this.inner.callSoon(fn); }
  connect(endpoint: Endpoint, handler: TransportHandler, options?: ConnectOptions): Connector {
    const wrap = (t: Transport): Transport => ({
      write: (b) => t.write(b),
      startTls: (o) => t.startTls(this.tamper(o)),
      pauseReading: () => t.pauseReading(),
      resumeReading: () => t.resumeReading(),
      close: () => t.close(),
      abort: (r) => t.abort(r),
    });
    return this.inner.connect(endpoint, {
      connectionMade: (t) => handler.connectionMade(wrap(t)),
      dataReceived: (b) => handler.dataReceived(b),
      eofReceived: handler.eofReceived?.bind(handler),
      connectionLost: (r) => handler.connectionLost(r),
    }, options);
  }
}

const GARBAGE = 'this is not a private key: s3cr3t-garbage-content\n';

describeLocal('connect with sslmode=require and a client key that is not a key', () => {
  let dir: string;
  let certFile: string;
  let keyFile: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-badkey-'));
    certFile = path.join(dir, 'client.crt');
    keyFile = path.join(dir, 'client.key');
    fs.copyFileSync(localServer().caCertPath, certFile); // a valid PEM certificate
    fs.writeFileSync(keyFile, GARBAGE, { mode: 0o600 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function url(extra = ''): string {
    const u = new URL(testServer().url);
    u.hostname = '127.0.0.1';
    u.search = `?sslmode=require&sslcert=${encodeURIComponent(certFile)}&sslkey=${encodeURIComponent(keyFile)}&connect_timeout=2${extra}`;
    return u.toString();
  }

  it('fails at once with "could not load private key file", naming the file but not its content', async () => {
    const conn = new Connection();
    const error = await conn.connect(url()).then(() => null, (e: unknown) => e);
    conn.close();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('ERR_INVALID_CONFIG');
    expect((error as Error).message).toContain(`could not load private key file "${keyFile}"`);
    expect((error as Error).message).not.toContain('s3cr3t');
    expect(JSON.stringify(error)).not.toContain('s3cr3t');
  }, 20_000);

  it('fails as well without connect_timeout (nothing waits for a timeout)', async () => {
    const conn = new Connection();
    const u = url().replace('&connect_timeout=2', '');
    await expect(conn.connect(u)).rejects.toThrow(/could not load private key file/);
    conn.close();
  }, 20_000);

  it('fails with ERR_TLS when the TLS upgrade itself refuses the key (the transport path), within connect_timeout', async () => {
    // No sslcert in the string, so the loader reads no key; the reactor swaps a certificate
    // and a garbage key in at the upgrade, where node:tls refuses them synchronously.
    const cert = fs.readFileSync(certFile, 'utf8');
    const conn = new Connection({ reactor: new TamperingReactor((o) => ({ ...o, cert, key: GARBAGE })) });
    const u = new URL(testServer().url);
    u.hostname = '127.0.0.1';
    u.search = '?sslmode=require&connect_timeout=2';
    const error = await conn.connect(u.toString()).then(() => null, (e: unknown) => e);
    conn.close();
    expect(error).toBeInstanceOf(ConnectionFailed);
    const [hostError] = (error as ConnectionFailed).errors;
    expect(hostError).toMatchObject({ name: 'TlsError', code: 'ERR_TLS' });
    expect((error as Error).message).toMatch(/TLS .* could not start: the TLS options \(certificate, key or CA\) were refused/);
    expect((error as Error).message).not.toContain('s3cr3t');
  }, 20_000);
});
