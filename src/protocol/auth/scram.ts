/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, client side (RFC 5802, RFC 7677),
 * as PostgreSQL speaks them inside AuthenticationSASL*.
 *
 * Theory of operation. One {@link ScramClient} runs one exchange:
 *
 *   chooseMechanism(server list, policy)   picks the mechanism and the gs2 header
 *   initialResponse()  -> client-first      n,,n=user,r=<client nonce>
 *   handleContinue(server-first) -> client-final   c=<gs2+cbind>,r=<nonce>,p=<proof>
 *   handleFinal(server-final)               checks v=<server signature>
 *
 * `handleContinue` is two steps, which a caller that must not block may
 * take apart: `handleServerFirst(server-first)` checks the message and
 * returns what the salted password is derived from (the
 * {@link ScramKeyDerivation}: PBKDF2-HMAC-SHA-256 of the password under the
 * server's salt and iteration count, the costly part, which the server
 * chooses), and `clientFinal(salted password)` builds client-final from the
 * derived key. The iteration count is checked against `maxIterations`
 * before anything is computed: a server asking for more is refused with a
 * `ConnectionError` `ERR_SCRAM_ITERATIONS` (default maximum
 * {@link DEFAULT_MAX_SCRAM_ITERATIONS}).
 *
 * The gs2 header says what the client knows about channel binding: 'n,,'
 * (the client cannot bind), 'y,,' (it could, but the server did not offer
 * -PLUS: lets the server detect a downgrade) or 'p=tls-server-end-point,,'
 * (bound to the TLS certificate hash from {@link tlsServerEndPointHash}).
 * PostgreSQL takes the user name from the StartupMessage, so `username`
 * defaults to '' as libpq sends. Crypto and the nonce are injected.
 *
 * Errors are {@link AuthenticationError}s, but for `ERR_SCRAM_ITERATIONS`;
 * a call out of order is an InterfaceError.
 */
import { ConnectionError, InterfaceError, PgError } from '../../errors/base';
import { base64Decode, base64Encode } from '../../util/base64';
import { concatBytes, utf8Decode, utf8Encode } from '../../util/bytes';
import type { AuthCrypto } from './crypto';
import { AuthenticationError } from './errors';
import { saslprep } from './saslprep';

/** The SASL mechanisms we implement. */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';
/** libpq's `channel_binding` setting. */
export type ChannelBindingPolicy = 'disable' | 'prefer' | 'require';
/** Channel binding data: the tls-server-end-point hash of the server certificate. */
export interface ChannelBinding {
  type: 'tls-server-end-point';
  data: Uint8Array;
}

/** Options of {@link ScramClient}. */
export interface ScramClientOptions {
  /** Sent in client-first; PostgreSQL ignores it and uses the startup user. Default ''. */
  username?: string;
  password: string;
  crypto: AuthCrypto;
  /** The client nonce (printable, no ','); random (18 bytes, base64) when omitted. Inject it in tests only. */
  nonce?: string;
  /** Channel binding data when the connection is TLS; null or absent otherwise. */
  channelBinding?: ChannelBinding | null;
  /** The largest iteration count accepted from the server (an integer from 1 to 2,147,483,647); default {@link DEFAULT_MAX_SCRAM_ITERATIONS}. */
  maxIterations?: number;
}

/**
 * What SCRAM's salted password is: PBKDF2-HMAC-SHA-256 of `password` under
 * `salt` with `iterations` rounds, 32 bytes (RFC 5802's Hi()).
 */
export interface ScramKeyDerivation {
  /** The password, SASLprep'd and UTF-8 encoded. */
  password: Uint8Array;
  /** The server's salt. */
  salt: Uint8Array;
  /** The server's iteration count, at most the client's maximum. */
  iterations: number;
}

/**
 * The most SCRAM iterations a server may ask for unless configured
 * otherwise: 1,000,000. PostgreSQL's default (`scram_iterations`) is 4,096;
 * the highest count hardening guides recommend for PBKDF2-HMAC-SHA-256 is
 * OWASP's 600,000. So no server set up in earnest is refused, while a
 * hostile one costs a client at most a million rounds (under a second to a
 * few seconds of one core) instead of the 2,147,483,647 the protocol
 * allows (minutes to hours).
 */
export const DEFAULT_MAX_SCRAM_ITERATIONS = 1_000_000;

/** The largest iteration count anyone may allow: PostgreSQL's and Node's limit (a 32-bit signed integer). */
const ITERATIONS_CEILING = 2_147_483_647;

/**
 * Checks a maximum iteration count given as an option; throws
 * `InterfaceError` (`ERR_INVALID_ARGUMENT`) unless it is an integer from 1
 * to 2,147,483,647. Undefined (the default) is fine.
 */
export function checkMaxScramIterations(max: unknown): void {
  if (max === undefined) return;
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > ITERATIONS_CEILING) {
    throw new InterfaceError(`maxScramIterations must be an integer from 1 to ${ITERATIONS_CEILING}`, { code: 'ERR_INVALID_ARGUMENT' });
  }
}

const SHA256 = 'SCRAM-SHA-256';
const PLUS = 'SCRAM-SHA-256-PLUS';

/** One client-side SCRAM-SHA-256(-PLUS) exchange. */
export class ScramClient {
  private mechanism: ScramMechanism = SHA256;
  private gs2Header = 'n,,';
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private step: 'initial' | 'first-sent' | 'deriving' | 'final-sent' | 'done' = 'initial';
  private expectedServerSignature: Uint8Array | null = null;
  /** Set by handleServerFirst, for clientFinal. */
  private finalWithoutProof = '';
  private authMessage: Uint8Array | null = null;
  private readonly maxIterations: number;

  constructor(private readonly options: ScramClientOptions) {
    checkMaxScramIterations(options.maxIterations);
    this.maxIterations = options.maxIterations ?? DEFAULT_MAX_SCRAM_ITERATIONS;
    this.clientNonce = options.nonce ?? base64Encode(options.crypto.randomBytes(18));
    if (this.clientNonce === '' || /[^\x21-\x2b\x2d-\x7e]/.test(this.clientNonce)) {
      throw new InterfaceError('a SCRAM nonce must be printable ASCII without commas');
    }
    this.clientFirstBare = `n=${saslName(options.username ?? '')},r=${this.clientNonce}`;
  }

  /**
   * Picks the mechanism from the server's AuthenticationSASL list under the
   * channel-binding `policy` (libpq's rules): -PLUS when offered and we have
   * binding data (unless 'disable'); plain SCRAM-SHA-256 otherwise, except
   * under 'require'. Throws AuthenticationError `ERR_AUTH_CHANNEL_BINDING` or
   * `ERR_AUTH_UNSUPPORTED` when nothing acceptable is offered.
   */
  chooseMechanism(serverMechanisms: readonly string[], policy: ChannelBindingPolicy): ScramMechanism {
    const cb = this.options.channelBinding ?? null;
    if (policy !== 'disable' && cb !== null && serverMechanisms.includes(PLUS)) {
      return this.use(PLUS, `p=${cb.type},,`);
    }
    if (policy === 'require') {
      const why = cb === null ? 'the connection is not TLS' : 'the server does not offer SCRAM-SHA-256-PLUS';
      throw new AuthenticationError('ERR_AUTH_CHANNEL_BINDING', PLUS, `channel binding is required but ${why}`);
    }
    if (!serverMechanisms.includes(SHA256)) {
      throw new AuthenticationError('ERR_AUTH_UNSUPPORTED', serverMechanisms.join(','),
        `none of the server's SASL mechanisms is supported: ${serverMechanisms.join(', ') || '(none)'}`);
    }
    return this.use(SHA256, policy !== 'disable' && cb !== null ? 'y,,' : 'n,,');
  }

  /** The SASLInitialResponse: the chosen mechanism and client-first-message. */
  initialResponse(): { mechanism: ScramMechanism; data: Uint8Array } {
    this.advance('initial', 'first-sent');
    return { mechanism: this.mechanism, data: utf8Encode(this.gs2Header + this.clientFirstBare) };
  }

  /**
   * Takes server-first-message (AuthenticationSASLContinue data), returns
   * client-final-message (SASLResponse data), deriving the salted password
   * with the synchronous `crypto.pbkdf2Sha256`: {@link handleServerFirst}
   * then {@link clientFinal}.
   */
  handleContinue(serverFirst: Uint8Array): Uint8Array {
    const k = this.handleServerFirst(serverFirst);
    return this.clientFinal(this.options.crypto.pbkdf2Sha256(k.password, k.salt, k.iterations));
  }

  /**
   * Checks server-first-message (AuthenticationSASLContinue data) and
   * returns what the salted password is derived from, computing nothing
   * costly. Throws AuthenticationError `ERR_AUTH_PROTOCOL` for a malformed
   * message, ConnectionError `ERR_SCRAM_ITERATIONS` for an iteration count
   * over `maxIterations`.
   */
  handleServerFirst(serverFirst: Uint8Array): ScramKeyDerivation {
    this.advance('first-sent', 'deriving');
    const serverFirstText = utf8Decode(serverFirst);
    const attrs = parseAttributes(serverFirstText, ['r', 's', 'i']);
    const nonce = attrs.r;
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw protocolError('the server nonce does not extend the client nonce');
    }
    const salt = decodeBase64(attrs.s, 'salt');
    const iterations = this.checkIterations(parseIterations(attrs.i));
    this.finalWithoutProof = `c=${base64Encode(this.channelBindingInput())},r=${nonce}`;
    this.authMessage = utf8Encode(`${this.clientFirstBare},${serverFirstText},${this.finalWithoutProof}`);
    return { password: utf8Encode(preparePassword(this.options.password)), salt, iterations };
  }

  /** Takes the salted password derived as {@link handleServerFirst} said (32 bytes), returns client-final-message (SASLResponse data). */
  clientFinal(saltedPassword: Uint8Array): Uint8Array {
    this.advance('deriving', 'final-sent');
    const c = this.options.crypto;
    const authMessage = this.authMessage as Uint8Array;
    const clientKey = c.hmacSha256(saltedPassword, utf8Encode('Client Key'));
    const clientSignature = c.hmacSha256(c.sha256(clientKey), authMessage);
    const proof = clientKey.map((b, i) => b ^ clientSignature[i]);
    this.expectedServerSignature = c.hmacSha256(c.hmacSha256(saltedPassword, utf8Encode('Server Key')), authMessage);
    return utf8Encode(`${this.finalWithoutProof},p=${base64Encode(proof)}`);
  }

  /** Verifies server-final-message (AuthenticationSASLFinal data); throws AuthenticationError unless the server proved it knows the password. */
  handleFinal(serverFinal: Uint8Array): void {
    this.advance('final-sent', 'done');
    const text = utf8Decode(serverFinal);
    if (text.startsWith('e=')) throw new AuthenticationError('ERR_AUTH_FAILED', this.mechanism, `the server rejected SCRAM authentication: ${text.slice(2)}`);
    const attrs = parseAttributes(text, ['v']);
    const got = decodeBase64(attrs.v, 'server signature');
    if (!equalBytes(got, this.expectedServerSignature as Uint8Array)) {
      throw new AuthenticationError('ERR_AUTH_SERVER_SIGNATURE', this.mechanism, 'the server signature does not match: the server does not know the password');
    }
  }

  /** The mechanism chosen (SCRAM-SHA-256 until {@link chooseMechanism} says otherwise). */
  get chosenMechanism(): ScramMechanism {
    return this.mechanism;
  }

  private use(mechanism: ScramMechanism, gs2Header: string): ScramMechanism {
    if (this.step !== 'initial') throw new InterfaceError('chooseMechanism() must come before initialResponse()');
    this.mechanism = mechanism;
    this.gs2Header = gs2Header;
    return mechanism;
  }

  /** The server's iteration count, unless it is over the maximum (see the file comment). */
  private checkIterations(iterations: number): number {
    if (iterations <= this.maxIterations) return iterations;
    throw new ConnectionError(
      `the server asks for ${iterations} SCRAM iterations, more than the ${this.maxIterations} allowed (maxScramIterations): refused before computing anything`,
      { code: 'ERR_SCRAM_ITERATIONS' },
    );
  }

  private channelBindingInput(): Uint8Array {
    const header = utf8Encode(this.gs2Header);
    if (this.mechanism !== PLUS) return header;
    return concatBytes([header, (this.options.channelBinding as ChannelBinding).data]);
  }

  private advance(from: ScramClient['step'], to: ScramClient['step']): void {
    if (this.step !== from) throw new InterfaceError(`SCRAM exchange out of order: expected step '${from}', at '${this.step}'`);
    this.step = to;
  }
}

/**
 * The tls-server-end-point channel binding data (RFC 5929 section 4.1): the
 * hash of the server certificate's DER bytes, with SHA-256 when the
 * certificate's signature hash is MD5 or SHA-1, else that hash. `hashName`
 * is e.g. 'sha256', 'SHA-384', 'sha512'. Throws AuthenticationError
 * `ERR_AUTH_CHANNEL_BINDING` when the hash is unknown or `crypto.hash` is
 * missing for a non-SHA-256 hash.
 */
export function tlsServerEndPointHash(certDer: Uint8Array, hashName: string, crypto: AuthCrypto): Uint8Array {
  const name = hashName.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (name === 'md5' || name === 'sha1' || name === 'sha256') return crypto.sha256(certDer);
  if (crypto.hash === undefined || !/^sha(224|384|512)$/.test(name)) {
    throw new AuthenticationError('ERR_AUTH_CHANNEL_BINDING', PLUS, `cannot compute tls-server-end-point for a certificate signed with ${hashName}`);
  }
  return crypto.hash(name, certDer);
}

/** SASLprep, falling back to the raw password when it fails (PostgreSQL does the same on both sides). */
function preparePassword(password: string): string {
  return saslprep(password) ?? password;
}

function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Parses 'a=...,b=...' checking the first attributes are `required` in order; extensions after them are ignored. */
function parseAttributes(text: string, required: readonly string[]): Record<string, string> {
  const parts = text.split(',');
  const out: Record<string, string> = {};
  required.forEach((name, i) => {
    const part = parts[i];
    if (part === undefined || !part.startsWith(`${name}=`)) throw protocolError(`expected attribute '${name}' in a server message`);
    out[name] = part.slice(name.length + 1);
  });
  return out;
}

function parseIterations(s: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(s)) throw protocolError(`invalid iteration count ${JSON.stringify(s)}`);
  return Number(s);
}

function decodeBase64(s: string, what: string): Uint8Array {
  try {
    const b = base64Decode(s);
    if (b.length === 0) throw protocolError(`empty ${what}`);
    return b;
  } catch (e) {
    if (e instanceof AuthenticationError) throw e;
    throw protocolError(`invalid base64 in the ${what}`, e as PgError);
  }
}

function protocolError(message: string, cause?: Error): AuthenticationError {
  return new AuthenticationError('ERR_AUTH_PROTOCOL', SHA256, `malformed SCRAM message: ${message}`, cause ? { cause } : undefined);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
