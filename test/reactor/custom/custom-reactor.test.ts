/**
 * The reactor of examples/custom-reactor.ts (a NodeReactor wrapper that
 * batches the writes of each turn) passes the shipped conformance suite,
 * run through the public entry (`tspostgres/reactor/testing`) as a user would.
 * Servers are plain NodeReactor listeners; the client side is the reactor under test.
 */
import { NodeReactor, type NodeListener } from '../../../reactor/node/node';
import type { Endpoint, TransportHandler } from '../../../reactor/interfaces';
import { describeReactorConformance, Recorder, realTimeDrivers, runUntilReal, type ConformanceEnv } from '../../../reactor/testing';
import { BatchingReactor } from '../../../examples/custom-reactor';
import { BLACKHOLE_HOST, blackholeLookup } from '../real-time';
import { startTlsEchoServer, testCertificate } from '../tls-fixture';

function batchingEnv(): ConformanceEnv & { reactor: BatchingReactor } {
  const servers = new NodeReactor();
  const reactor = new BatchingReactor(new NodeReactor({ lookup: blackholeLookup }));
  const listeners: NodeListener[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const here: Endpoint = { kind: 'tcp', host: '127.0.0.1', port: 0 };
  return {
    reactor,
    ...realTimeDrivers,
    listen: async (factory: () => TransportHandler) => {
      const listener = await servers.listen(here, factory);
      listeners.push(listener);
      return listener.endpoint;
    },
    refusedEndpoint: async () => {
      const listener = await servers.listen(here, () => new Recorder());
      await listener.close();
      return listener.endpoint;
    },
    blackholeEndpoint: async () => ({ kind: 'tcp', host: BLACKHOLE_HOST, port: 5432 }),
    close: async () => {
      await Promise.all([...listeners.map((l) => l.close()), ...cleanups.map((c) => c())]);
    },
    tlsServer: async () => {
      const server = await startTlsEchoServer();
      cleanups.push(server.close);
      return { endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port }, certDer: testCertificate().der };
    },
  };
}

describeReactorConformance('BatchingReactor (examples/custom-reactor.ts)', async () => batchingEnv(), { describe, it, expect, beforeEach, afterEach });

describe('BatchingReactor', () => {
  let env: ReturnType<typeof batchingEnv>;
  beforeEach(() => {
    env = batchingEnv();
  });
  afterEach(() => env.close());

  it('sends the writes of one turn as one write, in order', async () => {
    const endpoint = await env.listen(() => new Recorder({ data: (b, r) => r.transport?.write(b) }));
    const client = new Recorder();
    env.reactor.connect(endpoint, client);
    await runUntilReal(() => client.transport !== undefined || client.isLost);
    const before = { ...env.reactor.stats };
    for (const part of ['a', 'b', 'c', 'd']) client.transport?.write(new Uint8Array(Buffer.from(part)));
    expect(client.transport?.bufferedAmount).toBe(4);
    await runUntilReal(() => client.received === 4);
    expect(client.text()).toBe('abcd');
    expect(env.reactor.stats.writesIn - before.writesIn).toBe(4);
    expect(env.reactor.stats.writesOut - before.writesOut).toBe(1);
    client.transport?.abort();
    await runUntilReal(() => client.isLost);
  });
});
