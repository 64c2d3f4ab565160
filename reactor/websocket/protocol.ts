/**
 * The relay protocol between {@link WebSocketReactor} and the ws-to-TCP relay.
 *
 * Theory of operation. One WebSocket carries one TCP connection. The client
 * names the target in the URL query (`?host=db.internal&port=5432`); the
 * relay checks it against its allowlist and closes with 1008 (policy) if it
 * is not allowed. Binary messages carry the raw stream bytes, both ways, with
 * no framing of their own. Text messages are control signals:
 * - `connected` (relay -> client): the TCP connection to the target is open;
 *   only now does the client report `connectionMade`.
 * - `eof` (both ways): half-close; the sender will write no more bytes (TCP FIN).
 * WebSocket close codes carry the outcome: 1000 both sides closed cleanly;
 * 1008 target not allowed; 4000 the client aborted (the relay resets TCP);
 * 4001 the target refused; 4002 the target reset; 4003 other target failure
 * (the reason text is the errno, e.g. `ENOTFOUND`); 4004 the relay timed
 * out connecting to the target; 4005 the relay closed an idle session; 1009
 * a message was larger than the relay accepts. A close without a code (1006)
 * is a reset.
 *
 * Message size: a relay accepts messages up to its `maxMessageBytes` (256 KiB
 * by default), so it never holds more than that of one message in memory;
 * clients split their writes into messages of at most
 * {@link MAX_MESSAGE_BYTES}.
 *
 * Admission (see `relay-admission.ts`): a relay may require a bearer token.
 * Node clients can send `Authorization: Bearer <token>`; browsers cannot set
 * headers on a WebSocket, so the token may also travel as a subprotocol:
 * the client offers {@link RELAY_SUBPROTOCOL} and `bearer.<base64url(token)>`
 * ({@link relayProtocols}); the relay selects {@link RELAY_SUBPROTOCOL},
 * never the token.
 */

/** Text message: the relay's TCP connection to the target is open. */
export const MSG_CONNECTED = 'connected';
/** Text message: the sender half-closed (no more bytes from it). */
export const MSG_EOF = 'eof';

/** WebSocket close codes used by the relay protocol. */
export const CloseCode = {
  normal: 1000,
  policy: 1008,
  abort: 4000,
  targetRefused: 4001,
  targetReset: 4002,
  targetFailed: 4003,
  targetTimeout: 4004,
  idle: 4005,
  tooBig: 1009,
} as const;

/** The largest binary message a client sends: writes are split into messages of at most this many bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** The subprotocol a relay selects when a client offers it (with or without a token). */
export const RELAY_SUBPROTOCOL = 'tspostgres-relay';
/** The prefix of the subprotocol that carries a bearer token: `bearer.<base64url(token)>`. */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/**
 * The subprotocols a client offers to pass `token` to a relay that requires
 * one: `[RELAY_SUBPROTOCOL, 'bearer.<base64url(token)>']`. Works in browsers
 * (which cannot set an Authorization header) and with `ws`.
 * @example
 * new WebSocketReactor({ url, protocols: relayProtocols(token) });
 */
export function relayProtocols(token: string): string[] {
  return [RELAY_SUBPROTOCOL, BEARER_PROTOCOL_PREFIX + base64url(token)];
}

/** Base64url (no padding) of the UTF-8 bytes of `text`; uses only what browsers have too. */
function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A TCP target named in a relay URL. */
export interface RelayTarget {
  host: string;
  port: number;
}

/** Builds the query string naming a target, e.g. `?host=db&port=5432`. */
export function targetQuery(target: RelayTarget): string {
  return `?host=${encodeURIComponent(target.host)}&port=${target.port}`;
}

/** Reads the target from a request URL (path and query); undefined when missing or malformed. */
export function parseTarget(url: string): RelayTarget | undefined {
  const params = new URL(url, 'ws://relay.invalid').searchParams;
  const host = params.get('host');
  const port = Number(params.get('port'));
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}
