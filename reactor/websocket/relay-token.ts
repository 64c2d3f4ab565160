/**
 * The ws relay's bearer token: where a client puts it, and how it is checked.
 *
 * Theory of operation. A client may present the token two ways: the
 * `Authorization: Bearer <token>` header (Node clients, anything that can
 * set headers), or, since a browser cannot set headers on a WebSocket, the
 * subprotocol `bearer.<base64url(token)>` offered beside
 * {@link RELAY_SUBPROTOCOL} (see `relayProtocols` in `protocol.ts`). A
 * token in the URL would end up in access logs and browser history, and a
 * cookie would be sent by any page the user visits (the attack the Origin
 * check exists for), so neither is accepted.
 *
 * The relay keeps only the SHA-256 digest of its token and compares digests
 * with `timingSafeEqual`, so the comparison takes the same time whatever the
 * presented value, and nothing the relay holds prints the token. The relay
 * selects {@link RELAY_SUBPROTOCOL} in its answer, never the bearer
 * protocol, so the token is not echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BEARER_PROTOCOL_PREFIX, RELAY_SUBPROTOCOL } from './protocol';

/** The SHA-256 digest of a token (what the relay keeps instead of the token). */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Every token the request presents: the Authorization bearer and each bearer subprotocol. */
export function presentedTokens(request: IncomingMessage): string[] {
  const tokens: string[] = [];
  const authorization = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (authorization) tokens.push(authorization[1]);
  for (const protocol of offeredProtocols(request)) {
    if (protocol.startsWith(BEARER_PROTOCOL_PREFIX)) {
      tokens.push(Buffer.from(protocol.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8'));
    }
  }
  return tokens;
}

/** Whether one of the presented tokens has the expected digest (compared in constant time). */
export function tokenMatches(presented: readonly string[], expected: Buffer): boolean {
  let match = false;
  for (const token of presented) match = timingSafeEqual(tokenDigest(token), expected) || match;
  return match;
}

/** The subprotocols the request offers (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** The subprotocol the relay answers with: {@link RELAY_SUBPROTOCOL} when offered, else none (never a bearer one). */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  return protocols.has(RELAY_SUBPROTOCOL) ? RELAY_SUBPROTOCOL : false;
}
