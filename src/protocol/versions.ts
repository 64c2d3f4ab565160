/**
 * Protocol versions: the minor versions of protocol 3 this codec speaks, and
 * how they are written in a StartupMessage and in a connection string.
 *
 * Theory of operation. The client asks for one version in its
 * StartupMessage (major in the high 16 bits, minor in the low 16); a server
 * that speaks only an older minor version answers with
 * NegotiateProtocolVersion naming the newest one it has, and both sides use
 * that. The versions differ only where listed here:
 *
 * - 3.0 (PostgreSQL 7.4 and later): the cancel key in BackendKeyData and
 *   CancelRequest is exactly 4 bytes.
 * - 3.1 was never used: it is skipped because old PgBouncer releases claimed
 *   to support it. No server may offer it.
 * - 3.2 (PostgreSQL 18): the cancel key is 4 to 256 bytes (PostgreSQL sends
 *   32), sent back in a CancelRequest exactly as received.
 *
 * Reference: https://www.postgresql.org/docs/18/protocol-overview.html#PROTOCOL-VERSIONS
 */

/** A protocol version this codec speaks, as libpq spells it (`min_protocol_version`, `max_protocol_version`). */
export type ProtocolVersion = '3.0' | '3.2';

/** Every {@link ProtocolVersion}, oldest first. */
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = ['3.0', '3.2'];

/** The newest version this codec speaks: what libpq's `latest` means here. */
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = '3.2';

/** The longest cancel key protocol 3.2 allows, in bytes. */
export const MAX_CANCEL_KEY_LENGTH = 256;

/** The minor version number of `v` (0 for '3.0'). */
export function minorOf(v: ProtocolVersion): number {
  return v === '3.2' ? 2 : 0;
}

/** The version with minor number `minor`, or undefined when this codec does not speak it (3.1, 3.3, ...). */
export function versionOfMinor(minor: number): ProtocolVersion | undefined {
  return PROTOCOL_VERSIONS.find((v) => minorOf(v) === minor);
}

/** The version number a StartupMessage carries for `v` (196608 for 3.0, 196610 for 3.2). */
export function protocolCode(v: ProtocolVersion): number {
  return (3 << 16) | minorOf(v);
}

/** Whether `a` is older than `b`. */
export function olderThan(a: ProtocolVersion, b: ProtocolVersion): boolean {
  return minorOf(a) < minorOf(b);
}

/** The cancel key lengths `v` allows, in bytes: exactly 4 under 3.0, 4 to 256 under 3.2. */
export function cancelKeyLengthAllowed(v: ProtocolVersion, length: number): boolean {
  if (v === '3.0') return length === 4;
  return length >= 4 && length <= MAX_CANCEL_KEY_LENGTH;
}
