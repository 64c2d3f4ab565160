/**
 * Authentication errors: the client refused, or could not complete, the
 * authentication the server asked for. Each has a stable `code`:
 *
 * - `ERR_AUTH_INSECURE`: cleartext password requested without TLS and without `allowCleartext`;
 * - `ERR_AUTH_UNSUPPORTED`: a method we do not implement (Kerberos, GSS, SSPI, an unknown SASL mechanism);
 * - `ERR_AUTH_CHANNEL_BINDING`: channel binding was required but is not possible or was not used;
 * - `ERR_AUTH_SERVER_SIGNATURE`: the server failed to prove it knows the password (SCRAM);
 * - `ERR_AUTH_PROTOCOL`: a malformed SCRAM message from the server;
 * - `ERR_AUTH_FAILED`: the server reported a SCRAM error (`e=...`).
 *
 * Messages never contain the password.
 */
import { PgError, type PgErrorOptions } from '../../errors/base';

/** The stable codes of {@link AuthenticationError}. */
export type AuthErrorCode =
  | 'ERR_AUTH_INSECURE'
  | 'ERR_AUTH_UNSUPPORTED'
  | 'ERR_AUTH_CHANNEL_BINDING'
  | 'ERR_AUTH_SERVER_SIGNATURE'
  | 'ERR_AUTH_PROTOCOL'
  | 'ERR_AUTH_FAILED';

/** Authentication could not proceed; `code` says why, `method` names the method involved. */
export class AuthenticationError extends PgError {
  /** The authentication method or SASL mechanism involved, e.g. 'cleartext', 'SCRAM-SHA-256'. */
  readonly method: string;
  constructor(code: AuthErrorCode, method: string, message: string, options?: PgErrorOptions) {
    super(code, message, options);
    this.method = method;
  }
}
