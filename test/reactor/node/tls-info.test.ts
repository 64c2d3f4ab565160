import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateSignatureHash } from '../../../reactor/node/tls-info';

/** Makes a self-signed certificate with the given openssl `req` arguments; returns its DER. */
function certificate(args: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tspg-sig-'));
  try {
    execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-days', '1', '-subj', '/CN=x',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    return new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('certificateSignatureHash', () => {
  it.each([
    ['an RSA certificate signed with SHA-384', ['-newkey', 'rsa:1024', '-sha384'], 'sha384'],
    ['an ECDSA certificate signed with SHA-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-sha256'], 'sha256'],
    ['an RSASSA-PSS certificate with SHA-512', ['-newkey', 'rsa:1024', '-sha512', '-sigopt', 'rsa_padding_mode:pss'], 'sha512'],
  ])('gives the signature hash of %s', (_what, args, expected) => {
    expect(certificateSignatureHash(certificate(args))).toBe(expected);
  });

  it('replaces SHA-1 with SHA-256, as RFC 5929 requires', () => {
    expect(certificateSignatureHash(certificate(['-newkey', 'rsa:1024', '-sha1']))).toBe('sha256');
  });

  it('gives undefined for Ed25519, which has no separate hash', () => {
    expect(certificateSignatureHash(certificate(['-newkey', 'ed25519']))).toBeUndefined();
  });

  it('gives undefined for bytes that are not a certificate', () => {
    expect(certificateSignatureHash(Uint8Array.of(0x30, 0x82, 0xff))).toBeUndefined();
    expect(certificateSignatureHash(new Uint8Array(0))).toBeUndefined();
  });
});
