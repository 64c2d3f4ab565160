/**
 * examples/ws-bridge in a real browser: Debian's headless Chromium opens the
 * bridge's page, subscribes through the page's form, and the test reads what
 * the page shows (its DOM). The bridge runs in-process on a PRIVATE cluster
 * (the shared test server must not restart), so the database can really be
 * stopped and started: the page shows the outage's gap, then new
 * notifications. LISTEN is counted across browsers (checked on the bridge's
 * own backend with pg_listening_channels()), and what untrusted browsers
 * send is bounded and checked (a node ws client sends what a page would not).
 *
 * Under CI=true a missing Chromium fails the browser suite (see
 * test/reactor/websocket/browser.ts) instead of skipping it. A screenshot of
 * the page after the restart is left in .tmp/artefacts/ws-bridge.png.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { Connection } from '../../src/index';
import { startBridge, type Bridge } from '../../examples/ws-bridge/server';
import { describeBrowser, launchBrowser } from '../reactor/websocket/browser';
import { until } from '../support/until';

const ROOT = path.join(__dirname, '..', '..');
const ARTEFACTS = path.join(ROOT, '.tmp', 'artefacts');
/** A bound to give up at, never a bound on speed: the machine may be very busy. */
const GIVE_UP = 60_000;
const MAX_SUBSCRIPTIONS = 3;

let cluster: Cluster;
let bridge: Bridge;
const bridgeLog: string[] = [];

beforeAll(async () => {
  cluster = await startCluster({ readyTimeoutMs: 120_000 }); // a loaded machine may take a minute
  bridge = await startBridge({
    dsn: cluster.url(),
    port: 0,
    maxSubscriptionsPerSocket: MAX_SUBSCRIPTIONS,
    heartbeat: { intervalMs: 1000, timeoutMs: 20_000 }, // a slow answer on a busy machine is not a death here
    reconnectionIterator: function* () {
      for (let i = 0; i < 1000; i++) yield 250;
    },
    log: (line) => bridgeLog.push(line),
  });
}, 180_000);
afterAll(async () => {
  await bridge?.close();
  await cluster?.destroy();
}, 60_000);

/** Sends a NOTIFY from a connection of its own (never the bridge's). */
async function notify(channel: string, payload: string): Promise<void> {
  const conn = new Connection();
  await conn.connect(cluster.url());
  try {
    await conn.runOperation('SELECT pg_notify($1, $2)', [channel, payload]);
  } finally {
    conn.close();
  }
}

/** The channels the bridge's backend is LISTENing to, asked on the bridge's own connection. */
async function bridgeListening(): Promise<string[]> {
  const rows = await bridge.conn.runQuery<{ c: string }>('SELECT pg_listening_channels() AS c');
  return rows.map((r) => r.c).sort();
}

/** Polls {@link bridgeListening} until `cond` holds; gives up after {@link GIVE_UP}. */
async function untilListening(cond: (channels: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + GIVE_UP;
  for (;;) {
    const channels = await bridgeListening();
    if (cond(channels)) return channels;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${GIVE_UP} ms; listening: ${JSON.stringify(channels)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A browser-less client of the bridge's WebSocket: what a hostile script could send. */
interface RawClient {
  ws: WebSocket;
  messages: Array<Record<string, unknown>>;
  closeCode(): number | null;
  waitFor(pred: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

function openRawClient(headers: Record<string, string> = {}): Promise<RawClient> {
  const ws = new WebSocket(`${bridge.url.replace(/^http/, 'ws')}ws`, { headers });
  const messages: Array<Record<string, unknown>> = [];
  let code: number | null = null;
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  ws.on('close', (c) => (code = c));
  const client: RawClient = {
    ws,
    messages,
    closeCode: () => code,
    async waitFor(pred, what) {
      await until(() => messages.some(pred), GIVE_UP, what);
      return messages.find(pred)!;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

describe('ws-bridge: what browsers send is checked and bounded', () => {
  it('greets a socket with the database state and its subscription limit', async () => {
    const c = await openRawClient();
    try {
      expect(await c.waitFor((m) => m.type === 'hello', 'hello')).toEqual({ type: 'hello', state: 'connected', maxSubscriptions: MAX_SUBSCRIPTIONS });
    } finally {
      c.ws.close();
    }
  }, 120_000);

  it('refuses bad channel names, bad JSON and binary messages with a code, LISTENs nothing and keeps the socket', async () => {
    const c = await openRawClient();
    try {
      const bad = ['x"; DROP TABLE t; --', 'a'.repeat(64), '', 'é', 'two words'];
      for (const channel of bad) c.ws.send(JSON.stringify({ op: 'subscribe', channel }));
      c.ws.send(JSON.stringify({ op: 'subscribe', channel: 42 }));
      c.ws.send('not json');
      c.ws.send(JSON.stringify({ op: 'drop', channel: 'ok' }));
      c.ws.send(Buffer.from('{"op":"subscribe","channel":"bin"}'));
      await until(() => c.messages.filter((m) => m.type === 'error').length === bad.length + 4, GIVE_UP, 'every refusal');
      const codes = c.messages.filter((m) => m.type === 'error').map((m) => m.code);
      expect(codes).toEqual([...bad.map(() => 'ERR_BRIDGE_BAD_CHANNEL'), 'ERR_BRIDGE_BAD_CHANNEL', 'ERR_BRIDGE_BAD_MESSAGE', 'ERR_BRIDGE_BAD_MESSAGE', 'ERR_BRIDGE_BAD_MESSAGE']);
      expect(c.messages.find((m) => m.code === 'ERR_BRIDGE_BAD_CHANNEL')).toMatchObject({ channel: bad[0] });
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(bridge.channels()).toEqual([]);
      expect(await bridgeListening()).toEqual([]);
    } finally {
      c.ws.close();
    }
  }, 120_000);

  it(`limits a socket to ${MAX_SUBSCRIPTIONS} subscriptions`, async () => {
    const c = await openRawClient();
    try {
      for (let i = 0; i <= MAX_SUBSCRIPTIONS; i++) c.ws.send(JSON.stringify({ op: 'subscribe', channel: `limit_${i}` }));
      const refused = await c.waitFor((m) => m.type === 'error', 'the refusal');
      expect(refused).toMatchObject({ code: 'ERR_BRIDGE_TOO_MANY_SUBSCRIPTIONS', channel: `limit_${MAX_SUBSCRIPTIONS}` });
      await until(() => c.messages.filter((m) => m.type === 'subscribed').length === MAX_SUBSCRIPTIONS, GIVE_UP, 'the allowed subscriptions');
      expect(await bridgeListening()).toEqual(['limit_0', 'limit_1', 'limit_2']);
    } finally {
      c.ws.close();
    }
    await untilListening((chs) => chs.length === 0, 'UNLISTEN of a closed socket\'s channels');
  }, 120_000);

  it('closes a socket that sends a message over the size limit (1009)', async () => {
    const c = await openRawClient();
    c.ws.send(JSON.stringify({ op: 'subscribe', channel: 'big', pad: 'x'.repeat(2000) }));
    await until(() => c.closeCode() !== null, GIVE_UP, 'the close');
    expect(c.closeCode()).toBe(1009);
    expect(bridge.channels()).toEqual([]);
  }, 120_000);

  it('refuses the WebSocket of a page from another origin, and accepts its own origin', async () => {
    await expect(openRawClient({ Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const own = await openRawClient({ Origin: bridge.url.replace(/\/$/, '') });
    own.ws.close();
  }, 120_000);
});

describeBrowser('ws-bridge: NOTIFY to a page in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** What the page lists in its event log, oldest first. */
  interface Shown {
    kind: string;
    channel?: string;
    payload?: string;
    code?: string;
    state?: string;
    text: string;
  }

  async function shown(page: Page): Promise<Shown[]> {
    const items = await page.evaluate(`[...document.querySelectorAll('#events li')].map((li) => ({ kind: li.className, ...li.dataset, text: li.textContent }))`);
    return (items as Shown[]).reverse();
  }

  /** Waits until the page shows an event matching `match` (a subset of its fields). */
  async function untilShown(page: Page, match: Partial<Shown>, what: string): Promise<void> {
    const test = Object.entries(match).map(([k, v]) => `li.${k === 'kind' ? 'className' : `dataset.${k}`} === ${JSON.stringify(v)}`).join(' && ');
    try {
      await page.waitForFunction(`[...document.querySelectorAll('#events li')].some((li) => ${test})`, { timeout: GIVE_UP, polling: 50 });
    } catch (error) {
      throw new Error(`the page never showed ${what}; it shows ${JSON.stringify(await shown(page))}`, { cause: error });
    }
  }

  async function openPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(bridge.url);
    await page.waitForFunction(`document.getElementById('status').dataset.state === 'connected'`, { timeout: GIVE_UP, polling: 50 });
    return page;
  }

  /** Subscribes through the page's form and waits until the page shows the server confirmed LISTEN. */
  async function subscribe(page: Page, channel: string): Promise<void> {
    await page.bringToFront(); // input goes to the tab in front; a background tab may never take it
    await page.type('#channel', channel);
    await page.click('#subscribe');
    await untilShown(page, { kind: 'subscribed', channel }, `"listening on ${channel}"`);
  }

  /** Clicks the page's unsubscribe button of `channel`. */
  async function unsubscribe(page: Page, channel: string): Promise<void> {
    await page.bringToFront();
    await page.click(`#subscriptions li[data-channel="${channel}"] button.unsubscribe`);
    await untilShown(page, { kind: 'unsubscribed', channel }, `"stopped listening on ${channel}"`);
  }

  it('refuses a bad channel name typed into the page: the page shows the refusal, nothing is LISTENed', async () => {
    const page = await openPage();
    try {
      await page.type('#channel', 'jobs"; DROP TABLE x; --');
      await page.click('#subscribe');
      await untilShown(page, { kind: 'error', code: 'ERR_BRIDGE_BAD_CHANNEL' }, 'the refusal');
      expect((await shown(page)).find((e) => e.kind === 'error')?.text).toContain('refused "jobs\\"; DROP TABLE x; --"');
      expect(await page.evaluate(`document.querySelectorAll('#subscriptions li').length`)).toBe(0);
      expect(await bridgeListening()).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('counts LISTEN across browsers: the first page LISTENs, one leaving keeps it, the last leaving UNLISTENs', async () => {
    expect(await bridgeListening()).not.toContain('shared');
    const a = await openPage();
    const b = await openPage();
    try {
      await subscribe(a, 'shared');
      expect(await bridgeListening()).toEqual(['shared']);
      await subscribe(b, 'shared');
      await notify('shared', 'to both');
      await untilShown(a, { kind: 'notification', payload: 'to both' }, 'the first notification on page A');
      await untilShown(b, { kind: 'notification', payload: 'to both' }, 'the first notification on page B');

      await unsubscribe(a, 'shared');
      expect(await bridgeListening()).toEqual(['shared']); // B still listens: no UNLISTEN was sent
      await notify('shared', 'to B only');
      await untilShown(b, { kind: 'notification', payload: 'to B only' }, 'the notification after A left');
      expect((await shown(a)).filter((e) => e.kind === 'notification').map((e) => e.payload)).toEqual(['to both']);

      await b.close(); // the last subscriber leaves by closing its tab
      await untilListening((chs) => !chs.includes('shared'), 'UNLISTEN after the last page left');
      expect(bridge.channels()).toEqual([]);
    } finally {
      if (!b.isClosed()) await b.close();
      await a.close();
    }
  }, 180_000);

  it('shows a NOTIFY, then after the database restarts the gap, then new notifications', async () => {
    const page = await openPage();
    try {
      await subscribe(page, 'orders');
      await notify('orders', 'before restart');
      await untilShown(page, { kind: 'notification', channel: 'orders', payload: 'before restart' }, 'the notification before the restart');
      const pidBefore = bridge.conn.processId;

      await cluster.stop('fast');
      await untilShown(page, { kind: 'state', state: 'reconnecting' }, 'that the database is down');
      await cluster.start();
      await untilShown(page, { kind: 'gap', channel: 'orders' }, 'the gap after the restart');
      await untilShown(page, { kind: 'state', state: 'connected' }, 'that the database is back');

      await notify('orders', 'after restart');
      await untilShown(page, { kind: 'notification', channel: 'orders', payload: 'after restart' }, 'the notification after the restart');
      const events = await shown(page);
      const before = events.findIndex((e) => e.payload === 'before restart');
      const gap = events.findIndex((e) => e.kind === 'gap');
      const after = events.findIndex((e) => e.payload === 'after restart');
      expect(before).toBeLessThan(gap);
      expect(gap).toBeLessThan(after);
      expect(events[gap].text).toMatch(/orders: missed notifications may exist \(the database connection was down for \d+ ms\)/);
      expect(bridge.conn.processId).not.toBe(pidBefore); // a new backend, LISTENing again
      expect(await bridgeListening()).toEqual(['orders']);

      fs.mkdirSync(ARTEFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTEFACTS, 'ws-bridge.png') as `${string}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  }, 240_000);
});
