import { isAllowed, startWsProxy, type WsProxy } from '../../../reactor/websocket/proxy';
import { CloseCode, MSG_CONNECTED, MSG_EOF } from '../../../reactor/websocket/protocol';
import { runUntilReal } from '../real-time';
import { openRaw, startCountingServer, type TestTarget } from './relay-fixtures';

describe('startWsProxy', () => {
  let target: TestTarget;
  let other: TestTarget;
  let proxy: WsProxy;
  beforeEach(async () => {
    target = await startCountingServer();
    other = await startCountingServer();
    proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: target.port }] });
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
});
