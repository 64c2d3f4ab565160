/**
 * Why the ws relay refused or ended a connection, and how it says so.
 *
 * Theory of operation. Every refusal has a stable `code` (`ERR_RELAY_…`), a
 * fixed message, and the status the client is given: an HTTP status when
 * the WebSocket handshake is refused (the WebSocket never opens), or a
 * WebSocket close code when an open session is ended. The relay reports each
 * refusal to its logger as a {@link RelayRefusal}, which carries only the
 * code, the fixed message, the status and the client's address: never a
 * header, a token, a target or an Origin, because those are either secrets
 * or text an attacker chose.
 */
import { STATUS_CODES } from 'node:http';
import { CloseCode } from './protocol';

/** What the relay tells its logger about one refusal; see the file comment for what it never holds. */
export interface RelayRefusal {
  /** Stable identifier, e.g. `ERR_RELAY_ORIGIN`. */
  readonly code: RelayRefusalCode;
  /** A fixed description of the code (no request data). */
  readonly message: string;
  /** The HTTP status of a refused handshake, or the WebSocket close code of an ended session. */
  readonly status: number;
  /** The client's IP address (IPv4-mapped IPv6 addresses shown as IPv4). */
  readonly remoteAddress: string;
}

/** Receives the relay's refusals (e.g. writes them to a log). Must not throw. */
export type RelayLogger = (refusal: RelayRefusal) => void;

/** The refusals, each with its status and fixed message. */
export const RELAY_REFUSALS = {
  ERR_RELAY_CAPACITY: { status: 503, message: 'the relay has its maximum number of connections' },
  ERR_RELAY_ADDRESS_LIMIT: { status: 429, message: 'too many connections from this client address' },
  ERR_RELAY_HANDSHAKE_TIMEOUT: { status: 408, message: 'no WebSocket handshake within the handshake timeout' },
  ERR_RELAY_TLS: { status: 400, message: 'TLS handshake failed' },
  ERR_RELAY_NOT_WEBSOCKET: { status: 426, message: 'not a WebSocket upgrade request' },
  ERR_RELAY_HOST: { status: 403, message: 'Host header not allowed' },
  ERR_RELAY_ORIGIN: { status: 403, message: 'Origin not allowed' },
  ERR_RELAY_NO_ORIGIN: { status: 403, message: 'requests without an Origin header are not allowed' },
  ERR_RELAY_UNAUTHORIZED: { status: 401, message: 'missing or wrong bearer token' },
  ERR_RELAY_VERIFY: { status: 403, message: 'refused by the verify callback' },
  ERR_RELAY_TARGET: { status: CloseCode.policy, message: 'target missing, malformed or not allowed' },
  ERR_RELAY_MESSAGE_TOO_BIG: { status: CloseCode.tooBig, message: 'message larger than maxMessageBytes' },
  ERR_RELAY_IDLE: { status: CloseCode.idle, message: 'no bytes either way within the idle timeout' },
} as const;

/** A refusal code. */
export type RelayRefusalCode = keyof typeof RELAY_REFUSALS;

/** The refusal for `code`, from the client at `remoteAddress`. */
export function refusal(code: RelayRefusalCode, remoteAddress: string): RelayRefusal {
  const { status, message } = RELAY_REFUSALS[code];
  return { code, message, status, remoteAddress };
}

/** The bytes of a minimal HTTP response refusing a handshake with `code`'s status (the connection then closes). */
export function httpRefusal(code: RelayRefusalCode): string {
  const { status } = RELAY_REFUSALS[code];
  const challenge = code === 'ERR_RELAY_UNAUTHORIZED' ? 'WWW-Authenticate: Bearer\r\n' : '';
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}\r\n${challenge}Connection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** A client address as logged and counted: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4. */
export function clientAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
