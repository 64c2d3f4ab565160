/**
 * The bridge's WebSocket protocol: JSON text messages between a browser and
 * the bridge, and the checks every browser message passes.
 *
 * Theory of operation. Browsers are untrusted, so a message is parsed only
 * after ws has bounded its size (`maxPayload`), and only two shapes are
 * accepted: `{"op":"subscribe","channel":C}` and
 * `{"op":"unsubscribe","channel":C}`. A channel name must match
 * {@link CHANNEL_PATTERN} (letters, digits, `_ . : -`, 1 to 63 characters):
 * narrower than what PostgreSQL allows, so a name never needs quoting to be
 * read by a person, and never longer than PostgreSQL's identifier limit.
 * The bridge builds no SQL from it: the library's `listen()` quotes the name
 * itself (`LISTEN "name"`). Anything else gets an `error` message with a
 * stable `code`; nothing a browser sends can end the bridge.
 *
 * The bridge answers with `hello`, `subscribed` (the server confirmed
 * LISTEN; again after each recovery), `unsubscribed`, `notification`, `gap`
 * (notifications on the channel may have been missed while the database
 * connection was down; `from`/`to` are the library's monotonic reactor
 * milliseconds, `durationMs` their difference), `state` (the database
 * connection went down or came back) and `error` messages, all listed in
 * {@link ServerMessage}.
 */

/** The channel names a browser may ask for: 1 to 63 letters, digits, `_`, `.`, `:` or `-`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.:-]{1,63}$/;

/** A browser's request. */
export type ClientMessage =
  | { readonly op: 'subscribe'; readonly channel: string }
  | { readonly op: 'unsubscribe'; readonly channel: string };

/** Stable codes of the `error` messages the bridge sends a browser. */
export type RefusalCode =
  | 'ERR_BRIDGE_BAD_MESSAGE'
  | 'ERR_BRIDGE_BAD_CHANNEL'
  | 'ERR_BRIDGE_TOO_MANY_SUBSCRIPTIONS'
  | 'ERR_BRIDGE_TOO_MANY_CHANNELS'
  | 'ERR_BRIDGE_LISTEN_FAILED';

/** The database connection as the page sees it. */
export type BridgeState = 'connected' | 'reconnecting' | 'closed';

/** A message of the bridge to a browser. */
export type ServerMessage =
  | { type: 'hello'; state: BridgeState; maxSubscriptions: number }
  | { type: 'subscribed'; channel: string }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'notification'; channel: string; payload: string; pid: number }
  | { type: 'gap'; channel: string; from: number; to: number; durationMs: number }
  | { type: 'state'; state: BridgeState }
  | { type: 'error'; code: RefusalCode; message: string; channel?: string };

/** A refused browser message: the `error` message to send back. */
export type Refusal = Extract<ServerMessage, { type: 'error' }>;

/** Builds the `error` message of a refusal. */
export function refusal(code: RefusalCode, message: string, channel?: string): Refusal {
  return channel === undefined ? { type: 'error', code, message } : { type: 'error', code, message, channel };
}

/**
 * Parses one text message of a browser: the request, or the refusal to send
 * back. Never throws. The channel is checked against {@link CHANNEL_PATTERN};
 * a refused channel is echoed back only when it is a short string.
 */
export function parseClientMessage(text: string): ClientMessage | Refusal {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refusal('ERR_BRIDGE_BAD_MESSAGE', 'a message must be JSON');
  }
  if (typeof value !== 'object' || value === null) return refusal('ERR_BRIDGE_BAD_MESSAGE', 'a message must be a JSON object');
  const { op, channel } = value as { op?: unknown; channel?: unknown };
  if (op !== 'subscribe' && op !== 'unsubscribe') return refusal('ERR_BRIDGE_BAD_MESSAGE', 'op must be "subscribe" or "unsubscribe"');
  if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
    const echo = typeof channel === 'string' && channel.length <= 100 ? channel : undefined;
    return refusal('ERR_BRIDGE_BAD_CHANNEL', 'a channel name is 1 to 63 letters, digits, "_", ".", ":" or "-"', echo);
  }
  return { op, channel };
}
