/**
 * The key exchange groups of the shared client contexts: OpenSSL 3.0's
 * default set with P-256 first, so the first ClientHello carries a P-256
 * key share (a PostgreSQL server up to 17, with its default curve, then
 * needs no HelloRetryRequest), and a server that takes only X25519 still
 * negotiates.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { sharedSecureContext } from '../../../reactor/node/tls-context';
import { clientGroups, P256_FIRST_GROUPS } from '../../../reactor/node/tls-groups';
import { testCertificate } from '../tls-fixture';

const SECP256R1 = 23;
const X25519 = 29;

/** The groups of the supported_groups extension and of the key shares in a ClientHello record. */
function helloGroups(record: Buffer): { supported: number[]; shares: number[] } {
  let at = 5 + 4 + 2 + 32; // record header, handshake header, version, random
  at += 1 + record[at]; // session id
  at += 2 + record.readUInt16BE(at); // cipher suites
  at += 1 + record[at]; // compression methods
  const end = at + 2 + record.readUInt16BE(at);
  at += 2;
  const out = { supported: [] as number[], shares: [] as number[] };
  while (at + 4 <= end) {
    const type = record.readUInt16BE(at);
    const len = record.readUInt16BE(at + 2);
    const body = record.subarray(at + 4, at + 4 + len);
    if (type === 10) for (let i = 2; i < 2 + body.readUInt16BE(0); i += 2) out.supported.push(body.readUInt16BE(i));
    if (type === 51) {
      for (let i = 2; i < 2 + body.readUInt16BE(0); i += 4 + body.readUInt16BE(i + 2)) out.shares.push(body.readUInt16BE(i));
    }
    at += 4 + len;
  }
  return out;
}

/** The first record a client with `secureContext` (default: our shared one) sends: its ClientHello. */
async function clientHello(secureContext = sharedSecureContext({ minVersion: 'TLSv1.2' })): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const first = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (b: Buffer) => {
    resolve(b);
    s.destroy();
  })));
  const client = tls.connect({ host: '127.0.0.1', port, secureContext, rejectUnauthorized: false });
  client.on('error', () => undefined);
  try {
    return await first;
  } finally {
    client.destroy();
    server.close();
  }
}

describe('client TLS key exchange groups', () => {
  it('are OpenSSL 3.0-3.4 defaults with P-256 first, and the library default elsewhere', () => {
    expect(clientGroups('3.0.19')).toBe(P256_FIRST_GROUPS);
    expect(clientGroups('3.4.1')).toBe(P256_FIRST_GROUPS);
    expect(clientGroups('3.5.0')).toBeUndefined();
    expect(clientGroups('1.1.1w')).toBeUndefined();
  });

  it('send a P-256 key share first and still offer X25519 on OpenSSL 3.0-3.4, and the library default elsewhere', async () => {
    const { supported, shares } = helloGroups(await clientHello());
    if (clientGroups() === undefined) {
      // another OpenSSL: our contexts leave its default order alone
      const plain = helloGroups(await clientHello(tls.createSecureContext({ minVersion: 'TLSv1.2' })));
      expect({ supported, shares }).toEqual(plain);
      return;
    }
    expect(shares[0]).toBe(SECP256R1);
    expect(supported[0]).toBe(SECP256R1);
    expect(supported).toContain(X25519);
    expect(supported.length).toBeGreaterThanOrEqual(5);
  });

  it.each([['X25519'], ['P-256'], ['P-384']])('negotiate with a server that takes only %s', async (curve) => {
    const { cert, key } = testCertificate();
    const server = tls.createServer({ cert, key, ecdhCurve: curve }, (s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const info = await new Promise<tls.EphemeralKeyInfo | object | null>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, secureContext: sharedSecureContext({ minVersion: 'TLSv1.2' }), rejectUnauthorized: false }, () => {
          resolve(c.getEphemeralKeyInfo());
          c.destroy();
        });
        c.on('error', reject);
      });
      expect(info).toMatchObject({ type: 'ECDH' });
    } finally {
      server.close();
    }
  });
});
