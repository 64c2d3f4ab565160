/**
 * startTls with TLS options node:tls refuses synchronously (a client key that
 * is not a key, a key that does not match the certificate): the transport
 * must not throw, nor go silent. `startTls` returns a rejected promise
 * (`TlsError`, `ERR_TLS`) and the transport is lost with that error, so
 * whoever waits on the connection hears of it. Before the fix, NodeTransport
 * threw after detaching the plain socket's listeners and never reported the
 * loss, and a later abort (a connect timeout) found a reason already set and
 * did nothing: the connection hung for ever.
 */
import { NodeReactor } from '../../reactor/node/node';
import type { Endpoint, Reactor, TlsOptions } from '../../reactor/interfaces';
import { WebSocketReactor, relayQuery } from '../../reactor/websocket/websocket';
import { startWsProxy, type WsProxy } from '../../reactor/websocket/proxy';
import { Recorder } from '../../reactor/testing';
import { runUntilReal } from './real-time';
import { startTlsEchoServer, testCertificate } from './tls-fixture';

const SECRET = 'not-a-key-s3cr3t';

/** What one startTls call did: whether it threw, how its promise settled, and the transport's loss. */
async function startTlsWith(reactor: Reactor, endpoint: Endpoint, options: TlsOptions) {
  let thrown: unknown;
  let rejected: unknown;
  let resolved = false;
  const handler = new Recorder({
    data: (_b, r) => {
      try {
        r.transport!.startTls(options).then(() => { resolved = true; }, (e: unknown) => { rejected = e; });
      } catch (e) {
        thrown = e;
      }
    },
  });
  reactor.connect(endpoint, handler, { timeoutMs: 10_000 });
  await runUntilReal(() => handler.transport !== undefined || handler.isLost);
  handler.transport!.write(new Uint8Array(Buffer.from('SSLREQ')));
  // A later abort (what a connect timeout does) must still end the transport.
  await runUntilReal(() => thrown !== undefined || rejected !== undefined || resolved || handler.isLost);
  handler.transport!.abort(new Error('the caller gave up'));
  await runUntilReal(() => handler.isLost);
  return { thrown, rejected, resolved, lost: handler.lost };
}

const cases: Array<[string, () => TlsOptions]> = [
  ['a key that is not a key', () => ({ rejectUnauthorized: false, cert: testCertificate().cert, key: `${SECRET}\n` })],
  ['a PEM block that is not a valid key', () => ({
    rejectUnauthorized: false, cert: testCertificate().cert, key: `-----BEGIN PRIVATE KEY-----\n${Buffer.from(SECRET).toString('base64')}\n-----END PRIVATE KEY-----\n`,
  })],
];

describe.each([
  ['NodeReactor', async () => {
    const server = await startTlsEchoServer();
    return { reactor: new NodeReactor() as Reactor, endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port } as Endpoint, close: server.close };
  }],
  ['WebSocketReactor', async () => {
    const server = await startTlsEchoServer();
    const proxy: WsProxy = await startWsProxy({ port: 0, allow: (host, port) => host === '127.0.0.1' && port === server.port });
    const reactor = new WebSocketReactor({ url: (e) => `ws://127.0.0.1:${proxy.port}/${relayQuery(e)}` });
    return {
      reactor: reactor as Reactor,
      endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port } as Endpoint,
      close: async () => { await proxy.close(); await server.close(); },
    };
  }],
] as const)('%s: startTls with TLS options node:tls refuses at once', (_name, setup) => {
  let env: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => { env = await setup(); });
  afterEach(() => env.close());

  it.each(cases)('%s: rejects with ERR_TLS (never throws), loses the transport with that error, never showing the key', async (_c, options) => {
    const r = await startTlsWith(env.reactor, env.endpoint, options());
    expect(r.thrown).toBeUndefined();
    expect(r.resolved).toBe(false);
    expect(r.rejected).toMatchObject({ name: 'TlsError', code: 'ERR_TLS' });
    expect(r.lost).toBe(r.rejected);
    expect((r.rejected as Error).message).not.toContain(SECRET);
    expect((r.rejected as Error).message).not.toContain(Buffer.from(SECRET).toString('base64'));
  });
});
