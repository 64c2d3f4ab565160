/**
 * tlsInfoOf: the protocol at once, the server certificate only when first
 * asked (reading it is the costly part of a TLS connect), then kept.
 */
import { X509Certificate } from 'node:crypto';
import type * as tls from 'node:tls';
import { tlsInfoOf } from '../../../reactor/node/transport';
import { testCertificate } from '../tls-fixture';

/** A connected TLS socket as far as tlsInfoOf looks at it, counting the certificate reads. */
function fakeSocket(der: Buffer | undefined): { socket: tls.TLSSocket; reads: () => number } {
  let reads = 0;
  const socket = {
    getProtocol: () => 'TLSv1.3',
    getPeerCertificate: () => {
      reads++;
      return der === undefined ? {} : { raw: der };
    },
  } as unknown as tls.TLSSocket;
  return { socket, reads: () => reads };
}

describe('tlsInfoOf', () => {
  it('reads the certificate only when asked, once', () => {
    const der = new X509Certificate(testCertificate().cert).raw;
    const { socket, reads } = fakeSocket(der);
    const info = tlsInfoOf(socket);
    expect(info.protocol).toBe('TLSv1.3');
    expect(reads()).toBe(0);
    expect(Buffer.from(info.peerCertificateDer!)).toEqual(der);
    expect(info.peerCertificateHash).toBe('sha256');
    expect(reads()).toBe(1);
  });

  it('reports no certificate when the server sent none', () => {
    const { socket } = fakeSocket(undefined);
    const info = tlsInfoOf(socket);
    expect(info.peerCertificateDer).toBeUndefined();
    expect(info.peerCertificateHash).toBeUndefined();
  });
});
