/**
 * NOTIFY to the browser: a web server whose pages subscribe to PostgreSQL
 * channels over a WebSocket.
 *
 * Theory of operation. The bridge holds ONE database connection, with a
 * DeadConnectionDetector and a heartbeat, for every browser. A browser opens
 * a WebSocket on `/ws` and sends `subscribe`/`unsubscribe` messages
 * (./protocol.ts); each subscription of each socket is one subscription of
 * the library's `conn.listen(channel)` Observable. `listen()` itself counts
 * the subscribers of a channel on a connection: the first one sends
 * `LISTEN`, the last one to leave sends `UNLISTEN`, so the bridge keeps no
 * count of its own, and a socket that closes simply unsubscribes all it had.
 *
 * When the database restarts or the link dies, the detector reconnects and
 * `listen()` LISTENs every live channel again; each subscriber then gets one
 * `NotificationGap`, which the bridge forwards as a `gap` message, so the
 * page can say that notifications may have been missed. Connection state
 * changes (down, back) are forwarded to every page as `state` messages.
 *
 * Browsers are untrusted: messages are bounded by ws (`maxPayload`, a larger
 * one closes the socket with 1009), channel names are checked against a
 * narrow pattern and then quoted by `listen()` (no SQL is built here), each
 * socket has at most `maxSubscriptionsPerSocket` subscriptions and all of
 * them together at most `maxChannels` distinct channels, a socket that does
 * not read what it is sent (more than `maxBufferedBytes` waiting) is cut, and
 * a WebSocket from a page of another origin is refused unless listed in
 * `origins` (requests without an Origin header, which are not from a
 * browser page, are accepted).
 *
 * Run it: `DATABASE_URL=postgres://... node -r ./scripts/register-ts.js
 * examples/ws-bridge/server.ts [PORT]` (or the PG* variables; the port also
 * from BRIDGE_PORT, default 8080), then open http://127.0.0.1:8080/.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { distinctUntilChanged, map, type Subscription } from 'rxjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  Connection, DeadConnectionDetector, listenedChannels, Notification, NotificationGap,
  type ConnectionState, type HeartbeatOptions,
} from '../../src/index';
import { parseClientMessage, refusal, type BridgeState, type ServerMessage } from './protocol';

/** Options of {@link startBridge}; all optional. */
export interface BridgeOptions {
  /** The connection string; default: `DATABASE_URL`, else the PG* variables and pgpass. */
  dsn?: string;
  /** The HTTP port (0: a free one); default 8080. */
  port?: number;
  /** The address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Subscriptions one socket may hold at once; default 16. */
  maxSubscriptionsPerSocket?: number;
  /** Distinct channels all sockets together may have LISTENed; default 256. */
  maxChannels?: number;
  /** The largest message a browser may send, in bytes; default 1024. */
  maxMessageBytes?: number;
  /** Bytes that may wait for a slow socket before it is cut; default 1 MiB. */
  maxBufferedBytes?: number;
  /** Origins, besides the bridge's own, whose pages may open the WebSocket. */
  origins?: readonly string[];
  /** The idle probe of the database connection; default every 5,000 ms, 2,000 ms to answer. */
  heartbeat?: HeartbeatOptions;
  /** Reconnection delays (default: the detector's unlimited backoff). */
  reconnectionIterator?: () => Iterable<number>;
  /** Connect timeout per attempt in ms; default 5,000. */
  connectTimeoutMs?: number;
  /** Where progress goes; default nowhere. */
  log?: (line: string) => void;
}

/** A running bridge. */
export interface Bridge {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The HTTP port. */
  readonly port: number;
  /** The shared database connection. */
  readonly conn: Connection;
  /** Its detector. */
  readonly detector: DeadConnectionDetector;
  /** Open browser sockets. */
  readonly sockets: number;
  /** The channels `listen()` holds on the connection (LISTENed or about to be). */
  channels(): string[];
  /** Closes every socket, the HTTP server and the database connection. */
  close(): Promise<void>;
}

/** The files of the page, served as they are. */
const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/bridge.js': { file: 'bridge.js', type: 'text/javascript; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** Connects, then serves the page and the WebSocket; see the file comment. */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const log = options.log ?? ((): void => undefined);
  const detector = new DeadConnectionDetector({
    heartbeat: options.heartbeat ?? { intervalMs: 5000, timeoutMs: 2000 },
    reconnectionIterator: options.reconnectionIterator,
  });
  const conn = new Connection({ detector, connectTimeoutMs: options.connectTimeoutMs ?? 5000 });
  try {
    await conn.connect(options.dsn ?? (process.env.DATABASE_URL || undefined));
  } catch (error) {
    conn.close();
    throw error;
  }
  const hub = new Hub(conn, options, log);
  const server = http.createServer(serveStatic);
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 1024 });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    if (!upgradeAllowed(request, options.origins ?? [])) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => hub.accept(ws));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    conn,
    detector,
    get sockets() {
      return wss.clients.size;
    },
    channels: () => listenedChannels(conn),
    close: async () => {
      for (const ws of wss.clients) ws.close(1001, 'the bridge is shutting down');
      wss.close();
      hub.close();
      conn.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** Serves the page's files for GET and HEAD; 404 or 405 for anything else. */
function serveStatic(request: http.IncomingMessage, response: http.ServerResponse): void {
  const entry = STATIC[new URL(request.url ?? '/', 'http://bridge').pathname];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
    return;
  }
  if (entry === undefined) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found\n');
    return;
  }
  const body = fs.readFileSync(path.join(__dirname, entry.file));
  response.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': body.length, ...SECURITY_HEADERS });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Whether a WebSocket upgrade may proceed: path `/ws`, and no Origin, the bridge's own, or a listed one. */
function upgradeAllowed(request: http.IncomingMessage, origins: readonly string[]): boolean {
  if (new URL(request.url ?? '/', 'http://bridge').pathname !== '/ws') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${request.headers.host ?? ''}` || origins.includes(origin);
}

/** The database state pages are told of, for a connection state: up (ready or busy), closed, or anything else (down, reconnecting). */
function databaseState(state: ConnectionState): BridgeState {
  if (state === 'ready' || state === 'busy') return 'connected';
  return state === 'closed' ? 'closed' : 'reconnecting';
}

/** The sockets of the browsers and their subscriptions. */
class Hub {
  private readonly sockets = new Map<WebSocket, Map<string, Subscription>>();
  private state: BridgeState;
  private readonly stateSub: Subscription;
  private readonly maxSubscriptions: number;
  private readonly maxChannels: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly conn: Connection,
    options: BridgeOptions,
    private readonly log: (line: string) => void,
  ) {
    this.maxSubscriptions = options.maxSubscriptionsPerSocket ?? 16;
    this.maxChannels = options.maxChannels ?? 256;
    this.maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.state = databaseState(conn.state);
    this.stateSub = conn.stateChanges$.pipe(
      map((c) => ({ state: databaseState(c.state), reason: c.reason })),
      distinctUntilChanged((a, b) => a.state === b.state),
    ).subscribe(({ state, reason }) => this.stateChanged(state, reason));
  }

  /** Takes a new browser socket. */
  accept(ws: WebSocket): void {
    const subs = new Map<string, Subscription>();
    this.sockets.set(ws, subs);
    ws.on('message', (data: RawData, isBinary: boolean) => this.received(ws, subs, data, isBinary));
    ws.on('close', () => this.closed(ws, subs));
    ws.on('error', (error: Error) => this.log(`ws-bridge: socket error (${error.message})`));
    this.send(ws, { type: 'hello', state: this.state, maxSubscriptions: this.maxSubscriptions });
  }

  /** Stops forwarding state; the sockets close on their own. */
  close(): void {
    this.stateSub.unsubscribe();
    for (const [ws, subs] of this.sockets) this.closed(ws, subs);
  }

  private stateChanged(state: BridgeState, reason: Error | undefined): void {
    if (state === this.state) return;
    this.state = state;
    this.log(`ws-bridge: database ${state}${reason ? ` (${reason.message})` : ''}`);
    for (const ws of this.sockets.keys()) this.send(ws, { type: 'state', state });
  }

  private received(ws: WebSocket, subs: Map<string, Subscription>, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.send(ws, refusal('ERR_BRIDGE_BAD_MESSAGE', 'messages are JSON text'));
    const message = parseClientMessage(data.toString());
    if ('type' in message) return this.send(ws, message);
    if (message.op === 'unsubscribe') {
      subs.get(message.channel)?.unsubscribe(); // the last subscriber of a channel UNLISTENs (listen() counts)
      subs.delete(message.channel);
      return this.send(ws, { type: 'unsubscribed', channel: message.channel });
    }
    this.subscribe(ws, subs, message.channel);
  }

  private subscribe(ws: WebSocket, subs: Map<string, Subscription>, channel: string): void {
    if (subs.has(channel)) return; // already subscribed: its `subscribed` came or will come
    if (subs.size >= this.maxSubscriptions) {
      return this.send(ws, refusal('ERR_BRIDGE_TOO_MANY_SUBSCRIPTIONS', `at most ${this.maxSubscriptions} subscriptions per socket`, channel));
    }
    const held = listenedChannels(this.conn);
    if (!held.includes(channel) && held.length >= this.maxChannels) {
      return this.send(ws, refusal('ERR_BRIDGE_TOO_MANY_CHANNELS', `the bridge listens to at most ${this.maxChannels} channels`, channel));
    }
    const onListen = (): void => this.send(ws, { type: 'subscribed', channel });
    const sub = this.conn.listen(channel, { onListen }).subscribe({
      next: (n) => this.forward(ws, n),
      error: (error: Error) => {
        subs.delete(channel);
        this.send(ws, refusal('ERR_BRIDGE_LISTEN_FAILED', `the database refused LISTEN: ${error.message}`, channel));
      },
      complete: () => subs.delete(channel),
    });
    if (!sub.closed) subs.set(channel, sub);
  }

  private forward(ws: WebSocket, n: Notification | NotificationGap): void {
    if (n instanceof NotificationGap) {
      this.send(ws, { type: 'gap', channel: n.channel, from: n.from, to: n.to, durationMs: Math.round(n.to - n.from) });
    } else if (n instanceof Notification) {
      this.send(ws, { type: 'notification', channel: n.channel, payload: n.payload, pid: n.pid });
    }
  }

  private closed(ws: WebSocket, subs: Map<string, Subscription>): void {
    for (const sub of subs.values()) sub.unsubscribe();
    subs.clear();
    this.sockets.delete(ws);
  }

  /** Sends one message; a socket that does not read what it is sent is cut. */
  private send(ws: WebSocket, message: ServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.maxBuffered) {
      this.log(`ws-bridge: cutting a socket with ${ws.bufferedAmount} bytes unread`);
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  }
}

/** The port from argv (first argument) or BRIDGE_PORT; default 8080. */
function portFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const text = argv[0] ?? env.BRIDGE_PORT ?? '8080';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${text}`);
  return port;
}

if (require.main === module) {
  const log = (line: string): void => console.log(line);
  startBridge({ port: portFromArgs(process.argv.slice(2), process.env), log }).then((bridge) => {
    log(`ws-bridge: serving ${bridge.url} (database backend pid ${bridge.conn.processId}); Ctrl-C to stop`);
    const stop = (): void => void bridge.close().then(() => log('ws-bridge: stopped'));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, (error: Error) => {
    console.error(`ws-bridge: cannot start: ${error.message}`);
    process.exitCode = 1;
  });
}
