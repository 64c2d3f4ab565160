import { isAllowed, startWsProxy, type WsProxy } from '../../../reactor/websocket/proxy';
import { CloseCode, MSG_CONNECTED, MSG_EOF } from '../../../reactor/websocket/protocol';
import { runUntilReal } from '../real-time';
import * as http from 'node:http';
import { RelayConfigError } from '../../../reactor/websocket/proxy';
import { openRaw, refusalLog, startCountingServer, type TestTarget } from './relay-fixtures';

describe('startWsProxy', () => {
  let target: TestTarget;
  let other: TestTarget;
  let proxy: WsProxy;
  let log: ReturnType<typeof refusalLog>;
  beforeEach(async () => {
    target = await startCountingServer();
    other = await startCountingServer();
    log = refusalLog();
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: target.port }], logger: log.logger });
  });
  afterEach(async () => {
    await proxy.close();
    await target.close();
    await other.close();
  });

  it('refuses a target off its allowlist with close code 1008 and never connects to it', async () => {
    const raw = openRaw(`ws://127.0.0.1:${proxy.port}/?host=127.0.0.1&port=${other.port}`);
    await runUntilReal(() => raw.closed() !== undefined);
    expect(raw.closed()).toEqual({ code: CloseCode.policy, reason: 'target not allowed' });
    expect(raw.messages).toEqual([]);
    expect(other.count()).toBe(0);
    expect(log.refusals).toEqual([expect.objectContaining({ code: 'ERR_RELAY_TARGET', status: CloseCode.policy, remoteAddress: '127.0.0.1' })]);
    expect(JSON.stringify(log.refusals)).not.toContain(String(other.port));
  });

  it('refuses a URL without a valid host and port', async () => {
    const raw = openRaw(`ws://127.0.0.1:${proxy.port}/?host=127.0.0.1&port=99999`);
    await runUntilReal(() => raw.closed() !== undefined);
    expect(raw.closed()?.code).toBe(CloseCode.policy);
  });

  it('does not treat another spelling of an allowed host as allowed', async () => {
    const raw = openRaw(`ws://127.0.0.1:${proxy.port}/?host=localhost&port=${target.port}`);
    await runUntilReal(() => raw.closed() !== undefined);
    expect(raw.closed()?.code).toBe(CloseCode.policy);
    expect(target.count()).toBe(0);
  });

  it('relays an allowed target: connected, the bytes, eof, then a normal close', async () => {
    const raw = openRaw(`ws://127.0.0.1:${proxy.port}/?host=127.0.0.1&port=${target.port}`);
    await runUntilReal(() => raw.messages.includes(MSG_EOF));
    raw.ws.send(MSG_EOF);
    await runUntilReal(() => raw.closed() !== undefined);
    expect(raw.messages).toEqual([MSG_CONNECTED, Buffer.from('hi'), MSG_EOF]);
    expect(raw.closed()?.code).toBe(CloseCode.normal);
    expect(target.count()).toBe(1);
  });

  it('matches allowlist entries by exact port and case-insensitive host, or by predicate', () => {
    const list = [{ host: 'DB.internal', port: 5432 }];
    expect(isAllowed(list, 'db.internal', 5432)).toBe(true);
    expect(isAllowed(list, 'db.internal', 5433)).toBe(false);
    expect(isAllowed(list, 'db.internal.evil', 5432)).toBe(false);
    expect(isAllowed((h, p) => h === 'x' && p === 1, 'x', 1)).toBe(true);
    expect(isAllowed([], 'x', 1)).toBe(false);
  });

  it('answers a request that is not a WebSocket upgrade with 426', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http.get(`http://127.0.0.1:${proxy.port}/?host=127.0.0.1&port=${target.port}`, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(426);
    expect(log.codes()).toEqual(['ERR_RELAY_NOT_WEBSOCKET']);
    expect(target.count()).toBe(0);
  });

  it('reports its connections, sessions and buffered bytes', async () => {
    expect(proxy.stats()).toEqual({ connections: 0, sessions: 0, bufferedBytes: 0, peakSessionBufferedBytes: 0 });
    const raw = openRaw(`ws://127.0.0.1:${proxy.port}/?host=127.0.0.1&port=${target.port}`);
    await runUntilReal(() => raw.messages.includes(MSG_EOF));
    expect(proxy.stats()).toMatchObject({ connections: 1, sessions: 1 });
    raw.ws.send(MSG_EOF);
    await runUntilReal(() => proxy.stats().connections === 0);
    expect(proxy.stats()).toMatchObject({ sessions: 0, bufferedBytes: 0 });
  });
});

describe('startWsProxy options', () => {
  it('rejects bad options with ERR_RELAY_CONFIG before listening', async () => {
    const cases: Array<Parameters<typeof startWsProxy>[0]> = [
      { port: 0, allow: undefined as never },
      { port: 0, allow: [], tls: { key: 'k' } },
      { port: 0, allow: [], maxConnections: 0 },
      { port: 0, allow: [], maxConnectionsPerAddress: 1.5 },
      { port: 0, allow: [], handshakeTimeoutMs: -1 },
      { port: 0, allow: [], idleTimeoutMs: -1 },
      { port: 0, allow: [], maxMessageBytes: Number.NaN },
      { port: 0, allow: [], hosts: ['relay.example:443'] },
      { port: 0, allow: [], origins: ['relay.example'] },
    ];
    for (const options of cases) {
      await expect(startWsProxy(options)).rejects.toBeInstanceOf(RelayConfigError);
      await expect(startWsProxy(options)).rejects.toMatchObject({ code: 'ERR_RELAY_CONFIG' });
    }
  });
});
