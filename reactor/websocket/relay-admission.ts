/**
 * Admission: which WebSocket handshakes the ws relay accepts.
 *
 * Theory of operation. A relay that tunnels to a database is a confused
 * deputy waiting to happen: any web page the user opens can ask the user's
 * browser to open a WebSocket to it (WebSockets are not bound by the
 * same-origin policy), and the relay would then reach, from inside the
 * network, a database that trusts its neighbours. Every handshake is
 * therefore checked, in this order, before the WebSocket is accepted:
 *
 * 1. Host. The Host header must be an IP address, `localhost`, or one of
 *    the configured names. A DNS-rebinding page reaches the relay under the
 *    attacker's own name, so it fails here.
 * 2. Origin. Browsers always send the page's origin on a WebSocket
 *    handshake; it must be one of the configured origins (none by default).
 *    A request without Origin is not from a browser page; it is allowed only
 *    when configured (by default only on a loopback listener). Non-browser
 *    clients can send any Origin they like: this check protects browsers'
 *    users, it does not authenticate anyone.
 * 3. Token. When the relay has a token, the request must present it (see
 *    `relay-token.ts`).
 * 4. verify. The configured callback has the last word.
 *
 * A refused handshake gets an HTTP error status and never becomes a
 * WebSocket (a browser page only sees its WebSocket fail).
 */
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import type { RelayConfig } from './relay-config';
import type { RelayRefusalCode } from './relay-refusals';
import { presentedTokens, tokenMatches } from './relay-token';

/** The part of the configuration admission reads. */
export type AdmissionPolicy = Pick<RelayConfig, 'hosts' | 'origins' | 'allowNoOrigin' | 'tokenDigest' | 'verify'>;

/** Checks a handshake request; resolves with the refusal code, or undefined when it is admitted. */
export async function admit(request: IncomingMessage, policy: AdmissionPolicy): Promise<RelayRefusalCode | undefined> {
  const early = checkHeaders(request, policy);
  if (early !== undefined) return early;
  if (!policy.verify) return undefined;
  try {
    return (await policy.verify(request)) === true ? undefined : 'ERR_RELAY_VERIFY';
  } catch {
    return 'ERR_RELAY_VERIFY';
  }
}

/** The synchronous checks (Host, Origin, token); the refusal code, or undefined. */
export function checkHeaders(request: IncomingMessage, policy: AdmissionPolicy): RelayRefusalCode | undefined {
  if (!hostAllowed(request.headers.host, policy.hosts)) return 'ERR_RELAY_HOST';
  const origin = request.headers.origin;
  if (origin === undefined && !policy.allowNoOrigin) return 'ERR_RELAY_NO_ORIGIN';
  if (origin !== undefined && !originAllowed(origin, policy.origins)) return 'ERR_RELAY_ORIGIN';
  if (policy.tokenDigest && !tokenMatches(presentedTokens(request), policy.tokenDigest)) return 'ERR_RELAY_UNAUTHORIZED';
  return undefined;
}

/** Whether a Host header names the relay: an IP address, `localhost`, or one of `names` (port ignored, case-insensitive). */
export function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (!header) return false;
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header.trim());
  if (!match) return false;
  if (match[1] !== undefined) return net.isIPv6(match[1]);
  const name = match[2].toLowerCase();
  return net.isIPv4(name) || name === 'localhost' || names.has(name);
}

/** Whether an Origin header is allowed: its serialised origin is listed, or the predicate says yes. */
export function originAllowed(header: string, origins: AdmissionPolicy['origins']): boolean {
  if (typeof origins === 'function') return origins(header) === true;
  const origin = serialisedOrigin(header);
  return origin !== undefined && origins.has(origin);
}

/** `new URL(header).origin`, or undefined for `null`, garbage, or anything with more than an origin. */
function serialisedOrigin(header: string): string | undefined {
  try {
    const url = new URL(header);
    return url.origin !== 'null' && (url.pathname === '/' || url.pathname === '') && !url.search ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
