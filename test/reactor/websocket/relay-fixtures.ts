/**
 * Fixtures for the ws relay's tests: TCP targets that count, stall or
 * flood, a raw WebSocket client that records what the relay answered
 * (messages, close code, or the HTTP status of a refused handshake), and a
 * logger that keeps the relay's refusals.
 */
import * as net from 'node:net';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { startWsProxy, type RelayRefusal, type WsProxy, type WsProxyOptions } from '../../../reactor/websocket/proxy';
import { runUntilReal } from '../real-time';

/** A TCP target under test. */
export interface TestTarget {
  port: number;
  /** Connections accepted so far. */
  count(): number;
  /** The server-side sockets, newest last. */
  sockets: net.Socket[];
  close(): Promise<void>;
}

function startTarget(onSocket: (s: net.Socket) => void): Promise<TestTarget> {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    count: () => sockets.length,
    sockets,
    close: () => new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  })));
}

/** A target that answers 'hi' and closes its side. */
export function startCountingServer(): Promise<TestTarget> {
  return startTarget((s) => s.end('hi'));
}

/** A target that accepts and stays open, saying nothing. */
export function startQuietServer(): Promise<TestTarget> {
  return startTarget(() => {});
}

/** A target that never reads what it is sent. */
export function startNonReadingServer(): Promise<TestTarget> {
  return startTarget((s) => s.pause());
}

/**
 * A target that writes 64 KiB chunks, never waiting for the client, until
 * `stopAt` bytes sit unsent in its socket (a client that stops reading makes
 * that happen); `unsent()` tells how many do now.
 */
export async function startFloodingServer(stopAt: number): Promise<TestTarget & { unsent(): number; written(): number }> {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const target = await startTarget((s) => {
    const pump = (): void => {
      if (s.destroyed || s.writableLength >= stopAt) return;
      s.write(chunk);
      written += chunk.length;
      setImmediate(pump);
    };
    pump();
  });
  return { ...target, unsent: () => target.sockets.at(-1)?.writableLength ?? 0, written: () => written };
}

/** What a raw client saw from the relay. */
export interface RawClient {
  ws: WebSocket;
  messages: Array<string | Buffer>;
  /** Whether the WebSocket opened (the handshake was accepted). */
  opened(): boolean;
  /** The close code and reason, once closed. */
  closed(): { code: number; reason: string } | undefined;
  /** The HTTP status of a refused handshake. */
  status(): number | undefined;
  /** The subprotocol the relay selected. */
  protocol(): string;
}

/** Opens a raw WebSocket (no Origin unless `options.origin`) and records what happens. */
export function openRaw(url: string, options: ClientOptions & { protocols?: string[] } = {}): RawClient {
  const { protocols, ...rest } = options;
  const ws = new WebSocket(url, protocols ?? [], { perMessageDeflate: false, ...rest });
  const messages: Array<string | Buffer> = [];
  let closed: { code: number; reason: string } | undefined;
  let status: number | undefined;
  let opened = false;
  ws.on('open', () => { opened = true; });
  ws.on('message', (data: Buffer, isBinary: boolean) => messages.push(isBinary ? data : data.toString()));
  ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; });
  ws.on('unexpected-response', (_request, response) => {
    status = response.statusCode;
    response.resume();
    ws.terminate();
  });
  ws.on('error', () => {});
  return { ws, messages, opened: () => opened, closed: () => closed, status: () => status, protocol: () => ws.protocol };
}

/** Waits until a raw client has opened, been refused, or closed. */
export async function settled(client: RawClient): Promise<RawClient> {
  await runUntilReal(() => client.messages.length > 0 || client.status() !== undefined || client.closed() !== undefined);
  return client;
}

/** A logger that keeps the refusals. */
export function refusalLog(): { logger: (r: RelayRefusal) => void; refusals: RelayRefusal[]; codes(): string[] } {
  const refusals: RelayRefusal[] = [];
  return { logger: (r) => refusals.push(r), refusals, codes: () => refusals.map((r) => r.code) };
}

/** The relay URL for a target on 127.0.0.1. */
export function relayUrl(proxyPort: number, targetPort: number, scheme = 'ws', host = '127.0.0.1'): string {
  return `${scheme}://${host}:${proxyPort}/?host=127.0.0.1&port=${targetPort}`;
}

/** A counting target, a refusal log and at most one relay per test; see {@link useRelayWorld}. */
export interface RelayWorld {
  /** This test's target; assign another (after closing this one) to relay to it instead. */
  target: TestTarget;
  readonly log: ReturnType<typeof refusalLog>;
  /** The relay of this test, once {@link RelayWorld.start} ran. */
  readonly proxy: WsProxy | undefined;
  /** Starts this test's relay on a free port, allowing the target and logging refusals; `options` override. */
  start(options?: Partial<WsProxyOptions>): Promise<WsProxy>;
}

/**
 * Registers beforeEach/afterEach (in the calling describe) that start a
 * counting target and a refusal log before each test and close the relay
 * and the target after it.
 */
export function useRelayWorld(): RelayWorld {
  let target: TestTarget | undefined;
  let log = refusalLog();
  let proxy: WsProxy | undefined;
  beforeEach(async () => {
    target = await startCountingServer();
    log = refusalLog();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await target?.close();
  });
  return {
    get target() {
      return target!;
    },
    set target(next: TestTarget) {
      target = next;
    },
    get log() {
      return log;
    },
    get proxy() {
      return proxy;
    },
    async start(options = {}) {
      proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: target!.port }], logger: log.logger, ...options });
      return proxy;
    },
  };
}
