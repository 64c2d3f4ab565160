/**
 * `tspostgres/reactor`: the reactors and what they are made of.
 *
 * - {@link NodeReactor}: production, on Node's event loop (TCP, unix sockets, TLS).
 * - {@link WebSocketReactor}: the byte stream over a WebSocket to a ws-to-TCP
 *   relay ({@link startWsProxy}, or the `tspostgres-ws-proxy` bin).
 * - {@link VirtualReactor}: deterministic, for tests: a virtual {@link Clock},
 *   in-memory {@link MemoryLink}s, recorded {@link ConnectAttempt}s.
 */
export type {
  ConnectOptions, Connector, DelayedCall, Endpoint, Reactor, ReactorConnect, ReactorTime,
  Producer, TlsInfo, TlsOptions, Transport, TransportHandler,
} from './interfaces';
export {
  ReactorError, ConnectionRefused, ConnectTimeout, ConnectFailed, ConnectCancelled,
  ConnectionReset, TransportError, TlsError, RelayForbidden, describeEndpoint,
} from './errors';
export type { ReactorErrorOptions } from './errors';
export { NodeReactor } from './node/node';
export type { NodeReactorOptions, NodeListener } from './node/node';
export { NodeTime, MAX_MICROTASK_HOPS } from './node/time';
export type { NodeTimeOptions } from './node/time';
export { Clock } from './virtual/clock';
export type { ClockOptions } from './virtual/clock';
export { VirtualReactor, ConnectAttempt, MAX_FLUSH_ROUNDS } from './virtual/virtual';
export type { VirtualReactorOptions, ConnectAttemptState } from './virtual/virtual';
export { MemoryLink, MemoryTransport, MEMORY_HIGH_WATER_MARK } from './virtual/memory-link';
export type { LinkSide } from './virtual/memory-link';
export { WebSocketReactor, relayQuery } from './websocket/websocket';
export { WS_WRITE_HIGH_WATER_MARK, DRAIN_POLL_MS } from './websocket/transport';
export type { WebSocketReactorOptions, WebSocketConstructor, WebSocketLike, HandlerSlot } from './websocket/websocket';
export { startWsProxy, isAllowed, RelayConfigError } from './websocket/proxy';
export type { WsProxy, WsProxyOptions, WsProxyStats, RelayAllow, RelayOrigins, RelayLogger, RelayRefusal, RelayRefusalCode } from './websocket/proxy';
export { CloseCode, MSG_CONNECTED, MSG_EOF, MAX_MESSAGE_BYTES, RELAY_SUBPROTOCOL, relayProtocols, parseTarget, targetQuery } from './websocket/protocol';
export type { RelayTarget } from './websocket/protocol';
export { certificateSignatureHash } from './node/tls-info';
