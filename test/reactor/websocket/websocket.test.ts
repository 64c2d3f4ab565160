import * as net from 'node:net';
import { NodeReactor, type NodeListener } from '../../../reactor/node/node';
import { WebSocketReactor, relayQuery } from '../../../reactor/websocket/websocket';
import { startWsProxy, type WsProxy } from '../../../reactor/websocket/proxy';
import type { Endpoint, TransportHandler } from '../../../reactor/interfaces';
import { describeReactorConformance, Recorder, type ConformanceEnv } from '../../../reactor/testing';
import { BLACKHOLE_HOST, runUntilReal, waitReal } from '../real-time';
import { startTlsEchoServer, testCertificate } from '../tls-fixture';

/** A TCP server that accepts connections and never answers the WebSocket upgrade. */
function startSilentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => sockets.add(s.on('error', () => {})));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  })));
}

async function websocketEnv(): Promise<ConformanceEnv & { relayUrl: (e: Endpoint) => string }> {
  const servers = new NodeReactor();
  const allowed = new Set<number>();
  const proxy: WsProxy = await startWsProxy({ port: 0, allow: (host, port) => host === '127.0.0.1' && allowed.has(port) });
  const silent = await startSilentServer();
  const listeners: NodeListener[] = [];
  const cleanups: Array<() => Promise<void>> = [proxy.close, silent.close];
  const relayUrl = (e: Endpoint): string => `ws://127.0.0.1:${proxy.port}/${relayQuery(e)}`;
  const reactor = new WebSocketReactor({
    url: (e) => (e.kind === 'tcp' && e.host === BLACKHOLE_HOST ? `ws://127.0.0.1:${silent.port}/` : relayUrl(e)),
  });
  const allow = (endpoint: Endpoint): Endpoint => {
    if (endpoint.kind === 'tcp') allowed.add(endpoint.port);
    return endpoint;
  };
  return {
    reactor,
    relayUrl,
    listen: async (factory: () => TransportHandler) => {
      const listener = await servers.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 }, factory);
      listeners.push(listener);
      return allow(listener.endpoint);
    },
    refusedEndpoint: async () => {
      const listener = await servers.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 }, () => new Recorder());
      await listener.close();
      return allow(listener.endpoint);
    },
    blackholeEndpoint: async () => ({ kind: 'tcp', host: BLACKHOLE_HOST, port: 5432 }),
    runUntil: runUntilReal,
    wait: waitReal,
    close: async () => {
      await Promise.all([...listeners.map((l) => l.close()), ...cleanups.map((c) => c())]);
    },
    tlsServer: async () => {
      const server = await startTlsEchoServer();
      cleanups.push(server.close);
      return { endpoint: allow({ kind: 'tcp', host: '127.0.0.1', port: server.port }), certDer: testCertificate().der };
    },
  };
}

describeReactorConformance('WebSocketReactor through the ws relay', websocketEnv, { describe, it, expect, beforeEach, afterEach });

describe('WebSocketReactor', () => {
  let env: Awaited<ReturnType<typeof websocketEnv>>;
  beforeEach(async () => {
    env = await websocketEnv();
  });
  afterEach(() => env.close());

  it('reports a target the relay does not allow as ERR_RELAY_FORBIDDEN, never connecting', async () => {
    const client = new Recorder();
    env.reactor.connect({ kind: 'tcp', host: '127.0.0.1', port: 1 }, client);
    await runUntilReal(() => client.isLost);
    expect(client.events).toEqual(['lost']);
    expect(client.lost).toMatchObject({ code: 'ERR_RELAY_FORBIDDEN' });
  });

  it('reports an unreachable relay as ECONNREFUSED', async () => {
    const reactor = new WebSocketReactor({ url: () => 'ws://127.0.0.1:1/' });
    const client = new Recorder();
    reactor.connect({ kind: 'tcp', host: 'db', port: 5432 }, client);
    await runUntilReal(() => client.isLost);
    expect(client.lost).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('works with an injected WebSocket constructor that delivers ArrayBuffers', async () => {
    const WsImpl = require('ws') as new (url: string) => { binaryType: string };
    const seen: string[] = [];
    class BrowserLike extends (WsImpl as unknown as new (url: string) => object) {
      constructor(url: string) {
        super(url);
        seen.push(url);
      }
    }
    const endpoint = await env.listen(() => new Recorder({ data: (b, r) => r.transport?.write(b) }));
    const reactor = new WebSocketReactor({ url: env.relayUrl, WebSocket: BrowserLike as never, time: env.reactor });
    const client = new Recorder();
    reactor.connect(endpoint, client, { timeoutMs: 10_000 });
    await runUntilReal(() => client.transport !== undefined || client.isLost);
    client.transport?.write(Uint8Array.of(1, 2, 3));
    await runUntilReal(() => client.received === 3);
    expect(client.chunks).toEqual([Uint8Array.of(1, 2, 3)]);
    expect((client.transport as unknown as { ws: { binaryType: string } }).ws.binaryType).toBe('arraybuffer');
    expect(seen).toHaveLength(1);
    client.transport?.abort();
    await runUntilReal(() => client.isLost);
  });

  it('rejects relay queries for unix endpoints', () => {
    expect(() => relayQuery({ kind: 'unix', path: '/tmp/.s.PGSQL.5432' })).toThrow(TypeError);
  });
});
