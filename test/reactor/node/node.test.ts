import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeReactor, type NodeListener } from '../../../reactor/node/node';
import type { Endpoint, TransportHandler } from '../../../reactor/interfaces';
import { describeReactorConformance, Recorder, type ConformanceEnv } from '../../../reactor/testing';
import { BLACKHOLE_HOST, blackholeLookup, runUntilReal, waitReal } from '../real-time';
import { startTlsEchoServer, testCertificate } from '../tls-fixture';

function nodeEnv(kind: 'tcp' | 'unix'): ConformanceEnv {
  const reactor = new NodeReactor({ lookup: blackholeLookup });
  const listeners: NodeListener[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'tspg-reactor-'));
  let n = 0;
  const where = (): Endpoint => (kind === 'tcp' ? { kind, host: '127.0.0.1', port: 0 } : { kind, path: join(dir, `s${n++}.sock`) });
  const listen = async (factory: () => TransportHandler): Promise<Endpoint> => {
    const listener = await reactor.listen(where(), factory);
    listeners.push(listener);
    return listener.endpoint;
  };
  return {
    reactor,
    listen,
    refusedEndpoint: async () => {
      const listener = await reactor.listen(where(), () => new Recorder());
      await listener.close();
      return listener.endpoint;
    },
    blackholeEndpoint: async () => ({ kind: 'tcp', host: BLACKHOLE_HOST, port: 5432 }),
    runUntil: runUntilReal,
    wait: waitReal,
    close: async () => {
      await Promise.all([...listeners.map((l) => l.close()), ...cleanups.map((c) => c())]);
      rmSync(dir, { recursive: true, force: true });
    },
    peerSeesReset: kind === 'tcp',
    tlsServer: kind === 'unix' ? undefined : async () => {
      const server = await startTlsEchoServer();
      cleanups.push(server.close);
      return { endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port }, certDer: testCertificate().der };
    },
  };
}

describeReactorConformance('NodeReactor over TCP', async () => nodeEnv('tcp'), { describe, it, expect, beforeEach, afterEach });
describeReactorConformance('NodeReactor over a unix socket', async () => nodeEnv('unix'), { describe, it, expect, beforeEach, afterEach });

describe('NodeReactor', () => {
  let env: ConformanceEnv;
  beforeEach(() => {
    env = nodeEnv('tcp');
  });
  afterEach(() => env.close());

  async function echoOver(reactor: NodeReactor, endpoint: Endpoint): Promise<string> {
    const client = new Recorder();
    reactor.connect(endpoint, client, { timeoutMs: 10_000, keepAliveInitialDelayMs: 10_000 });
    await runUntilReal(() => client.transport !== undefined || client.isLost);
    client.transport?.write(new Uint8Array(Buffer.from('ping')));
    await runUntilReal(() => client.received === 4);
    client.transport?.abort();
    await runUntilReal(() => client.isLost);
    return client.text();
  }

  const echoFactory = (): TransportHandler => new Recorder({ data: (b, r) => r.transport?.write(b) });

  it('connects to an IPv6 literal', async () => {
    const reactor = env.reactor as NodeReactor;
    const listener = await reactor.listen({ kind: 'tcp', host: '::1', port: 0 }, echoFactory);
    try {
      expect(await echoOver(reactor, { kind: 'tcp', host: '::1', port: (listener.endpoint as { port: number }).port })).toBe('ping');
    } finally {
      await listener.close();
    }
  });

  it('connects to a host name resolved by DNS', async () => {
    const reactor = env.reactor as NodeReactor;
    const endpoint = await env.listen(echoFactory);
    expect(await echoOver(reactor, { kind: 'tcp', host: 'localhost', port: (endpoint as { port: number }).port })).toBe('ping');
  });

  it('reports a failed DNS lookup as ERR_CONNECT_FAILED keeping the underlying code', async () => {
    const reactor = new NodeReactor({ lookup: (_host, _opts, cb) => cb(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }), '', 4) });
    const client = new Recorder();
    reactor.connect({ kind: 'tcp', host: 'nowhere.invalid', port: 5432 }, client);
    await runUntilReal(() => client.isLost);
    expect(client.lost).toMatchObject({ code: 'ERR_CONNECT_FAILED', errno: 'ENOTFOUND' });
    expect((client.lost as Error).cause).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('rejects startTls when the server certificate is not trusted, and loses the transport', async () => {
    const tlsEnv = await env.tlsServer?.();
    let failure: unknown;
    const handler = new Recorder({
      data: (_b, r) => void r.transport?.startTls({ servername: 'localhost' }).catch((e: unknown) => { failure = e; }),
    });
    env.reactor.connect(tlsEnv!.endpoint, handler);
    await runUntilReal(() => handler.transport !== undefined);
    handler.transport?.write(new Uint8Array(Buffer.from('SSLREQ')));
    await runUntilReal(() => handler.isLost && failure !== undefined);
    expect(failure).toMatchObject({ code: 'ERR_TLS' });
    expect(handler.lost).toMatchObject({ code: 'ERR_TLS' });
    expect((failure as Error).message).toMatch(/self-signed|self signed/);
  });

  it('accepts a server certificate signed by a CA it is given', async () => {
    const tlsEnv = await env.tlsServer?.();
    let info: unknown;
    const handler = new Recorder({
      data: (_b, r) => void r.transport?.startTls({ servername: 'localhost', ca: testCertificate().cert }).then((i) => { info = i; }),
    });
    env.reactor.connect(tlsEnv!.endpoint, handler);
    await runUntilReal(() => handler.transport !== undefined);
    handler.transport?.write(new Uint8Array(Buffer.from('SSLREQ')));
    await runUntilReal(() => info !== undefined || handler.isLost);
    expect(info).toMatchObject({ peerCertificateHash: 'sha256' });
    // the DER channel binding hashes: the server's certificate, whole
    const der = (info as { peerCertificateDer?: Uint8Array }).peerCertificateDer;
    expect(der).toBeInstanceOf(Uint8Array);
    expect(new X509Certificate(Buffer.from(der!)).subject).toMatch(/localhost/);
    handler.transport?.abort();
    await runUntilReal(() => handler.isLost);
  });

  it('reports exceptions thrown by timer callbacks to onError and keeps running later calls', async () => {
    const errors: unknown[] = [];
    const reactor = new NodeReactor({ onError: (e) => errors.push(e) });
    const order: string[] = [];
    const boom = new Error('timer bug');
    reactor.callLater(1, () => { throw boom; });
    reactor.callLater(1, () => order.push('after'));
    reactor.callSoon(() => { throw boom; });
    reactor.callSoon(() => order.push('soon after'));
    await runUntilReal(() => order.length === 2);
    expect(order).toEqual(['soon after', 'after']);
    expect(errors).toEqual([boom, boom]);
  });

  it('yields to the event loop after many consecutive callSoon hops, so I/O is not starved', async () => {
    const reactor = new NodeReactor();
    let hops = 0;
    let immediateRanAt = -1;
    setImmediate(() => { immediateRanAt = hops; });
    const hop = (): void => {
      hops++;
      if (hops < 5000) reactor.callSoon(hop);
    };
    reactor.callSoon(hop);
    await runUntilReal(() => hops === 5000);
    expect(immediateRanAt).toBeGreaterThan(0);
    expect(immediateRanAt).toBeLessThan(5000);
  });
});
