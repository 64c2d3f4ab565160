/**
 * A real browser for the relay's tests: Debian's headless Chromium driven by
 * puppeteer-core, and tiny web servers whose page opens a WebSocket.
 *
 * Theory of operation. A suite declared with {@link describeBrowser} needs
 * Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). When it is
 * missing the suite is skipped with the reason in its title, except under
 * `CI=true`: there it runs and {@link launchBrowser} fails with what to
 * install, so a CI machine without Chromium fails instead of passing
 * silently. Each page server serves one page, on its own port and so its own
 * origin; the page's own script opens a WebSocket to the URL in its query
 * (`?relay=…&protocol=…`), answers the relay's `eof` with `eof`, and leaves
 * what it saw in `window.result` once the WebSocket has closed.
 */
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeUnless } from '../../support/server';

/** Where Chromium is expected. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser suites cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (install the Debian package chromium)`;
}

/** `describe` when Chromium is there (always under CI=true, to fail there), else skipped with the reason. */
export function describeBrowser(name: string, fn: () => void): void {
  describeUnless(process.env.CI === 'true' ? null : browserMissing(), name, fn);
}

/** Launches headless Chromium; `hostRules` maps names to addresses (Chromium's --host-resolver-rules). */
export async function launchBrowser(hostRules?: string): Promise<Browser> {
  const missing = browserMissing();
  if (missing !== null) throw new Error(`cannot run the browser tests: ${missing}`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', ...(hostRules ? [`--host-resolver-rules=${hostRules}`] : [])],
  });
}

/** What the page's script saw. */
export interface PageResult {
  opened: boolean;
  protocol: string;
  messages: string[];
  closeCode: number;
}

/** The page: its script opens the WebSocket named in the query and records what happens. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>relay client</title>
<script>
  const params = new URLSearchParams(location.search);
  const seen = { opened: false, protocol: '', messages: [], closeCode: 0 };
  const ws = new WebSocket(params.get('relay'), params.getAll('protocol'));
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { seen.opened = true; seen.protocol = ws.protocol; };
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') {
      seen.messages.push(event.data);
      if (event.data === 'eof') ws.send('eof');
    } else {
      seen.messages.push('bytes:' + new TextDecoder().decode(event.data));
    }
  };
  ws.onclose = (event) => { seen.closeCode = event.code; window.result = seen; };
</script>
`;

/** A web server on 127.0.0.1 serving {@link PAGE}; `origin` is its origin. */
export interface PageServer {
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a page server on a free port. */
export function startPageServer(): Promise<PageServer> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as net.AddressInfo).port;
    resolve({
      origin: `http://127.0.0.1:${port}`,
      port,
      close: () => new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
    });
  }));
}

/** Opens `pageUrl` in a new tab, whose script connects to `relay` offering `protocols`; resolves with what it saw. */
export async function runPage(browser: Browser, pageUrl: string, relay: string, protocols: string[] = []): Promise<PageResult> {
  const page = await browser.newPage();
  try {
    const query = new URLSearchParams([['relay', relay], ...protocols.map((p): [string, string] => ['protocol', p])]);
    await page.goto(`${pageUrl}/?${query.toString()}`);
    await page.waitForFunction('window.result !== undefined', { timeout: 20_000 });
    return (await page.evaluate('window.result')) as PageResult;
  } finally {
    await page.close();
  }
}
