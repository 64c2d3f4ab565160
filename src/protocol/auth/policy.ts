/**
 * Which authentication requests the client agrees to answer.
 *
 * The decision table (ctx = { tls, allowCleartext, channelBinding }):
 *
 * | request                      | answer                                                   |
 * |------------------------------|----------------------------------------------------------|
 * | AuthenticationOk             | 'ok', unless channelBinding 'require' and no -PLUS exchange completed (ERR_AUTH_CHANNEL_BINDING) |
 * | CleartextPassword            | 'cleartext' if tls or allowCleartext, else ERR_AUTH_INSECURE; ERR_AUTH_CHANNEL_BINDING under 'require' |
 * | MD5Password                  | 'md5'; ERR_AUTH_CHANNEL_BINDING under 'require'          |
 * | SASL                         | 'sasl' (ScramClient.chooseMechanism applies the binding policy) |
 * | SASLContinue / SASLFinal     | 'sasl-continue' / 'sasl-final'                           |
 * | KerberosV5, GSS, GSSContinue, SSPI | ERR_AUTH_UNSUPPORTED                               |
 *
 * Pure: no I/O; the connection core calls it with each Authentication message.
 */
import type { AuthenticationMessage } from '../messages';
import { AuthenticationError } from './errors';
import type { ChannelBindingPolicy } from './scram';

/** What the connection knows when an Authentication request arrives. */
export interface AuthContext {
  /** True when the connection is encrypted with TLS. */
  tls: boolean;
  /** Send a cleartext password over an unencrypted connection anyway. */
  allowCleartext: boolean;
  /** libpq's channel_binding setting. */
  channelBinding: ChannelBindingPolicy;
  /** True once a SCRAM-SHA-256-PLUS exchange has completed (checked at AuthenticationOk). */
  channelBound?: boolean;
}

/** The action the client takes for an accepted request. */
export type AuthAction =
  | { action: 'ok' }
  | { action: 'cleartext' }
  | { action: 'md5'; salt: Uint8Array }
  | { action: 'sasl'; mechanisms: string[] }
  | { action: 'sasl-continue'; data: Uint8Array }
  | { action: 'sasl-final'; data: Uint8Array };

/** Decides how to answer `msg` under `ctx`; throws AuthenticationError when the request must be refused. */
export function decideAuth(msg: AuthenticationMessage, ctx: AuthContext): AuthAction {
  switch (msg.type) {
    case 'AuthenticationOk':
      if (ctx.channelBinding === 'require' && ctx.channelBound !== true) throw unbound('the server authenticated without channel binding');
      return { action: 'ok' };
    case 'AuthenticationCleartextPassword':
      refuseUnderRequire(ctx, 'cleartext');
      if (!ctx.tls && !ctx.allowCleartext) {
        throw new AuthenticationError('ERR_AUTH_INSECURE', 'cleartext',
          'the server asked for a cleartext password over an unencrypted connection; use TLS or set allowCleartext');
      }
      return { action: 'cleartext' };
    case 'AuthenticationMD5Password':
      refuseUnderRequire(ctx, 'md5');
      return { action: 'md5', salt: msg.salt };
    case 'AuthenticationSASL': return { action: 'sasl', mechanisms: msg.mechanisms };
    case 'AuthenticationSASLContinue': return { action: 'sasl-continue', data: msg.data };
    case 'AuthenticationSASLFinal': return { action: 'sasl-final', data: msg.data };
    case 'AuthenticationKerberosV5': return unsupported('Kerberos V5');
    case 'AuthenticationGSS':
    case 'AuthenticationGSSContinue': return unsupported('GSSAPI');
    case 'AuthenticationSSPI': return unsupported('SSPI');
  }
}

function refuseUnderRequire(ctx: AuthContext, method: string): void {
  if (ctx.channelBinding === 'require') throw unbound(`the server asked for ${method} authentication, which cannot bind the channel`);
}

function unbound(why: string): AuthenticationError {
  return new AuthenticationError('ERR_AUTH_CHANNEL_BINDING', 'SCRAM-SHA-256-PLUS', `channel binding is required but ${why}`);
}

function unsupported(method: string): never {
  throw new AuthenticationError('ERR_AUTH_UNSUPPORTED', method, `the server asked for ${method} authentication, which tspostgres does not support`);
}
