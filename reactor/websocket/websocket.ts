/**
 * WebSocketReactor: the PostgreSQL byte stream over WebSockets.
 *
 * Theory of operation. Some places can open WebSockets but not TCP sockets
 * (browsers, edge runtimes, networks that only pass HTTP). There, each
 * `connect(endpoint)` opens one WebSocket to a ws-to-TCP relay (see
 * `ws-proxy.ts`, or the `tspostgres-ws-proxy` bin); the relay connects TCP to
 * the endpoint named in the URL, if its allowlist permits, and relays bytes
 * as binary messages (protocol: `ws-protocol.ts`). The connection is only
 * "made" when the relay reports the TCP connection open, so refused
 * connections and timeouts look exactly as on the NodeReactor.
 *
 * The WebSocket constructor is injectable (the `ws` package by default;
 * a browser's or runtime's global `WebSocket` works), and time is delegated
 * to any {@link ReactorTime} (a {@link NodeTime} by default).
 */
import type { ConnectOptions, Connector, DelayedCall, Endpoint, Reactor, ReactorTime, TransportHandler } from '../interfaces';
import { TimeDelegate } from '../time-delegate';
import { ConnectCancelled, ConnectTimeout, describeEndpoint } from '../errors';
import { NodeTime } from '../node/time';
import { WS_WRITE_HIGH_WATER_MARK, WsTransport, type WebSocketLike } from './transport';
import { targetQuery } from './protocol';

export type { WebSocketLike, HandlerSlot } from './transport';

/** A WebSocket constructor: `ws`'s, or a runtime's global `WebSocket`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: object) => WebSocketLike;

/** Options for {@link WebSocketReactor}. */
export interface WebSocketReactorOptions {
  /**
   * The relay URL for an endpoint, e.g.
   * `(e) => 'wss://relay.example/' + relayQuery(e)`. Unix endpoints are
   * passed too; map them as your relay expects, or throw.
   */
  url: (endpoint: Endpoint) => string;
  /** The WebSocket constructor (default: the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols to request. */
  protocols?: string | string[];
  /** The clock (default: a new {@link NodeTime}). */
  time?: ReactorTime;
  /**
   * The high-water mark of each connection's write buffer (the WebSocket's
   * `bufferedAmount`), in bytes; default {@link WS_WRITE_HIGH_WATER_MARK}
   * (64 KiB). A registered producer is paused at the mark and resumed at a
   * quarter of it.
   */
  writeHighWaterMark?: number;
}

/** The standard relay query for a TCP endpoint: `?host=...&port=...`. */
export function relayQuery(endpoint: Endpoint): string {
  if (endpoint.kind !== 'tcp') throw new TypeError('the ws relay only connects to TCP endpoints');
  return targetQuery(endpoint);
}

function defaultWebSocket(): WebSocketConstructor {
  // Loaded lazily so that runtimes passing their own WebSocket never need `ws`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ws') as WebSocketConstructor;
}

/**
 * A reactor whose connections are WebSockets to a ws-to-TCP relay.
 *
 * @example
 * const reactor = new WebSocketReactor({ url: (e) => `wss://relay.example/${relayQuery(e)}` });
 */
export class WebSocketReactor extends TimeDelegate implements Reactor {
  protected readonly time: ReactorTime;
  private readonly WebSocket: WebSocketConstructor;
  private readonly isDefaultWs: boolean;

  constructor(private readonly options: WebSocketReactorOptions) {
    super();
    this.time = options.time ?? new NodeTime();
    this.isDefaultWs = options.WebSocket === undefined;
    this.WebSocket = options.WebSocket ?? defaultWebSocket();
  }

  /**
   * Opens a WebSocket to the relay for `endpoint`. `connectionMade` follows
   * once the relay's TCP connection is open; failures arrive as
   * `connectionLost` (`ConnectionRefused`, `ConnectTimeout`, `RelayForbidden`,
   * `ConnectFailed`, `ConnectCancelled`). `noDelay`/keepalive are the relay's business.
   */
  connect(endpoint: Endpoint, handler: TransportHandler, options: ConnectOptions = {}): Connector {
    const target = describeEndpoint(endpoint);
    const ws = this.isDefaultWs
      ? new this.WebSocket(this.options.url(endpoint), this.options.protocols, { perMessageDeflate: false })
      : new this.WebSocket(this.options.url(endpoint), this.options.protocols);
    ws.binaryType = this.isDefaultWs ? 'nodebuffer' : 'arraybuffer';
    let connected = false;
    let timer: DelayedCall | undefined;
    const transport = new WsTransport(ws, handler, this.time, target, () => {
      connected = true; // connected, or lost: either way the connect is settled
      timer?.cancel();
    }, this.options.writeHighWaterMark ?? WS_WRITE_HIGH_WATER_MARK);
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = this.time.callLater(timeoutMs, () => transport.lose(new ConnectTimeout(target, timeoutMs)));
    }
    return { cancel: () => connected || transport.lose(new ConnectCancelled(target)) };
  }
}
