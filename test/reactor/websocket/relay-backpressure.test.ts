/**
 * The relay's memory, measured in bytes: what a session holds in its TCP
 * and WebSocket write buffers (`WsProxy.stats()`) must stay bounded when
 * one side stops reading, and the side that keeps writing must be the one
 * left holding its bytes. A message over `maxMessageBytes` is refused
 * (1009) instead of being buffered whole. The end of each scenario is a
 * byte count (the stalled side's own buffer), never a duration.
 */
import { NodeReactor, type NodeListener } from '../../../reactor/node/node';
import { WebSocketReactor, relayQuery } from '../../../reactor/websocket/websocket';
import { startWsProxy, type WsProxy } from '../../../reactor/websocket/proxy';
import { CloseCode, MAX_MESSAGE_BYTES, MSG_CONNECTED } from '../../../reactor/websocket/protocol';
import { Recorder } from '../../../reactor/testing';
import { runUntilReal } from '../real-time';
import {
  openRaw, refusalLog, relayUrl, settled, startFloodingServer, startNonReadingServer, type RawClient, type TestTarget,
} from './relay-fixtures';

const KiB = 1024, MiB = 1024 * KiB;

let proxy: WsProxy | undefined;
let target: TestTarget | undefined;
let client: RawClient | undefined;
let log: ReturnType<typeof refusalLog>;

beforeEach(() => { log = refusalLog(); });
afterEach(async () => {
  client?.ws.terminate();
  client = undefined;
  await proxy?.close();
  proxy = undefined;
  await target?.close();
  target = undefined;
});

/**
 * Sends `chunk` once per event-loop turn while the client's own buffer is
 * under `holdAt` bytes; resolves with the bytes sent. Fails once `giveUpAt`
 * bytes went out without the relay pushing back.
 */
async function sendUntilHeld(ws: RawClient['ws'], chunk: Buffer, holdAt: number, giveUpAt = 256 * MiB): Promise<number> {
  let sent = 0;
  while (ws.bufferedAmount < holdAt) {
    if (ws.readyState !== ws.OPEN) throw new Error(`the relay closed the session after ${sent} bytes`);
    if (sent >= giveUpAt) throw new Error(`the relay took ${sent} bytes without pushing back`);
    ws.send(chunk);
    sent += chunk.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

describe('toward a target that does not read', () => {
  it('refuses a message over maxMessageBytes with 1009 instead of buffering it', async () => {
    const stalled = target = await startNonReadingServer();
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: stalled.port }], logger: log.logger });
    const raw = client = await settled(openRaw(relayUrl(proxy.port, stalled.port)));
    expect(raw.messages).toEqual([MSG_CONNECTED]);
    raw.ws.send(Buffer.alloc(8 * MiB, 0x62));
    await runUntilReal(() => raw.closed() !== undefined);
    expect(raw.closed()?.code).toBe(CloseCode.tooBig);
    expect(log.codes()).toEqual(['ERR_RELAY_MESSAGE_TOO_BIG']);
    expect(proxy.stats().peakSessionBufferedBytes).toBeLessThanOrEqual(256 * KiB);
  });

  it('holds at most a few messages while the client is made to hold 16 MiB', async () => {
    const stalled = target = await startNonReadingServer();
    const maxMessageBytes = 256 * KiB;
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: stalled.port }], maxMessageBytes, logger: log.logger });
    const raw = client = await settled(openRaw(relayUrl(proxy.port, stalled.port)));
    const sent = await sendUntilHeld(raw.ws, Buffer.alloc(maxMessageBytes, 0x63), 16 * MiB);
    const stats = proxy.stats();
    expect(sent).toBeGreaterThan(16 * MiB);
    expect(stats.sessions).toBe(1);
    expect(stats.peakSessionBufferedBytes).toBeGreaterThan(0);
    expect(stats.peakSessionBufferedBytes).toBeLessThanOrEqual(2 * maxMessageBytes + 128 * KiB);
    expect(raw.closed()).toBeUndefined();
    expect(log.refusals).toEqual([]);
  });
});

describe('toward a client that does not read', () => {
  it('stops reading the target, so the target holds its bytes, and delivers them all once the client reads', async () => {
    const flood = await startFloodingServer(4 * MiB);
    target = flood;
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: flood.port }] });
    const raw = client = openRaw(relayUrl(proxy.port, flood.port));
    let received = 0;
    raw.ws.on('message', (data: Buffer, isBinary: boolean) => { if (isBinary) received += data.length; });
    raw.ws.once('open', () => raw.ws.pause());
    await runUntilReal(() => flood.unsent() >= 4 * MiB);
    expect(proxy.stats().peakSessionBufferedBytes).toBeLessThanOrEqual(512 * KiB);
    raw.ws.resume();
    await runUntilReal(() => received === flood.written() && flood.unsent() === 0);
    expect(received).toBeGreaterThan(4 * MiB);
  });
});

describe('WebSocketReactor writes', () => {
  let servers: NodeListener | undefined;
  afterEach(() => servers?.close());

  it('are split into messages of at most MAX_MESSAGE_BYTES, so a relay accepting no more relays a 1 MiB write', async () => {
    servers = await new NodeReactor().listen({ kind: 'tcp', host: '127.0.0.1', port: 0 }, () => new Recorder({ data: (b, r) => r.transport?.write(b) }));
    const endpoint = servers.endpoint;
    if (endpoint.kind !== 'tcp') throw new Error('tcp listener expected');
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: endpoint.port }], maxMessageBytes: MAX_MESSAGE_BYTES, logger: log.logger });
    const port = proxy.port;
    const reactor = new WebSocketReactor({ url: (e) => `ws://127.0.0.1:${port}/${relayQuery(e)}` });
    const recorder = new Recorder();
    reactor.connect(endpoint, recorder);
    await runUntilReal(() => recorder.transport !== undefined || recorder.isLost);
    const payload = new Uint8Array(MiB).map((_, i) => i % 251);
    recorder.transport!.write(payload);
    await runUntilReal(() => recorder.received === payload.length || recorder.isLost);
    expect(recorder.lost).toBeUndefined();
    expect(Buffer.concat(recorder.chunks).equals(Buffer.from(payload))).toBe(true);
    expect(log.refusals).toEqual([]);
    recorder.transport!.abort();
    await runUntilReal(() => recorder.isLost);
  });
});
