/**
 * Protocol version negotiation for one {@link ProtocolMachine} session.
 *
 * Theory of operation. The machine asks for `maxProtocolVersion` in its
 * StartupMessage, together with any `_pq_.` protocol options among its
 * startup parameters. The server's first answer settles the version:
 *
 * - any message but NegotiateProtocolVersion: the server speaks the version
 *   asked for;
 * - NegotiateProtocolVersion, legal only as that first answer: the newest
 *   minor version the server speaks, and the `_pq_.` options it did not
 *   recognize. The version must be one the codec knows (never 3.1) and no
 *   newer than asked, or the session fails with `ProtocolViolation`; no
 *   older than `minProtocolVersion`, or it fails with
 *   {@link ProtocolVersionUnsupported} (`ERR_PROTOCOL_VERSION_UNSUPPORTED`),
 *   naming both. Every option listed must be one we sent (else
 *   `ProtocolViolation`); they are recorded and the session goes on without
 *   them, as the server ignores them.
 *
 * Once settled, the version decides the cancel key lengths BackendKeyData may
 * carry: exactly 4 bytes under 3.0, 4 to 256 under 3.2.
 *
 * Fallback. Some servers and poolers that predate minor versions (older
 * PgBouncer, PostgreSQL before its 2017 minor releases) refuse a startup
 * packet asking for more than 3.0 instead of negotiating: their first answer
 * is an ErrorResponse with SQLSTATE 08P01 (protocol_violation) or 0A000
 * (feature_not_supported), or the connection closes with no answer at all.
 * When we asked for more than 3.0 and `minProtocolVersion` allows 3.0,
 * {@link Negotiation.fallback} is then '3.0': the machine asks its driver
 * for one new connection asking for 3.0. A machine that asked for 3.0 never
 * offers a fallback, so the retry happens once.
 */
import { ConnectionError, InterfaceError, ProtocolViolation, type PgErrorOptions } from '../errors/base';
import type { BackendMessage } from '../protocol/messages';
import { cancelKeyLengthAllowed, minorOf, olderThan, PROTOCOL_VERSIONS, versionOfMinor, type ProtocolVersion } from '../protocol/versions';

/** The server speaks only protocol versions older than `minProtocolVersion`. */
export class ProtocolVersionUnsupported extends ConnectionError {
  /** The newest version the server speaks (from NegotiateProtocolVersion). */
  readonly serverVersion: ProtocolVersion;
  /** The oldest version the client accepts (`min_protocol_version`). */
  readonly minVersion: ProtocolVersion;

  constructor(serverVersion: ProtocolVersion, minVersion: ProtocolVersion, options?: PgErrorOptions) {
    super(`the server speaks protocol ${serverVersion} at most, but min_protocol_version is ${minVersion}`, {
      ...options,
      code: 'ERR_PROTOCOL_VERSION_UNSUPPORTED',
    });
    this.serverVersion = serverVersion;
    this.minVersion = minVersion;
  }
}

/** The SQLSTATEs of a refused startup packet that a 3.0 retry may cure. */
const REFUSED_VERSION = new Set(['08P01', '0A000']);

/** What {@link Negotiation.create} reads from the machine's options. */
export interface NegotiationOptions {
  /** The oldest version to accept (default '3.0'). */
  minProtocolVersion?: ProtocolVersion;
  /** The version to ask for (default '3.0'). */
  maxProtocolVersion?: ProtocolVersion;
  /** The startup parameters; those named `_pq_.*` are protocol options. */
  startupParameters?: Record<string, string>;
}

/** One session's negotiation; see the file comment. */
export class Negotiation {
  private _version: ProtocolVersion;
  private answered = false;
  private _fallback: ProtocolVersion | undefined;
  private _unrecognized: readonly string[] = [];

  private constructor(
    private readonly min: ProtocolVersion,
    private readonly max: ProtocolVersion,
    private readonly sentOptions: ReadonlySet<string>,
  ) {
    this._version = max;
  }

  /** Reads and checks the options; throws `InterfaceError` for an unknown version or min above max. */
  static create(o: NegotiationOptions): Negotiation {
    const min = known('minProtocolVersion', o.minProtocolVersion ?? '3.0');
    const max = known('maxProtocolVersion', o.maxProtocolVersion ?? '3.0');
    if (olderThan(max, min)) {
      throw new InterfaceError(`minProtocolVersion ${min} is newer than maxProtocolVersion ${max}`, { code: 'ERR_INVALID_ARGUMENT' });
    }
    return new Negotiation(min, max, protocolOptions(o.startupParameters));
  }

  /** The version asked for until the server has answered, then the version agreed. */
  get version(): ProtocolVersion {
    return this._version;
  }

  /** The version to retry with over a new connection, once the server refused the one asked for (see the file comment). */
  get fallback(): ProtocolVersion | undefined {
    return this._fallback;
  }

  /** The `_pq_.` options the server did not recognize (from NegotiateProtocolVersion). */
  get unrecognizedOptions(): readonly string[] {
    return this._unrecognized;
  }

  /** A message from the server before authentication ended; returns the error that ends the session, or null. */
  answer(msg: BackendMessage): Error | null {
    const first = !this.answered;
    this.answered = true;
    if (msg.type === 'NegotiateProtocolVersion') {
      if (!first) return new ProtocolViolation('NegotiateProtocolVersion after the server had answered the startup packet');
      return this.negotiate(msg.minorVersion, msg.unrecognizedOptions);
    }
    if (first && msg.type === 'ErrorResponse' && REFUSED_VERSION.has(msg.fields.C)) this.offerFallback();
    return null;
  }

  /** The server closed the connection during startup. */
  closed(): void {
    if (!this.answered) this.offerFallback();
  }

  /** Checks a BackendKeyData secret key's length against the version agreed; the error, or null. */
  checkCancelKey(length: number): ProtocolViolation | null {
    if (cancelKeyLengthAllowed(this._version, length)) return null;
    const allowed = this._version === '3.0' ? 'exactly 4' : '4 to 256';
    return new ProtocolViolation(`BackendKeyData with a ${length}-byte secret key under protocol ${this._version} (${allowed} bytes allowed)`);
  }

  private negotiate(minor: number, options: readonly string[]): Error | null {
    const offered = versionOfMinor(minor);
    if (minor > minorOf(this.max)) return new ProtocolViolation(`NegotiateProtocolVersion offers protocol 3.${minor}, newer than the ${this.max} asked for`);
    if (offered === undefined) return new ProtocolViolation(`NegotiateProtocolVersion offers protocol 3.${minor}, which does not exist`);
    if (olderThan(offered, this.min)) return new ProtocolVersionUnsupported(offered, this.min);
    const unsent = options.find((o) => !this.sentOptions.has(o));
    if (unsent !== undefined) return new ProtocolViolation(`NegotiateProtocolVersion lists ${JSON.stringify(unsent)}, a protocol option the client did not send`);
    this._version = offered;
    this._unrecognized = [...options];
    return null;
  }

  private offerFallback(): void {
    if (this.max !== '3.0' && this.min === '3.0') this._fallback = '3.0';
  }
}

function known(name: string, v: string): ProtocolVersion {
  if ((PROTOCOL_VERSIONS as readonly string[]).includes(v)) return v as ProtocolVersion;
  throw new InterfaceError(`${name} must be one of ${PROTOCOL_VERSIONS.join(', ')}, not ${JSON.stringify(v)}`, { code: 'ERR_INVALID_ARGUMENT' });
}

/** No `_pq_.` startup parameters: the common case shares one empty set (never written: it is read only). */
const NO_OPTIONS: ReadonlySet<string> = new Set();

/** The `_pq_.` protocol options among the startup parameters (a Set only when there is one). */
function protocolOptions(parameters: Readonly<Record<string, string>> | undefined): ReadonlySet<string> {
  if (parameters === undefined) return NO_OPTIONS;
  let out: Set<string> | null = null;
  const keys = Object.keys(parameters);
  for (let i = 0; i < keys.length; i++) if (keys[i].startsWith('_pq_.')) (out ??= new Set()).add(keys[i]);
  return out ?? NO_OPTIONS;
}
