/**
 * The client side of PostgreSQL authentication, as a pure step function.
 *
 * The server leads: each Authentication* request goes to {@link
 * Authenticator.respond}, which returns the message to send back (or null
 * when nothing is to be sent) and throws a `PgError` when the request is not
 * acceptable: cleartext without TLS (unless allowed), a method we do not
 * support, a SCRAM exchange out of order, a server signature that does not
 * verify, or a password needed but not given. Crypto and nonces are
 * injected, so this file stays pure.
 *
 * SCRAM's salted password (PBKDF2 with the server's iteration count) is the
 * one costly step. With `keyDerivation: 'inline'` (the default) it is
 * computed here with the synchronous `crypto.pbkdf2Sha256`. With 'driver',
 * AuthenticationSASLContinue only checks the server's message and leaves
 * the parameters in {@link Authenticator.pendingKeyDerivation}; the machine
 * asks its driver, and {@link Authenticator.keyDerived} takes the key and
 * returns the SASLResponse. Either way the iteration count is checked
 * against `maxScramIterations` first.
 */
import { ConnectionError, InterfaceError, ProtocolViolation } from '../errors/base';
import type { AuthCrypto } from '../protocol/auth/crypto';
import { md5Password } from '../protocol/auth/md5';
import { ScramClient, type ScramKeyDerivation } from '../protocol/auth/scram';
import { checkAuthMethod, parseRequireAuth, type AuthRequirement } from './require-auth';
import type { AuthenticationMessage, FrontendMessage } from '../protocol/messages';

/** How to authenticate. */
export interface AuthOptions {
  user: string;
  password?: string;
  crypto: AuthCrypto;
  /** Send a cleartext password over a link without TLS. Default false. */
  allowCleartextPassword?: boolean;
  /** SCRAM channel binding policy (libpq's `channel_binding`). Default 'prefer'. */
  channelBinding?: 'disable' | 'prefer' | 'require';
  /** A fixed SCRAM client nonce, for tests. */
  scramNonce?: string;
  /** libpq's `require_auth` (see require-auth.ts); undefined allows every method. */
  requireAuth?: string;
  /**
   * The largest SCRAM iteration count accepted from the server (an integer
   * from 1 to 2,147,483,647; default 1,000,000, `DEFAULT_MAX_SCRAM_ITERATIONS`).
   * A server asking for more fails the session with `ERR_SCRAM_ITERATIONS`.
   */
  maxScramIterations?: number;
  /**
   * Who computes SCRAM's salted password: 'inline' (default) the machine,
   * with the synchronous `crypto.pbkdf2Sha256`; 'driver' the driver, asked
   * by a `KeyDerivationRequest` event and answering with `keyDerived()`.
   */
  keyDerivation?: 'inline' | 'driver';
}

/** What the link looks like when authentication starts. */
export interface LinkSecurity {
  tls: boolean;
  /** tls-server-end-point channel binding data, when TLS is on and the certificate is known. */
  channelBindingData?: Uint8Array;
}

/** One authentication exchange. */
export class Authenticator {
  private scram: ScramClient | null = null;
  private scramFinished = false;
  private derivation: ScramKeyDerivation | null = null;
  /** Whether the server asked for any credential before AuthenticationOk. */
  private asked = false;
  private done = false;
  private bound = false;
  private readonly requirement: AuthRequirement | undefined;

  constructor(
    private readonly options: AuthOptions,
    private readonly link: LinkSecurity,
  ) {
    this.requirement = options.requireAuth === undefined ? undefined : parseRequireAuth(options.requireAuth);
  }

  /** Answers one Authentication* request; see the file comment. */
  respond(msg: AuthenticationMessage): FrontendMessage | null {
    if (this.done) throw new ProtocolViolation(`unexpected ${msg.type} after authentication completed`);
    if (msg.type !== 'AuthenticationOk') this.asked = true;
    switch (msg.type) {
      case 'AuthenticationOk':
        this.checkCompleted();
        this.checkBindingRequirementMet();
        this.done = true;
        return null;
      case 'AuthenticationCleartextPassword':
        checkAuthMethod(this.requirement, 'password');
        return this.cleartext();
      case 'AuthenticationMD5Password':
        checkAuthMethod(this.requirement, 'md5');
        return { type: 'PasswordMessage', password: md5Password(this.options.user, this.password(), msg.salt, this.options.crypto) };
      case 'AuthenticationSASL':
        checkAuthMethod(this.requirement, 'scram-sha-256');
        return this.saslStart(msg.mechanisms);
      case 'AuthenticationSASLContinue':
        return this.saslContinue(msg.data);
      case 'AuthenticationSASLFinal':
        this.requireScram(msg.type).handleFinal(msg.data);
        this.scramFinished = true;
        return null;
      case 'AuthenticationGSS':
      case 'AuthenticationGSSContinue':
        checkAuthMethod(this.requirement, 'gss');
        return this.unsupported(msg.type);
      case 'AuthenticationSSPI':
        checkAuthMethod(this.requirement, 'sspi');
        return this.unsupported(msg.type);
      default:
        return this.unsupported(msg.type);
    }
  }

  /** The SCRAM key derivation waiting for the driver ('driver' mode), or null. */
  get pendingKeyDerivation(): ScramKeyDerivation | null {
    return this.derivation;
  }

  /** Takes the salted password the driver derived for {@link pendingKeyDerivation}; returns the SASLResponse. */
  keyDerived(saltedPassword: Uint8Array): FrontendMessage {
    if (this.derivation === null) throw new InterfaceError('no SCRAM key derivation is pending', { code: 'ERR_ILLEGAL_COMMAND' });
    this.derivation = null;
    return { type: 'SASLResponse', data: this.scram!.clientFinal(saltedPassword) };
  }

  /** server-first: the SASLResponse at once ('inline'), or null and a pending derivation ('driver'). */
  private saslContinue(serverFirst: Uint8Array): FrontendMessage | null {
    const scram = this.requireScram('AuthenticationSASLContinue');
    const k = scram.handleServerFirst(serverFirst);
    if (this.options.keyDerivation === 'driver') {
      this.derivation = k;
      return null;
    }
    return { type: 'SASLResponse', data: scram.clientFinal(this.options.crypto.pbkdf2Sha256(k.password, k.salt, k.iterations)) };
  }

  private unsupported(type: string): never {
    throw new ConnectionError(`the server asked for an unsupported authentication method (${type})`, { code: 'ERR_AUTH_UNSUPPORTED' });
  }

  /**
   * AuthenticationOk: with no request before it the method was `none`
   * (trust, peer), which `require_auth` may forbid; after a SCRAM exchange it
   * must come after SASLFinal, whose server signature proves the server knew
   * the password (a server skipping it is refused, as libpq does).
   */
  private checkCompleted(): void {
    if (!this.asked) return checkAuthMethod(this.requirement, 'none');
    if (this.scram !== null && !this.scramFinished) {
      throw new ConnectionError('the server sent AuthenticationOk before completing the SCRAM exchange (no server signature)', {
        code: 'ERR_AUTH_INCOMPLETE',
      });
    }
  }

  private cleartext(): FrontendMessage {
    this.refuseIfBindingRequired('cleartext password');
    if (!this.link.tls && !this.options.allowCleartextPassword) {
      throw new ConnectionError(
        'the server asked for a cleartext password over a connection without TLS; ' +
          'use sslmode=require or set allowCleartextPassword',
        { code: 'ERR_AUTH_INSECURE' },
      );
    }
    return { type: 'PasswordMessage', password: this.password() };
  }

  private saslStart(mechanisms: string[]): FrontendMessage {
    const policy = this.options.channelBinding ?? 'prefer';
    const binding = this.link.tls && this.link.channelBindingData ? this.link.channelBindingData : null;
    this.scram = new ScramClient({
      username: this.options.user,
      password: this.password(),
      crypto: this.options.crypto,
      nonce: this.options.scramNonce,
      maxIterations: this.options.maxScramIterations,
      channelBinding: binding && policy !== 'disable' ? { type: 'tls-server-end-point', data: binding } : null,
    });
    this.bound = this.scram.chooseMechanism(mechanisms, policy) === 'SCRAM-SHA-256-PLUS';
    const first = this.scram.initialResponse();
    return { type: 'SASLInitialResponse', mechanism: first.mechanism, data: first.data };
  }

  private requireScram(type: string): ScramClient {
    if (this.scram === null) throw new ProtocolViolation(`${type} received before AuthenticationSASL`);
    return this.scram;
  }

  private refuseIfBindingRequired(method: string): void {
    if ((this.options.channelBinding ?? 'prefer') === 'require') {
      throw new ConnectionError(`channel binding is required, but the server used ${method} authentication`, {
        code: 'ERR_AUTH_CHANNEL_BINDING',
      });
    }
  }

  private checkBindingRequirementMet(): void {
    if ((this.options.channelBinding ?? 'prefer') !== 'require') return;
    if (!this.bound) {
      throw new ConnectionError('channel binding is required, but the server authenticated without it', {
        code: 'ERR_AUTH_CHANNEL_BINDING',
      });
    }
  }

  private password(): string {
    if (this.options.password === undefined) {
      throw new InterfaceError(`the server requires a password for user "${this.options.user}" and none was given`, {
        code: 'ERR_PASSWORD_REQUIRED',
      });
    }
    return this.options.password;
  }
}
