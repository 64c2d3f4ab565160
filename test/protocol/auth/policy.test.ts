import { decideAuth, type AuthContext } from '../../../src/protocol/auth/policy';
import type { AuthenticationMessage } from '../../../src/protocol/messages';

const plain: AuthContext = { tls: false, allowCleartext: false, channelBinding: 'prefer' };
const tls: AuthContext = { tls: true, allowCleartext: false, channelBinding: 'prefer' };
const requireCb: AuthContext = { tls: true, allowCleartext: true, channelBinding: 'require' };
const salt = Uint8Array.of(1, 2, 3, 4);

describe('decideAuth', () => {
  const accepted: Array<[string, AuthenticationMessage, AuthContext, unknown]> = [
    ['AuthenticationOk', { type: 'AuthenticationOk' }, plain, { action: 'ok' }],
    ['cleartext over TLS', { type: 'AuthenticationCleartextPassword' }, tls, { action: 'cleartext' }],
    ['cleartext without TLS when explicitly allowed', { type: 'AuthenticationCleartextPassword' }, { ...plain, allowCleartext: true }, { action: 'cleartext' }],
    ['MD5', { type: 'AuthenticationMD5Password', salt }, plain, { action: 'md5', salt }],
    ['SASL', { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }, plain, { action: 'sasl', mechanisms: ['SCRAM-SHA-256'] }],
    ['SASLContinue', { type: 'AuthenticationSASLContinue', data: salt }, plain, { action: 'sasl-continue', data: salt }],
    ['SASLFinal', { type: 'AuthenticationSASLFinal', data: salt }, plain, { action: 'sasl-final', data: salt }],
    ['AuthenticationOk after a -PLUS exchange under require', { type: 'AuthenticationOk' }, { ...requireCb, channelBound: true }, { action: 'ok' }],
  ];
  test.each(accepted)('accepts %s', (_name, msg, ctx, action) => {
    expect(decideAuth(msg, ctx)).toEqual(action);
  });

  const refused: Array<[string, AuthenticationMessage, AuthContext, string]> = [
    ['cleartext without TLS (ERR_AUTH_INSECURE)', { type: 'AuthenticationCleartextPassword' }, plain, 'ERR_AUTH_INSECURE'],
    ['Kerberos (ERR_AUTH_UNSUPPORTED)', { type: 'AuthenticationKerberosV5' }, tls, 'ERR_AUTH_UNSUPPORTED'],
    ['GSS (ERR_AUTH_UNSUPPORTED)', { type: 'AuthenticationGSS' }, tls, 'ERR_AUTH_UNSUPPORTED'],
    ['GSSContinue (ERR_AUTH_UNSUPPORTED)', { type: 'AuthenticationGSSContinue', data: salt }, tls, 'ERR_AUTH_UNSUPPORTED'],
    ['SSPI (ERR_AUTH_UNSUPPORTED)', { type: 'AuthenticationSSPI' }, tls, 'ERR_AUTH_UNSUPPORTED'],
    ['MD5 under channel_binding=require', { type: 'AuthenticationMD5Password', salt }, requireCb, 'ERR_AUTH_CHANNEL_BINDING'],
    ['cleartext under channel_binding=require', { type: 'AuthenticationCleartextPassword' }, requireCb, 'ERR_AUTH_CHANNEL_BINDING'],
    ['AuthenticationOk without channel binding under require', { type: 'AuthenticationOk' }, requireCb, 'ERR_AUTH_CHANNEL_BINDING'],
  ];
  test.each(refused)('refuses %s', (_name, msg, ctx, code) => {
    expect(() => decideAuth(msg, ctx)).toThrow(expect.objectContaining({ code }));
  });

  test('the refusal message names the way out and never a password', () => {
    expect(() => decideAuth({ type: 'AuthenticationCleartextPassword' }, plain)).toThrow(/use TLS or set allowCleartext/);
  });
});
