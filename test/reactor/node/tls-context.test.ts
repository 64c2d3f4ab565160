/**
 * Shared TLS client contexts: the same material gets the same context,
 * other material another one, at most MAX_SHARED_CONTEXTS are kept, and
 * material OpenSSL refuses throws and is not kept.
 */
import { MAX_SHARED_CONTEXTS, sharedContextCount, sharedSecureContext } from '../../../reactor/node/tls-context';
import { nodeTlsOptions } from '../../../reactor/node/transport';
import { PassThrough } from 'node:stream';
import { testCertificate } from '../tls-fixture';

describe('sharedSecureContext', () => {
  it('gives the same context for the same material, another for other material', () => {
    const { cert } = testCertificate();
    const a = sharedSecureContext({ minVersion: 'TLSv1.2', ca: [cert] });
    expect(sharedSecureContext({ minVersion: 'TLSv1.2', ca: [Buffer.from(cert)] })).toBe(a);
    expect(sharedSecureContext({ minVersion: 'TLSv1.3', ca: [cert] })).not.toBe(a);
    expect(sharedSecureContext({ minVersion: 'TLSv1.2' })).not.toBe(a);
  });

  it('is what nodeTlsOptions passes to tls.connect, one per material across connects', () => {
    const one = nodeTlsOptions({ minVersion: 'TLSv1.2', rejectUnauthorized: false }, new PassThrough());
    const two = nodeTlsOptions({ minVersion: 'TLSv1.2', rejectUnauthorized: false, servername: 'db.example' }, new PassThrough());
    expect(one.secureContext).toBeDefined();
    expect(two.secureContext).toBe(one.secureContext);
    expect(two.servername).toBe('db.example');
    expect(one).not.toHaveProperty('ca');
  });

  it('keeps at most MAX_SHARED_CONTEXTS, dropping the least recently used', () => {
    const { cert } = testCertificate();
    const first = sharedSecureContext({ maxVersion: 'TLSv1.3', minVersion: 'TLSv1' });
    expect(sharedSecureContext({ maxVersion: 'TLSv1.3', minVersion: 'TLSv1' })).toBe(first);
    // distinct material: the CA list holding the same certificate 1, 2, 3 ... times
    for (let i = 0; i < MAX_SHARED_CONTEXTS + 4; i++) sharedSecureContext({ minVersion: 'TLSv1.2', ca: Array<string>(i + 1).fill(cert) });
    expect(sharedContextCount()).toBe(MAX_SHARED_CONTEXTS);
    expect(sharedSecureContext({ maxVersion: 'TLSv1.3', minVersion: 'TLSv1' })).not.toBe(first);
  });

  it('throws for a key that is not a key, and keeps nothing for it', () => {
    const { cert } = testCertificate();
    const before = sharedContextCount();
    expect(() => sharedSecureContext({ cert, key: 'not a key' })).toThrow();
    expect(sharedContextCount()).toBe(before);
  });
});
