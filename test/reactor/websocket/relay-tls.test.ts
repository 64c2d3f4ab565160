/**
 * The relay terminating TLS (`wss://`) with a throwaway certificate
 * (test/reactor/tls-fixture.ts, CN=localhost): a client that trusts the
 * certificate is relayed, one that does not, or that speaks plain `ws://`,
 * never gets a WebSocket; limits and the handshake timeout still hold.
 */
import * as net from 'node:net';
import WebSocket from 'ws';
import { NodeReactor, type NodeListener } from '../../../reactor/node/node';
import { WebSocketReactor, relayQuery } from '../../../reactor/websocket/websocket';
import type { WsProxy, WsProxyOptions } from '../../../reactor/websocket/proxy';
import { MSG_CONNECTED } from '../../../reactor/websocket/protocol';
import { Recorder } from '../../../reactor/testing';
import { runUntilReal } from '../real-time';
import { testCertificate } from '../tls-fixture';
import { openRaw, relayUrl, settled, startQuietServer, useRelayWorld } from './relay-fixtures';

const world = useRelayWorld();

async function tlsRelay(options: Partial<WsProxyOptions> = {}): Promise<WsProxy> {
  const { key, cert } = testCertificate();
  return world.start({ tls: { key, cert }, ...options });
}

const wssUrl = (): string => relayUrl(world.proxy!.port, world.target.port, 'wss', 'localhost');

describe('wss:// relay', () => {
  it('relays a client that trusts its certificate', async () => {
    await tlsRelay();
    const client = await settled(openRaw(wssUrl(), { ca: testCertificate().cert }));
    await runUntilReal(() => client.messages.length === 3);
    expect(client.messages).toEqual([MSG_CONNECTED, Buffer.from('hi'), 'eof']);
    client.ws.terminate();
    expect(world.log.refusals).toEqual([]);
  });

  it('is not a WebSocket to a client that does not trust the certificate, nor to plain ws://', async () => {
    await tlsRelay();
    const untrusting = await settled(openRaw(wssUrl()));
    expect(untrusting.opened()).toBe(false);
    const plain = await settled(openRaw(relayUrl(world.proxy!.port, world.target.port)));
    expect(plain.opened()).toBe(false);
    expect(world.target.count()).toBe(0);
    // The untrusting client hangs up after a handshake the relay saw succeed; the plain one fails TLS itself.
    await runUntilReal(() => world.log.refusals.length > 0);
    expect(world.log.codes()).toEqual(['ERR_RELAY_TLS']);
  });

  it('carries the WebSocketReactor end to end', async () => {
    const listener: NodeListener = await new NodeReactor().listen({ kind: 'tcp', host: '127.0.0.1', port: 0 }, () => new Recorder({ data: (b, r) => r.transport?.write(b) }));
    try {
      const endpoint = listener.endpoint;
      if (endpoint.kind !== 'tcp') throw new Error('tcp listener expected');
      await tlsRelay({ allow: [{ host: '127.0.0.1', port: endpoint.port }] });
      const ca = testCertificate().cert;
      class TrustingWebSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { ca, perMessageDeflate: false });
        }
      }
      const port = world.proxy!.port;
      const reactor = new WebSocketReactor({ url: (e) => `wss://localhost:${port}/${relayQuery(e)}`, WebSocket: TrustingWebSocket });
      const client = new Recorder();
      reactor.connect(endpoint, client);
      await runUntilReal(() => client.transport !== undefined || client.isLost);
      client.transport!.write(new Uint8Array(Buffer.from('over wss')));
      await runUntilReal(() => client.received === 8 || client.isLost);
      expect(client.text()).toBe('over wss');
      client.transport!.abort();
      await runUntilReal(() => client.isLost);
    } finally {
      await listener.close();
    }
  });

  it('keeps its limits and handshake timeout', async () => {
    await world.target.close();
    world.target = await startQuietServer();
    await tlsRelay({ maxConnections: 1, handshakeTimeoutMs: 200 });
    const held = await settled(openRaw(wssUrl(), { ca: testCertificate().cert }));
    expect(held.messages).toEqual([MSG_CONNECTED]);
    const refused = await settled(openRaw(wssUrl(), { ca: testCertificate().cert }));
    expect(refused.opened()).toBe(false);
    held.ws.terminate();
    await runUntilReal(() => world.proxy!.stats().connections === 0);
    let closed = false;
    const silent = net.connect({ host: '127.0.0.1', port: world.proxy!.port }).on('error', () => {}).on('close', () => { closed = true; });
    await runUntilReal(() => closed);
    silent.destroy();
    expect(world.log.codes()).toEqual(['ERR_RELAY_CAPACITY', 'ERR_RELAY_HANDSHAKE_TIMEOUT']);
  });
});
