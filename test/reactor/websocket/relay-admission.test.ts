/**
 * The relay's admission checks, on a real relay with a real `ws` client:
 * Host (DNS rebinding), Origin (cross-site pages), requests without Origin,
 * the bearer token (header and subprotocol) and the verify callback. Each
 * refusal must come before the WebSocket opens (an HTTP status), reach the
 * target never, and be logged with its code and nothing secret.
 */
import type { IncomingMessage } from 'node:http';
import type { WsProxy, WsProxyOptions } from '../../../reactor/websocket/proxy';
import { MSG_CONNECTED, RELAY_SUBPROTOCOL, relayProtocols } from '../../../reactor/websocket/protocol';
import { hostAllowed, originAllowed } from '../../../reactor/websocket/relay-admission';
import { configuredOrigin, resolveRelayConfig } from '../../../reactor/websocket/relay-config';
import { WebSocketReactor, relayQuery } from '../../../reactor/websocket/websocket';
import { Recorder } from '../../../reactor/testing';
import { runUntilReal } from '../real-time';
import { openRaw, relayUrl, settled, useRelayWorld, type RawClient } from './relay-fixtures';

const TOKEN = 'relay-token-0123456789-abcdef';
const WRONG = 'wrong-token-9876543210-zyxwvu';

const world = useRelayWorld();

function relay(options: Partial<WsProxyOptions> = {}): Promise<WsProxy> {
  return world.start(options);
}

/** One handshake attempt, with what the target and the log had seen before it. */
interface Attempt {
  client: RawClient;
  targetsBefore: number;
  refusalsBefore: number;
}

async function open(options: Parameters<typeof openRaw>[1] = {}): Promise<Attempt> {
  const targetsBefore = world.target.count(), refusalsBefore = world.log.refusals.length;
  return { client: await settled(openRaw(relayUrl(world.proxy!.port, world.target.port), options)), targetsBefore, refusalsBefore };
}

/** Refused with `status` before the WebSocket opened, the target never reached, `code` logged (with the client's address only). */
function expectRefused(attempt: Attempt, status: number, code: string): void {
  expect(attempt.client.status()).toBe(status);
  expect(attempt.client.opened()).toBe(false);
  expect(world.target.count()).toBe(attempt.targetsBefore);
  expect(world.log.refusals.slice(attempt.refusalsBefore)).toEqual([{ code, status, message: expect.any(String), remoteAddress: '127.0.0.1' }]);
}

/** Opened, relayed to the target (which said `connected`), nothing logged. */
async function expectRelayed(attempt: Attempt): Promise<void> {
  expect(attempt.client.opened()).toBe(true);
  expect(attempt.client.messages[0]).toBe(MSG_CONNECTED);
  await runUntilReal(() => world.target.count() > attempt.targetsBefore);
  expect(world.log.refusals.slice(attempt.refusalsBefore)).toEqual([]);
}

describe('Origin: browsers on other sites are refused', () => {
  it('refuses every Origin by default, before the WebSocket opens', async () => {
    await relay();
    expectRefused(await open({ origin: `http://127.0.0.1:${world.target.port}` }), 403, 'ERR_RELAY_ORIGIN');
  });

  it('refuses an Origin that is not listed, even one differing only in scheme or port', async () => {
    await relay({ origins: ['https://app.example'] });
    expectRefused(await open({ origin: 'https://evil.example' }), 403, 'ERR_RELAY_ORIGIN');
    expectRefused(await open({ origin: 'http://app.example' }), 403, 'ERR_RELAY_ORIGIN');
    expectRefused(await open({ origin: 'https://app.example:8443' }), 403, 'ERR_RELAY_ORIGIN');
  });

  it("refuses the opaque origin 'null' (sandboxed frames, file: pages)", async () => {
    await relay({ origins: ['https://app.example'] });
    expectRefused(await open({ origin: 'null' }), 403, 'ERR_RELAY_ORIGIN');
  });

  it('relays a listed Origin (compared as a serialised origin)', async () => {
    await relay({ origins: ['https://App.example/'] });
    await expectRelayed(await open({ origin: 'https://app.example' }));
  });

  it('asks an origins predicate', async () => {
    const seen: string[] = [];
    await relay({ origins: (o) => { seen.push(o); return o === 'https://app.example'; } });
    await expectRelayed(await open({ origin: 'https://app.example' }));
    expectRefused(await open({ origin: 'https://evil.example' }), 403, 'ERR_RELAY_ORIGIN');
    expect(seen).toEqual(['https://app.example', 'https://evil.example']);
  });
});

describe('requests without Origin (non-browser clients)', () => {
  it('are allowed by default on a loopback listener', async () => {
    await relay();
    await expectRelayed(await open());
  });

  it('are refused when allowNoOrigin is false', async () => {
    await relay({ allowNoOrigin: false });
    expectRefused(await open(), 403, 'ERR_RELAY_NO_ORIGIN');
  });

  it('are refused by default on any other listener', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'relay.example']) {
      expect(resolveRelayConfig({ port: 0, host, allow: [] }).allowNoOrigin).toBe(false);
    }
    for (const host of [undefined, '127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      expect(resolveRelayConfig({ port: 0, host, allow: [] }).allowNoOrigin).toBe(true);
    }
    expect(resolveRelayConfig({ port: 0, host: '0.0.0.0', allow: [], allowNoOrigin: true }).allowNoOrigin).toBe(true);
  });
});

describe('Host: DNS rebinding is refused', () => {
  it('refuses a Host that names another site, even with an allowed Origin', async () => {
    await relay({ origins: ['http://rebind.example:8080'] });
    expectRefused(await open({ origin: 'http://rebind.example:8080', headers: { Host: 'rebind.example:8080' } }), 403, 'ERR_RELAY_HOST');
  });

  it('accepts IP addresses, localhost and the configured names (any case, any port)', async () => {
    await relay({ hosts: ['relay.example'] });
    for (const host of [`127.0.0.1:${world.proxy!.port}`, '[::1]:80', 'localhost', 'RELAY.example:443', 'relay.example']) {
      await expectRelayed(await open({ headers: { Host: host } }));
    }
    expectRefused(await open({ headers: { Host: 'relay.example.evil' } }), 403, 'ERR_RELAY_HOST');
  });

  it('hostAllowed: the rules without a server', () => {
    const names = new Set(['relay.example']);
    expect(hostAllowed('10.0.0.1:8080', names)).toBe(true);
    expect(hostAllowed('[2001:db8::1]:8080', names)).toBe(true);
    expect(hostAllowed('relay.example', names)).toBe(true);
    expect(hostAllowed('sub.relay.example', names)).toBe(false);
    expect(hostAllowed('localhost.', names)).toBe(false);
    expect(hostAllowed('[relay.example]:80', names)).toBe(false);
    expect(hostAllowed('1.2.3.4.evil.example', names)).toBe(false);
    expect(hostAllowed(undefined, names)).toBe(false);
    expect(hostAllowed('', names)).toBe(false);
  });
});

describe('bearer token', () => {
  it('refuses a client without the token with 401', async () => {
    await relay({ token: TOKEN });
    expectRefused(await open(), 401, 'ERR_RELAY_UNAUTHORIZED');
  });

  it('refuses a wrong token, in the header or as a subprotocol', async () => {
    await relay({ token: TOKEN });
    expectRefused(await open({ headers: { Authorization: `Bearer ${WRONG}` } }), 401, 'ERR_RELAY_UNAUTHORIZED');
    expectRefused(await open({ protocols: relayProtocols(WRONG) }), 401, 'ERR_RELAY_UNAUTHORIZED');
    expect(world.log.codes()).toEqual(['ERR_RELAY_UNAUTHORIZED', 'ERR_RELAY_UNAUTHORIZED']);
  });

  it('relays a client with the token in the Authorization header', async () => {
    await relay({ token: TOKEN });
    await expectRelayed(await open({ headers: { Authorization: `Bearer ${TOKEN}` } }));
  });

  it('relays a client with the token as a subprotocol, answering with the relay protocol, never the token', async () => {
    await relay({ token: TOKEN });
    const attempt = await open({ protocols: relayProtocols(TOKEN) });
    await expectRelayed(attempt);
    expect(attempt.client.protocol()).toBe(RELAY_SUBPROTOCOL);
  });

  it('round-trips tokens outside ASCII and the base64 alphabet', async () => {
    const token = 'ünïcode/+=token?~~~~~~';
    await relay({ token });
    await expectRelayed(await open({ protocols: relayProtocols(token) }));
  });

  it('refuses a token shorter than 16 characters without repeating it', () => {
    let error: unknown;
    try {
      resolveRelayConfig({ port: 0, allow: [], token: 'short-secret' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_RELAY_CONFIG' });
    expect((error as Error).message).not.toContain('short-secret');
  });

  it('keeps only a digest of the token in its configuration', () => {
    const config = resolveRelayConfig({ port: 0, allow: [], token: TOKEN });
    expect(JSON.stringify(config)).not.toContain(TOKEN);
  });
});

describe('WebSocketReactor and a relay that requires a token', () => {
  async function connect(options: { protocols?: string[] }): Promise<Recorder> {
    const port = world.proxy!.port;
    const reactor = new WebSocketReactor({ url: (e) => `ws://127.0.0.1:${port}/${relayQuery(e)}`, ...options });
    const client = new Recorder();
    reactor.connect({ kind: 'tcp', host: '127.0.0.1', port: world.target.port }, client);
    await runUntilReal(() => client.transport !== undefined || client.isLost);
    return client;
  }

  it('connects with protocols: relayProtocols(token)', async () => {
    await relay({ token: TOKEN });
    const client = await connect({ protocols: relayProtocols(TOKEN) });
    expect(client.events[0]).toBe('made'); // the target's greeting may already have followed it
    expect(client.events).not.toContain('lost');
    await runUntilReal(() => client.received === 2);
    expect(client.text()).toBe('hi');
    client.transport!.abort();
    await runUntilReal(() => client.isLost);
  });

  it('reports a refused handshake as ERR_CONNECT_FAILED, never connecting', async () => {
    await relay({ token: TOKEN });
    const client = await connect({});
    expect(client.events).toEqual(['lost']);
    expect(client.lost).toMatchObject({ code: 'ERR_CONNECT_FAILED' });
    expect(world.target.count()).toBe(0);
    expect(world.log.codes()).toEqual(['ERR_RELAY_UNAUTHORIZED']);
  });
});

describe('verify callback', () => {
  it('refuses when it answers false, after seeing the request', async () => {
    const seen: string[] = [];
    await relay({ verify: (request: IncomingMessage) => { seen.push(String(request.headers['x-tenant'])); return false; } });
    expectRefused(await open({ headers: { 'X-Tenant': 'acme' } }), 403, 'ERR_RELAY_VERIFY');
    expect(seen).toEqual(['acme']);
  });

  it('refuses when it throws or rejects', async () => {
    await relay({ verify: () => { throw new Error(`boom ${TOKEN}`); } });
    expectRefused(await open(), 403, 'ERR_RELAY_VERIFY');
    await world.proxy!.close();
    await relay({ verify: () => Promise.reject(new Error('no')) });
    expectRefused(await open(), 403, 'ERR_RELAY_VERIFY');
  });

  it('relays when it resolves true; it is asked only after the header checks pass', async () => {
    let calls = 0;
    await relay({ token: TOKEN, verify: async () => { calls++; return true; } });
    expectRefused(await open(), 401, 'ERR_RELAY_UNAUTHORIZED');
    expect(calls).toBe(0);
    await expectRelayed(await open({ protocols: relayProtocols(TOKEN) }));
    expect(calls).toBe(1);
  });
});

describe('what refusals log', () => {
  it('never a token, a header value, an Origin or a target', async () => {
    await relay({ token: TOKEN, origins: ['https://app.example'], verify: () => false });
    await open({ headers: { Authorization: `Bearer ${WRONG}` } });
    await open({ protocols: relayProtocols(WRONG) });
    await open({ origin: 'https://evil.example' });
    await open({ headers: { Host: 'rebind.example' } });
    await open({ origin: 'https://app.example', protocols: relayProtocols(TOKEN) });
    expect(world.log.codes()).toEqual(['ERR_RELAY_UNAUTHORIZED', 'ERR_RELAY_UNAUTHORIZED', 'ERR_RELAY_ORIGIN', 'ERR_RELAY_HOST', 'ERR_RELAY_VERIFY']);
    const text = JSON.stringify(world.log.refusals);
    for (const secret of [TOKEN, WRONG, relayProtocols(WRONG)[1], relayProtocols(TOKEN)[1], 'evil.example', 'rebind.example', String(world.target.port)]) {
      expect(text).not.toContain(secret);
    }
    for (const r of world.log.refusals) expect(Object.keys(r).sort()).toEqual(['code', 'message', 'remoteAddress', 'status']);
  });
});

describe('a logger that throws', () => {
  it('loses its line; the relay still refuses and relays', async () => {
    await relay({ logger: () => { throw new Error('disk full'); } });
    const refused = await open({ origin: 'https://evil.example' });
    expect([refused.client.status(), refused.client.opened()]).toEqual([403, false]);
    const admitted = await open();
    expect(admitted.client.messages[0]).toBe(MSG_CONNECTED);
  });
});

describe('origins configuration', () => {
  it('normalises origins and refuses entries that are not origins', () => {
    expect(configuredOrigin('HTTPS://App.Example:443/')).toBe('https://app.example');
    expect(configuredOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    for (const bad of ['app.example', 'null', 'https://app.example/path', 'https://u:p@app.example', 'https://app.example/?q']) {
      expect(() => configuredOrigin(bad)).toThrow(expect.objectContaining({ code: 'ERR_RELAY_CONFIG' }));
    }
    expect(originAllowed('https://app.example', new Set(['https://app.example']))).toBe(true);
    expect(originAllowed('https://app.example/x', new Set(['https://app.example']))).toBe(false);
    expect(originAllowed('garbage', new Set(['https://app.example']))).toBe(false);
  });
});
