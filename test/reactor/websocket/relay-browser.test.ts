/**
 * The attack of issue 16, in a real browser: a page served from another
 * origin (a web server on another port) whose script opens a WebSocket to
 * the relay. Headless Chromium sends the page's Origin as browsers do; the
 * relay must refuse a foreign origin before the WebSocket opens and never
 * reach the target, and must relay a listed origin. Also in the browser:
 * the bearer token as a subprotocol (browsers cannot set headers), and a
 * DNS-rebinding page (a name that resolves to the relay's address) refused
 * by the Host check even when its origin is allowed.
 */
import type { Browser } from 'puppeteer-core';
import type { WsProxyOptions } from '../../../reactor/websocket/proxy';
import { relayProtocols, RELAY_SUBPROTOCOL } from '../../../reactor/websocket/protocol';
import { describeBrowser, launchBrowser, runPage, startPageServer, type PageServer } from './browser';
import { relayUrl, useRelayWorld } from './relay-fixtures';

const TOKEN = 'browser-token-0123456789';
/** A name Chromium resolves to 127.0.0.1, as a rebinding attacker's DNS would. */
const REBIND = 'rebind.example';

describeBrowser('the relay and a real browser (headless Chromium)', () => {
  let browser: Browser;
  let allowed: PageServer;
  let foreign: PageServer;
  const world = useRelayWorld();

  beforeAll(async () => {
    browser = await launchBrowser(`MAP ${REBIND} 127.0.0.1`);
    allowed = await startPageServer();
    foreign = await startPageServer();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await allowed?.close();
    await foreign?.close();
  });

  async function relay(options: Partial<WsProxyOptions> = {}): Promise<string> {
    const proxy = await world.start({ origins: [allowed.origin], ...options });
    return relayUrl(proxy.port, world.target.port);
  }

  it('refuses a page from a foreign origin: its WebSocket never opens and the target is never reached', async () => {
    const url = await relay();
    const result = await runPage(browser, foreign.origin, url);
    expect(result).toEqual({ opened: false, protocol: '', messages: [], closeCode: 1006 });
    expect(world.target.count()).toBe(0);
    expect(world.log.refusals).toEqual([expect.objectContaining({ code: 'ERR_RELAY_ORIGIN', status: 403, remoteAddress: '127.0.0.1' })]);
  });

  it('refuses every page when no origin is configured (the default)', async () => {
    const url = await relay({ origins: undefined });
    const result = await runPage(browser, allowed.origin, url);
    expect(result.opened).toBe(false);
    expect(world.target.count()).toBe(0);
    expect(world.log.codes()).toEqual(['ERR_RELAY_ORIGIN']);
  });

  it('relays a page from an allowed origin', async () => {
    const url = await relay();
    const result = await runPage(browser, allowed.origin, url);
    expect(result).toEqual({ opened: true, protocol: '', messages: ['connected', 'bytes:hi', 'eof'], closeCode: 1000 });
    expect(world.target.count()).toBe(1);
    expect(world.log.refusals).toEqual([]);
  });

  it('takes the token as a subprotocol from a page, and refuses the page without it', async () => {
    const url = await relay({ token: TOKEN });
    const without = await runPage(browser, allowed.origin, url);
    expect(without.opened).toBe(false);
    const withToken = await runPage(browser, allowed.origin, url, relayProtocols(TOKEN));
    expect(withToken).toMatchObject({ opened: true, protocol: RELAY_SUBPROTOCOL, messages: ['connected', 'bytes:hi', 'eof'] });
    expect(world.target.count()).toBe(1);
    expect(world.log.codes()).toEqual(['ERR_RELAY_UNAUTHORIZED']);
    expect(JSON.stringify(world.log.refusals)).not.toContain(TOKEN);
  });

  it('refuses a DNS-rebinding page by its Host, even with its origin allowed', async () => {
    const rebindOrigin = `http://${REBIND}:${foreign.port}`;
    await relay({ origins: [rebindOrigin] });
    const url = relayUrl(world.proxy!.port, world.target.port, 'ws', REBIND);
    const result = await runPage(browser, rebindOrigin, url);
    expect(result.opened).toBe(false);
    expect(world.target.count()).toBe(0);
    expect(world.log.codes()).toEqual(['ERR_RELAY_HOST']);
  });
});
