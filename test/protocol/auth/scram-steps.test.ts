/**
 * ScramClient's continue step taken apart (handleServerFirst, then
 * clientFinal with a key derived elsewhere) and its maximum iteration
 * count: a server asking for more is refused before any PBKDF2 runs.
 */
import { nodeAuthCrypto } from '../../../src/connection/node-crypto';
import { Deferred } from '../../../src/defer';
import { ConnectionError } from '../../../src/errors/base';
import type { AuthCrypto } from '../../../src/protocol/auth/crypto';
import { DEFAULT_MAX_SCRAM_ITERATIONS, ScramClient } from '../../../src/protocol/auth/scram';
import { utf8Decode, utf8Encode } from '../../../src/util/bytes';

/** RFC 7677's example exchange. */
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SALT_B64 = 'W22ZaJ0SNY7soEsUEjb6gQ==';
const serverFirst = (iterations: number | string): Uint8Array => utf8Encode(`r=${NONCE}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=${SALT_B64},i=${iterations}`);
const RFC_CLIENT_FINAL = `c=biws,r=${NONCE}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`;

/** A crypto whose PBKDF2 must not run (it throws), with the calls counted anyway. */
function noPbkdf2(): { crypto: AuthCrypto; calls: number } {
  const spy = { crypto: { ...nodeAuthCrypto } as AuthCrypto, calls: 0 };
  spy.crypto.pbkdf2Sha256 = () => {
    spy.calls++;
    throw new Error('PBKDF2 ran');
  };
  spy.crypto.pbkdf2Sha256Async = () => {
    spy.calls++;
    throw new Error('PBKDF2 ran');
  };
  return spy;
}

function client(crypto: AuthCrypto = nodeAuthCrypto, maxIterations?: number): ScramClient {
  const c = new ScramClient({ username: 'user', password: 'pencil', crypto, nonce: NONCE, maxIterations });
  c.initialResponse();
  return c;
}

describe('ScramClient in two steps', () => {
  it('handleServerFirst says what to derive, computing nothing; clientFinal gives RFC 7677 client-final', () => {
    const spy = noPbkdf2();
    const c = client(spy.crypto);
    const k = c.handleServerFirst(serverFirst(4096));
    expect(k).toEqual({ password: utf8Encode('pencil'), salt: Uint8Array.from(Buffer.from(SALT_B64, 'base64')), iterations: 4096 });
    expect(spy.calls).toBe(0);
    expect(utf8Decode(c.clientFinal(nodeAuthCrypto.pbkdf2Sha256(k.password, k.salt, k.iterations)))).toBe(RFC_CLIENT_FINAL);
    expect(() => c.handleFinal(utf8Encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
  });

  it('gives the SASLprep-normalized password to derive from', () => {
    const c = new ScramClient({ password: 'I\u00ADX', crypto: nodeAuthCrypto, nonce: NONCE }); // soft hyphen: mapped to nothing
    c.initialResponse();
    expect(utf8Decode(c.handleServerFirst(serverFirst(4096)).password)).toBe('IX');
  });

  it('refuses the steps out of order (InterfaceError)', () => {
    const c = client();
    expect(() => c.clientFinal(new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'ERR_INTERFACE' }));
    c.handleServerFirst(serverFirst(4096));
    expect(() => c.handleServerFirst(serverFirst(4096))).toThrow(expect.objectContaining({ code: 'ERR_INTERFACE' }));
    expect(() => c.handleFinal(utf8Encode('v=AAAA'))).toThrow(expect.objectContaining({ code: 'ERR_INTERFACE' }));
  });
});

describe('the maximum SCRAM iteration count', () => {
  it('is 1,000,000 by default', () => {
    expect(DEFAULT_MAX_SCRAM_ITERATIONS).toBe(1_000_000);
  });

  it.each([
    [1_000_001, undefined],
    [2_147_483_647, undefined],
    ['9999999999', undefined],
    [4_097, 4_096],
    [2, 1],
  ])('refuses %p iterations (maximum %p) with ConnectionError ERR_SCRAM_ITERATIONS before any PBKDF2, in both steps', (iterations, max) => {
    for (const step of ['handleServerFirst', 'handleContinue'] as const) {
      const spy = noPbkdf2();
      const c = client(spy.crypto, max);
      let thrown: unknown;
      try {
        c[step](serverFirst(iterations));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConnectionError);
      expect(thrown).toMatchObject({ code: 'ERR_SCRAM_ITERATIONS' });
      expect((thrown as Error).message).toContain(`asks for ${iterations} SCRAM iterations, more than the ${max ?? 1_000_000} allowed`);
      expect(spy.calls).toBe(0);
    }
  });

  it.each([[4_096, 4_096], [1_000_000, undefined], [1, 1]])('accepts %p iterations with a maximum of %p', (iterations, max) => {
    expect(client(nodeAuthCrypto, max).handleServerFirst(serverFirst(iterations)).iterations).toBe(iterations);
  });

  it.each([0, -5, 2.5, 2_147_483_648, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxIterations %p (InterfaceError ERR_INVALID_ARGUMENT)', (max) => {
    expect(() => new ScramClient({ password: 'p', crypto: nodeAuthCrypto, maxIterations: max })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('nodeAuthCrypto.pbkdf2Sha256Async', () => {
  it('derives what pbkdf2Sha256 derives (RFC 7914 test vector), as a Deferred', async () => {
    const pending = nodeAuthCrypto.pbkdf2Sha256Async!(utf8Encode('passwd'), utf8Encode('salt'), 1);
    expect(pending).toBeInstanceOf(Deferred);
    const key = await pending;
    expect(Buffer.from(key).toString('hex')).toBe('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc');
    const salt = Uint8Array.of(1, 2, 3);
    expect(await nodeAuthCrypto.pbkdf2Sha256Async!(utf8Encode('pencil'), salt, 4096)).toEqual(nodeAuthCrypto.pbkdf2Sha256(utf8Encode('pencil'), salt, 4096));
  });
});
