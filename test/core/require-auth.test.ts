/**
 * require_auth in the core: parsing as libpq does, and the Authenticator
 * refusing a method outside the set before answering it; AuthenticationOk
 * in the middle of a SCRAM exchange (no server signature) is refused always.
 */
import { Authenticator } from '../../src/core/authenticator';
import { checkAuthMethod, parseRequireAuth } from '../../src/core/require-auth';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { ConfigurationError } from '../../src/errors/base';
import type { AuthenticationMessage } from '../../src/protocol/messages';

const salt = Uint8Array.of(1, 2, 3, 4);
const auth = (requireAuth?: string) => new Authenticator({ user: 'u', password: 'pw-Secret', crypto: nodeAuthCrypto, requireAuth, allowCleartextPassword: true }, { tls: false });

describe('parseRequireAuth', () => {
  it('plain lists allow exactly their methods; negated lists allow every other method', () => {
    expect([...parseRequireAuth('md5, scram-sha-256').allowed].sort()).toEqual(['md5', 'scram-sha-256']);
    expect([...parseRequireAuth('!md5,!password').allowed].sort()).toEqual(['gss', 'none', 'scram-sha-256', 'sspi']);
  });
  it.each(['scram', 'md5,!password', 'none,none', ''])('refuses %j with a ConfigurationError', (v) => {
    expect(() => parseRequireAuth(v)).toThrow(ConfigurationError);
  });
  it('no requirement allows everything', () => {
    expect(() => checkAuthMethod(undefined, 'password')).not.toThrow();
  });
});

describe('the Authenticator under require_auth', () => {
  const requests: Array<[AuthenticationMessage, string]> = [
    [{ type: 'AuthenticationCleartextPassword' }, 'server requested a cleartext password'],
    [{ type: 'AuthenticationMD5Password', salt }, 'server requested a hashed password'],
    [{ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }, 'server requested SASL authentication'],
    [{ type: 'AuthenticationGSS' }, 'server requested GSSAPI authentication'],
    [{ type: 'AuthenticationOk' }, 'server did not complete authentication'],
  ];
  it.each(requests)('refuses %j when not allowed, before answering', (msg, why) => {
    expect(() => auth('sspi').respond(msg)).toThrow(expect.objectContaining({ code: 'ERR_AUTH_REQUIREMENT', message: `authentication method requirement "sspi" failed: ${why}` }));
  });

  it('answers an allowed method', () => {
    expect(auth('md5').respond({ type: 'AuthenticationMD5Password', salt })).toMatchObject({ type: 'PasswordMessage' });
    expect(auth('none').respond({ type: 'AuthenticationOk' })).toBeNull();
  });

  it('after a password exchange, AuthenticationOk is not judged as "none"', () => {
    const a = auth('md5');
    a.respond({ type: 'AuthenticationMD5Password', salt });
    expect(a.respond({ type: 'AuthenticationOk' })).toBeNull();
  });

  it('AuthenticationOk before SASLFinal (no server signature) is refused, with or without require_auth', () => {
    for (const requirement of [undefined, 'scram-sha-256']) {
      const a = auth(requirement);
      a.respond({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] });
      expect(() => a.respond({ type: 'AuthenticationOk' })).toThrow(expect.objectContaining({ code: 'ERR_AUTH_INCOMPLETE' }));
    }
  });
});
