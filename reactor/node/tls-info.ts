/**
 * The certificate facts SCRAM channel binding needs.
 *
 * Theory of operation. `tls-server-end-point` channel binding (RFC 5929
 * section 4.1, used by SCRAM-SHA-256-PLUS) hashes the server certificate
 * with the hash function of the certificate's *signature algorithm*, except
 * that MD5 and SHA-1 are replaced by SHA-256. Node does not expose the
 * signature algorithm, so we read it from the DER ourselves: a certificate
 * is `SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm
 * AlgorithmIdentifier, signature BIT STRING }`, and only the outer
 * `signatureAlgorithm` OID (and, for RSASSA-PSS, its hash parameter) matters.
 * Unknown algorithms (e.g. Ed25519, which has no separate hash) give undefined.
 */

const HASH_BY_OID: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption -> sha256 (RFC 5929)
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption -> sha256 (RFC 5929)
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1 -> sha256
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1 -> sha256
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
  '1.3.14.3.2.26': 'sha256', // sha1 (PSS parameter) -> sha256
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** One DER element: tag byte, content start and end offsets. */
interface Der {
  tag: number;
  start: number;
  end: number;
}

function readDer(der: Uint8Array, offset: number): Der {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  const end = start + length;
  if (tag === undefined || end > der.length) throw new Error('truncated DER');
  return { tag, start, end };
}

function decodeOid(der: Uint8Array, el: Der): string {
  const first = der[el.start];
  const parts = [Math.floor(first / 40), first % 40];
  let value = 0;
  for (let i = el.start + 1; i < el.end; i++) {
    value = value * 128 + (der[i] & 0x7f);
    if ((der[i] & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The OID of an AlgorithmIdentifier starting at `offset`, and where its parameters start. */
function readAlgorithm(der: Uint8Array, offset: number): { oid: string; params: number; end: number } {
  const seq = readDer(der, offset);
  const oidEl = readDer(der, seq.start);
  if (oidEl.tag !== 0x06) throw new Error('expected an OID');
  return { oid: decodeOid(der, oidEl), params: oidEl.end, end: seq.end };
}

/** The hash of RSASSA-PSS parameters: `[0] EXPLICIT hashAlgorithm` (default sha1 -> sha256). */
function pssHash(der: Uint8Array, params: number, end: number): string | undefined {
  if (params >= end) return 'sha256';
  const seq = readDer(der, params);
  if (seq.start >= seq.end) return 'sha256';
  const first = readDer(der, seq.start);
  if (first.tag !== 0xa0) return 'sha256';
  return HASH_BY_OID[readAlgorithm(der, first.start).oid];
}

/**
 * The hash algorithm for `tls-server-end-point` channel binding of a
 * DER-encoded X.509 certificate: the signature's hash, with md5 and sha1
 * replaced by sha256 (RFC 5929). Undefined when the algorithm is unknown
 * or the DER cannot be read.
 *
 * @param der - the certificate, DER encoded.
 * @returns e.g. `'sha256'`, `'sha384'`, or undefined.
 */
export function certificateSignatureHash(der: Uint8Array): string | undefined {
  try {
    const cert = readDer(der, 0);
    const tbs = readDer(der, cert.start);
    const alg = readAlgorithm(der, tbs.end);
    return alg.oid === RSASSA_PSS ? pssHash(der, alg.params, alg.end) : HASH_BY_OID[alg.oid];
  } catch {
    return undefined;
  }
}
