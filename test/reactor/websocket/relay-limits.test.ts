/**
 * The relay's limits on a real relay: connections per client address and in
 * total (counted from TCP accept, handshake or not), the handshake timeout
 * (sockets that never become WebSockets), and the idle timeout of sessions.
 * Timeouts are short and nothing asserts how long anything took: the tests
 * wait for the relay to act and check what it did, and ordering shows that
 * an upgraded session's handshake timer was stopped.
 */
import * as net from 'node:net';
import { startWsProxy, type WsProxy, type WsProxyOptions } from '../../../reactor/websocket/proxy';
import { CloseCode, MSG_CONNECTED } from '../../../reactor/websocket/protocol';
import { addressKey, ConnectionLimiter } from '../../../reactor/websocket/relay-limits';
import { runUntilReal } from '../real-time';
import { openRaw, refusalLog, relayUrl, settled, startQuietServer, type RawClient, type TestTarget } from './relay-fixtures';

let target: TestTarget;
let proxy: WsProxy | undefined;
let log: ReturnType<typeof refusalLog>;
const clients: RawClient[] = [];
const sockets: net.Socket[] = [];

beforeEach(async () => {
  target = await startQuietServer();
  log = refusalLog();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  proxy = undefined;
  await target.close();
});

async function relay(options: Partial<WsProxyOptions>): Promise<WsProxy> {
  proxy = await startWsProxy({ port: 0, allow: [{ host: '127.0.0.1', port: target.port }], logger: log.logger, ...options });
  return proxy;
}

async function session(localAddress = '127.0.0.1'): Promise<RawClient> {
  const client = await settled(openRaw(relayUrl(proxy!.port, target.port), { localAddress }));
  clients.push(client);
  return client;
}

/** A raw TCP connection to the relay that sends `bytes` (maybe nothing) and waits. */
async function rawSocket(bytes = ''): Promise<{ socket: net.Socket; closed: () => boolean }> {
  let closed = false;
  const socket = net.connect({ host: '127.0.0.1', port: proxy!.port });
  socket.on('error', () => {}).on('close', () => { closed = true; });
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  if (bytes) socket.write(bytes);
  return { socket, closed: () => closed };
}

describe('connection limits', () => {
  it('refuses a client address over its limit with 429, then the relay over its total with 503', async () => {
    await relay({ maxConnectionsPerAddress: 2, maxConnections: 3 });
    expect((await session()).messages).toEqual([MSG_CONNECTED]);
    expect((await session()).messages).toEqual([MSG_CONNECTED]);
    const third = await session();
    expect([third.status(), third.opened()]).toEqual([429, false]);
    expect((await session('127.0.0.2')).messages).toEqual([MSG_CONNECTED]);
    const fourth = await session('127.0.0.2');
    expect([fourth.status(), fourth.opened()]).toEqual([503, false]);
    expect(log.refusals).toEqual([
      expect.objectContaining({ code: 'ERR_RELAY_ADDRESS_LIMIT', status: 429, remoteAddress: '127.0.0.1' }),
      expect.objectContaining({ code: 'ERR_RELAY_CAPACITY', status: 503, remoteAddress: '127.0.0.2' }),
    ]);
    expect(target.count()).toBe(3);
  });

  it('frees a slot when a connection closes', async () => {
    await relay({ maxConnectionsPerAddress: 1 });
    const first = await session();
    expect((await session()).status()).toBe(429);
    first.ws.close();
    await runUntilReal(() => proxy!.stats().connections === 0);
    expect((await session()).messages).toEqual([MSG_CONNECTED]);
  });

  it('counts sockets that never send a handshake', async () => {
    await relay({ maxConnections: 2 });
    await rawSocket();
    await rawSocket('GET / HTTP/1.1\r\n');
    await runUntilReal(() => proxy!.stats().connections === 2);
    const client = await session();
    expect([client.status(), client.opened()]).toEqual([503, false]);
    expect(target.count()).toBe(0);
  });
});

describe('handshake timeout', () => {
  it('closes sockets that stay silent or never finish their request, and frees their slots', async () => {
    await relay({ handshakeTimeoutMs: 200 });
    const silent = await rawSocket();
    const slow = await rawSocket('GET /?host=127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await runUntilReal(() => silent.closed() && slow.closed());
    expect(log.codes()).toEqual(['ERR_RELAY_HANDSHAKE_TIMEOUT', 'ERR_RELAY_HANDSHAKE_TIMEOUT']);
    await runUntilReal(() => proxy!.stats().connections === 0);
  });

  it('leaves a session that completed its handshake open', async () => {
    await relay({ handshakeTimeoutMs: 200 });
    const client = await session();
    const later = await rawSocket();
    // The session's timer, had it not been stopped, was due before this one.
    await runUntilReal(() => later.closed());
    expect(client.closed()).toBeUndefined();
    expect(proxy!.stats()).toMatchObject({ connections: 1, sessions: 1 });
    expect(log.codes()).toEqual(['ERR_RELAY_HANDSHAKE_TIMEOUT']);
  });
});

describe('idle timeout', () => {
  it('closes a session in which no byte moves with 4005, resetting the target connection', async () => {
    await relay({ idleTimeoutMs: 200 });
    const client = await session();
    await runUntilReal(() => client.closed() !== undefined);
    expect(client.closed()).toEqual({ code: CloseCode.idle, reason: 'idle timeout' });
    expect(log.codes()).toEqual(['ERR_RELAY_IDLE']);
    await runUntilReal(() => target.sockets[0].destroyed);
  });

  it('is off by default', async () => {
    await relay({ handshakeTimeoutMs: 200 });
    const client = await session();
    const later = await rawSocket();
    await runUntilReal(() => later.closed());
    expect(client.closed()).toBeUndefined();
  });
});

describe('ConnectionLimiter and addressKey', () => {
  it('counts per key and in total, and releases', () => {
    const limiter = new ConnectionLimiter(3, 2);
    expect(['a', 'a', 'a', 'b', 'c'].map((a) => limiter.acquire(a))).toEqual(['ok', 'ok', 'ERR_RELAY_ADDRESS_LIMIT', 'ok', 'ERR_RELAY_CAPACITY']);
    limiter.release('a');
    limiter.release('z');
    expect(limiter.total).toBe(2);
    expect(limiter.acquire('c')).toBe('ok');
  });

  it('groups IPv6 addresses by /64 and shows IPv4-mapped ones as IPv4', () => {
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('2001:db8:0:2::1')).not.toBe(addressKey('2001:db8:0:1::1'));
  });
});
