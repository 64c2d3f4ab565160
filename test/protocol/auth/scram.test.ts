import { nodeAuthCrypto } from '../../../src/connection/node-crypto';
import { AuthenticationError } from '../../../src/protocol/auth/errors';
import { ScramClient, tlsServerEndPointHash } from '../../../src/protocol/auth/scram';
import type { BackendMessage, FrontendMessage } from '../../../src/protocol/messages';
import { fromHex, utf8Decode, utf8Encode } from '../../../src/util/bytes';
import { SESSIONS } from '../vectors';

const text = (b: Uint8Array) => utf8Decode(b);
const CB = { type: 'tls-server-end-point' as const, data: Uint8Array.of(1, 2, 3) };

function rfc7677(): ScramClient {
  return new ScramClient({ username: 'user', password: 'pencil', crypto: nodeAuthCrypto, nonce: 'rOprNGfwEbeRWgbNEkqO' });
}
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

describe('ScramClient', () => {
  test('reproduces the RFC 7677 SCRAM-SHA-256 example exchange', () => {
    const c = rfc7677();
    expect(c.initialResponse()).toEqual({ mechanism: 'SCRAM-SHA-256', data: utf8Encode('n,,n=user,r=rOprNGfwEbeRWgbNEkqO') });
    expect(text(c.handleContinue(utf8Encode(SERVER_FIRST)))).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => c.handleFinal(utf8Encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
  });

  test('refuses a server signature that does not match with ERR_AUTH_SERVER_SIGNATURE', () => {
    const c = rfc7677();
    c.initialResponse();
    c.handleContinue(utf8Encode(SERVER_FIRST));
    expect(() => c.handleFinal(utf8Encode('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(expect.objectContaining({ code: 'ERR_AUTH_SERVER_SIGNATURE' }));
  });

  test('reports a server-side SCRAM error (e=...) with ERR_AUTH_FAILED', () => {
    const c = rfc7677();
    c.initialResponse();
    c.handleContinue(utf8Encode(SERVER_FIRST));
    expect(() => c.handleFinal(utf8Encode('e=invalid-proof'))).toThrow(expect.objectContaining({ code: 'ERR_AUTH_FAILED' }));
  });

  test.each([
    ['a nonce that does not extend ours', 'r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
    ['a nonce equal to ours', 'r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
    ['a missing salt', 'r=rOprNGfwEbeRWgbNEkqOxyz,i=4096'],
    ['bad base64 in the salt', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=***,i=4096'],
    ['a zero iteration count', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0'],
    ['a non-numeric iteration count', 'r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=lots'],
  ])('refuses a server-first message with %s (ERR_AUTH_PROTOCOL)', (_name, serverFirst) => {
    const c = rfc7677();
    c.initialResponse();
    expect(() => c.handleContinue(utf8Encode(serverFirst))).toThrow(expect.objectContaining({ code: 'ERR_AUTH_PROTOCOL' }));
  });

  test('calls out of order are an InterfaceError', () => {
    const c = rfc7677();
    expect(() => c.handleContinue(utf8Encode(SERVER_FIRST))).toThrow(expect.objectContaining({ code: 'ERR_INTERFACE' }));
  });

  test('escapes = and , in the user name', () => {
    const c = new ScramClient({ username: 'a=b,c', password: 'p', crypto: nodeAuthCrypto, nonce: 'n' });
    expect(text(c.initialResponse().data)).toBe('n,,n=a=3Db=2Cc,r=n');
  });

  test('draws an 18-byte random nonce from the injected crypto when none is given', () => {
    const crypto = { ...nodeAuthCrypto, randomBytes: (n: number) => new Uint8Array(n).fill(0xfb) };
    const c = new ScramClient({ password: 'p', crypto });
    expect(text(c.initialResponse().data)).toBe('n,,n=,r=' + '+/v7'.repeat(6));
  });

  describe('chooseMechanism', () => {
    const both = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'];
    const cases: Array<[string, string[], 'disable' | 'prefer' | 'require', boolean, string, string]> = [
      ['prefer with binding data and -PLUS offered', both, 'prefer', true, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,'],
      ['prefer with binding data, -PLUS not offered', ['SCRAM-SHA-256'], 'prefer', true, 'SCRAM-SHA-256', 'y,,'],
      ['prefer without TLS', both, 'prefer', false, 'SCRAM-SHA-256', 'n,,'],
      ['disable with binding data', both, 'disable', true, 'SCRAM-SHA-256', 'n,,'],
      ['require with binding data and -PLUS offered', both, 'require', true, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,'],
    ];
    test.each(cases)('%s', (_name, mechs, policy, tls, mechanism, gs2) => {
      const c = new ScramClient({ password: 'p', crypto: nodeAuthCrypto, nonce: 'n', channelBinding: tls ? CB : null });
      expect(c.chooseMechanism(mechs, policy)).toBe(mechanism);
      const init = c.initialResponse();
      expect(init.mechanism).toBe(mechanism);
      expect(text(init.data)).toBe(`${gs2}n=,r=n`);
    });

    test('binds the channel: c= carries the gs2 header and the certificate hash', () => {
      const c = new ScramClient({ password: 'p', crypto: nodeAuthCrypto, nonce: 'n', channelBinding: CB });
      c.chooseMechanism(both, 'require');
      c.initialResponse();
      const final = text(c.handleContinue(utf8Encode('r=nX,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1')));
      expect(final.startsWith(`c=${Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.from([1, 2, 3])]).toString('base64')},r=nX,p=`)).toBe(true);
    });

    test.each([
      ['require without TLS', both, false, 'ERR_AUTH_CHANNEL_BINDING'],
      ['require when the server does not offer -PLUS', ['SCRAM-SHA-256'], true, 'ERR_AUTH_CHANNEL_BINDING'],
    ])('refuses %s', (_name, mechs, tls, code) => {
      const c = new ScramClient({ password: 'p', crypto: nodeAuthCrypto, channelBinding: tls ? CB : null });
      expect(() => c.chooseMechanism(mechs, 'require')).toThrow(expect.objectContaining({ code }));
    });

    test('refuses a server offering no SCRAM-SHA-256 with ERR_AUTH_UNSUPPORTED', () => {
      const c = new ScramClient({ password: 'p', crypto: nodeAuthCrypto });
      expect(() => c.chooseMechanism(['SCRAM-SHA-1'], 'prefer')).toThrow(AuthenticationError);
      expect(() => c.chooseMechanism(['SCRAM-SHA-1'], 'prefer')).toThrow(expect.objectContaining({ code: 'ERR_AUTH_UNSUPPORTED' }));
    });
  });

  test.each(SESSIONS.filter((s) => s.clientNonce !== undefined).map((s) => [s.name, s] as const))(
    'replays the %s exchange captured from a real server byte for byte',
    (_name, s) => {
      const c = new ScramClient({ password: s.password as string, crypto: nodeAuthCrypto, nonce: s.clientNonce });
      const [start, initial, response] = s.steps;
      const sasl = start.messages[0] as Extract<BackendMessage, { type: 'AuthenticationSASL' }>;
      c.chooseMechanism(sasl.mechanisms, 'prefer');
      const init = c.initialResponse();
      expect(init).toEqual({ mechanism: 'SCRAM-SHA-256', data: (initial.sent[0] as Extract<FrontendMessage, { type: 'SASLInitialResponse' }>).data });
      const cont = initial.messages[0] as Extract<BackendMessage, { type: 'AuthenticationSASLContinue' }>;
      expect(c.handleContinue(cont.data)).toEqual((response.sent[0] as Extract<FrontendMessage, { type: 'SASLResponse' }>).data);
      const final = response.messages[0];
      if (final.type === 'AuthenticationSASLFinal') {
        expect(() => c.handleFinal(final.data)).not.toThrow();
        expect(response.messages[1]).toEqual({ type: 'AuthenticationOk' });
      } else {
        expect(final).toMatchObject({ type: 'ErrorResponse', fields: { C: '28P01' } });
      }
    },
  );
});

describe('tlsServerEndPointHash', () => {
  const der = fromHex('3082010a');
  test('uses SHA-256 for SHA-256, SHA-1 and MD5 signed certificates', () => {
    for (const name of ['sha256', 'SHA-256', 'sha1', 'md5']) expect(tlsServerEndPointHash(der, name, nodeAuthCrypto)).toEqual(nodeAuthCrypto.sha256(der));
  });
  test("uses the certificate's own hash for SHA-384 and SHA-512", () => {
    expect(tlsServerEndPointHash(der, 'SHA-384', nodeAuthCrypto)).toHaveLength(48);
    expect(tlsServerEndPointHash(der, 'sha512', nodeAuthCrypto)).toHaveLength(64);
  });
  test('refuses an unknown hash, or SHA-384 without crypto.hash, with ERR_AUTH_CHANNEL_BINDING', () => {
    expect(() => tlsServerEndPointHash(der, 'whirlpool', nodeAuthCrypto)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_CHANNEL_BINDING' }));
    const { hash: _h, ...noHash } = nodeAuthCrypto;
    expect(() => tlsServerEndPointHash(der, 'sha384', noHash)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_CHANNEL_BINDING' }));
  });
});
