/**
 * The fault proxy with real sockets: a recording echo server stands behind it,
 * and a pg client proves it carries the PostgreSQL protocol.
 */
import * as net from 'node:net';
import { Client } from 'pg';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { describeServer, testServer } from '../support/server';

/** An echo server that records what it received. */
interface Echo {
  port: number;
  received: string;
  close(): Promise<void>;
}

async function startEcho(): Promise<Echo> {
  const sockets = new Set<net.Socket>();
  const echo = { port: 0, received: '', close: async () => undefined } as Echo;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => { echo.received += d.toString(); s.write(d); });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  echo.port = (server.address() as net.AddressInfo).port;
  echo.close = () => new Promise((resolve) => { sockets.forEach((s) => s.destroy()); server.close(() => resolve()); });
  return echo;
}

/** Connects to the proxy; resolves with the socket once connected. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The next chunk the socket reads, as text. */
function nextData(s: net.Socket): Promise<string> {
  return new Promise((resolve) => s.once('data', (d) => resolve(d.toString())));
}

/** How the socket ended: 'fin' (orderly end), or the error code. */
function howItEnds(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    s.once('end', () => resolve('fin'));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('fault proxy', () => {
  let echo: Echo;
  let proxy: FaultProxy;
  const open: net.Socket[] = [];

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startFaultProxy({ targetHost: '127.0.0.1', targetPort: echo.port });
  });
  afterEach(async () => {
    open.splice(0).forEach((s) => s.destroy());
    await proxy.close();
    await echo.close();
  });

  async function client(): Promise<net.Socket> {
    const s = await connect(proxy.port);
    open.push(s);
    return s;
  }

  it('forwards bytes both ways and counts the link', async () => {
    const s = await client();
    const reply = nextData(s);
    s.write('ping');
    expect(await reply).toBe('ping');
    expect(proxy.connections).toBe(1);
    expect(proxy.accepted).toBe(1);
  });

  it('drops every link with a TCP reset on dropAll("rst")', async () => {
    const s = await client();
    await proxy.waitForConnections(1);
    const ended = howItEnds(s);
    proxy.dropAll('rst');
    expect(await ended).toBe('ECONNRESET');
    await proxy.waitForConnections(0);
  });

  it('drops every link with an orderly FIN on dropAll("fin")', async () => {
    const s = await client();
    await proxy.waitForConnections(1);
    const ended = howItEnds(s);
    proxy.dropAll('fin');
    expect(await ended).toBe('fin');
  });

  it('holds bytes during a stall and releases them in order on unstall', async () => {
    const s = await client();
    await proxy.waitForConnections(1);
    proxy.stall();
    s.write('one,');
    s.write('two');
    while (proxy.heldBytes < 7) await new Promise((r) => setImmediate(r));
    expect(echo.received).toBe('');
    let replies = '';
    const replied = new Promise<void>((resolve) => s.on('data', (d) => { replies += d; if (replies.length >= 7) resolve(); }));
    proxy.unstall();
    await replied;
    expect(echo.received).toBe('one,two');
    expect(replies).toBe('one,two');
  });

  it('throws held bytes away on unstall({ discard: true })', async () => {
    const s = await client();
    await proxy.waitForConnections(1);
    proxy.stall();
    s.write('lost');
    while (proxy.heldBytes < 4) await new Promise((r) => setImmediate(r));
    proxy.unstall({ discard: true });
    const reply = nextData(s);
    s.write('kept');
    expect(await reply).toBe('kept');
    expect(echo.received).toBe('kept');
  });

  it('refuses new connections with ECONNREFUSED while live links keep working', async () => {
    const live = await client();
    await proxy.waitForConnections(1);
    await proxy.refuseNew(true);
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const reply = nextData(live);
    live.write('still');
    expect(await reply).toBe('still');
    await proxy.refuseNew(false);
    const again = await client();
    const reply2 = nextData(again);
    again.write('back');
    expect(await reply2).toBe('back');
  });

  it('delays each chunk by the given time', async () => {
    const s = await client();
    proxy.delay(150);
    const started = process.hrtime.bigint();
    const reply = nextData(s);
    s.write('slow');
    expect(await reply).toBe('slow');
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeGreaterThanOrEqual(290); // delayed on the way there and back
  });
});

describeServer('fault proxy in front of PostgreSQL', () => {
  it('carries a pg session, and a reset link fails the client with ECONNRESET', async () => {
    const { host, port, url } = testServer();
    const proxy = await startFaultProxy({ targetHost: host, targetPort: port });
    const viaProxy = new URL(url);
    viaProxy.host = `${proxy.host}:${proxy.port}`;
    const c = new Client({ connectionString: viaProxy.toString(), ssl: false });
    const lost = new Promise<NodeJS.ErrnoException>((resolve) => c.on('error', resolve));
    await c.connect();
    expect((await c.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    proxy.dropAll('rst');
    expect((await lost).code).toBe('ECONNRESET');
    await proxy.close();
  });
});
