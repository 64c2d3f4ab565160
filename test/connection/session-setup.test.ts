/**
 * session-setup: the protocol versions a session's machine asks for, from
 * the resolved connection parameters, and the fallback override; when the
 * TLS channel binding reads the server certificate.
 */
import type { TlsInfo } from '../../reactor/interfaces';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { machineOptions, sessionTls } from '../../src/connection/session-setup';
import { resolveConfig } from '../../src/dsn/resolve';

const params = (dsn: string) => resolveConfig(dsn, {}, { osUser: 'u' });

describe('machineOptions: protocol versions', () => {
  it('asks for 3.2 and accepts 3.0 by default', () => {
    const p = params('host=h');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.2' });
  });

  it('passes min_protocol_version and max_protocol_version on', () => {
    const p = params('host=h min_protocol_version=3.2 max_protocol_version=latest');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.2', maxProtocolVersion: '3.2' });
    const q = params('host=h max_protocol_version=3.0');
    expect(machineOptions(q, q.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.0' });
  });

  it('asks for the fallback version instead of max_protocol_version when given one (the retry after a refusal)', () => {
    const p = params('host=h');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, { maxProtocolVersion: '3.0' })).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.0' });
  });
});

describe('sessionTls: channel binding reads the certificate only when SCRAM can use it', () => {
  /** A TlsInfo that counts the reads of its certificate (reading it is the costly part of a TLS connect). */
  function countingInfo(): { info: TlsInfo; reads: () => number } {
    let reads = 0;
    const der = new Uint8Array([1, 2, 3]);
    const info: TlsInfo = {
      get peerCertificateDer() {
        reads++;
        return der;
      },
      get peerCertificateHash() {
        reads++;
        return 'sha256';
      },
      protocol: 'TLSv1.3',
    };
    return { info, reads: () => reads };
  }

  it('hashes the certificate when there is a password', () => {
    const p = params('host=h password=secret sslmode=require');
    const { info, reads } = countingInfo();
    const binding = sessionTls(p, p.hosts[0], {}, nodeAuthCrypto).channelBinding(info);
    expect(binding).toEqual(nodeAuthCrypto.sha256(new Uint8Array([1, 2, 3])));
    expect(reads()).toBeGreaterThan(0);
  });

  it('uses a password found for the host (pgpass) as well', () => {
    const p = params('host=h sslmode=require');
    const host = { ...p.hosts[0], password: 'from-pgpass' };
    const { info, reads } = countingInfo();
    expect(sessionTls(p, host, {}, nodeAuthCrypto).channelBinding(info)).toBeInstanceOf(Uint8Array);
    expect(reads()).toBeGreaterThan(0);
  });

  it('does not read the certificate without a password (no SCRAM possible)', () => {
    const p = params('host=h sslmode=require');
    const { info, reads } = countingInfo();
    expect(sessionTls(p, p.hosts[0], {}, nodeAuthCrypto).channelBinding(info)).toBeUndefined();
    expect(reads()).toBe(0);
  });

  it('does not read the certificate with channel_binding=disable', () => {
    const p = params('host=h password=secret sslmode=require channel_binding=disable');
    const { info, reads } = countingInfo();
    expect(sessionTls(p, p.hosts[0], {}, nodeAuthCrypto).channelBinding(info)).toBeUndefined();
    expect(reads()).toBe(0);
  });
});
