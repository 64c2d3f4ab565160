/**
 * A fault-injection TCP proxy for tests: real sockets, faults on command.
 *
 * Theory of operation. The proxy listens on a loopback port and, for each
 * client, opens a link to the target and copies bytes both ways. Every chunk
 * goes through one gate per direction, which implements the faults:
 * - `stall()`: a blackhole. Bytes are accepted from both sides but not
 *   forwarded; they are held in order and released by `unstall()` (as TCP
 *   retransmission would deliver them after a partition heals), or thrown
 *   away with `unstall({ discard: true })`.
 * - `delay(ms)`: each chunk is forwarded `ms` later (order is kept).
 * - `dropAll('rst' | 'fin')`: every live link is cut, both sides, by a TCP
 *   reset or by an orderly FIN.
 * - `refuseNew(true)`: the listener is closed so new connections get a real
 *   ECONNREFUSED; live links keep working; `refuseNew(false)` listens again
 *   on the same port.
 * - `trickle(bytes, everyMs)`: a slow link. What would be written goes to a
 *   queue instead, and at most `bytes` of it leave every `everyMs` (chunks
 *   are split, order is kept); `trickle(0)` writes what is queued at once
 *   and turns it off. It applies after stall and delay. As with a stall, a
 *   link that closes (a FIN or a reset from either side ends both sockets)
 *   drops what is still queued.
 */
import * as net from 'node:net';

/** Where the proxy forwards to. */
export interface FaultProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Port to listen on; default: a free one. */
  readonly port?: number;
}

/** The running proxy. */
export interface FaultProxy {
  /** Always 127.0.0.1. */
  readonly host: string;
  /** The port clients connect to (stable across refuseNew). */
  readonly port: number;
  /** Links currently open. */
  readonly connections: number;
  /** Links accepted since start. */
  readonly accepted: number;
  /** Bytes currently held by a stall, both directions. */
  readonly heldBytes: number;
  /** Cuts every live link: 'rst' resets both sockets, 'fin' ends them in order. */
  dropAll(mode: 'rst' | 'fin'): void;
  /** Starts holding all bytes, both directions, live and new links. */
  stall(): void;
  /** Ends a stall: releases held bytes in order, or discards them. */
  unstall(options?: { discard?: boolean }): void;
  /** Forwards every later chunk `ms` late; 0 turns the delay off. */
  delay(ms: number): void;
  /** Lets at most `bytes` per direction and link through every `everyMs` (default 10); 0 bytes turns it off and flushes what is queued. */
  trickle(bytes: number, everyMs?: number): void;
  /** Bytes queued by a trickle, both directions. */
  readonly trickleBytes: number;
  /** true: new connections are refused (ECONNREFUSED); false: accepted again. */
  refuseNew(refuse: boolean): Promise<void>;
  /** Resolves when `connections` has reached `n` (polled on link events). */
  waitForConnections(n: number): Promise<void>;
  /** Stops listening and resets every link. */
  close(): Promise<void>;
}

/** One direction of one link: applies stall and delay to chunks. */
class Gate {
  /** Held chunks in order; null stands for the end of the stream (FIN). */
  private held: Array<Buffer | null> = [];
  /** Chunks waiting for a trickle, in order; null stands for FIN. */
  private drip: Array<Buffer | null> = [];
  private dripTimer: NodeJS.Timeout | null = null;

  constructor(private readonly proxy: ProxyImpl, private readonly to: net.Socket) {}

  get heldBytes(): number {
    return this.held.reduce((n, b) => n + (b?.length ?? 0), 0);
  }

  get dripBytes(): number {
    return this.drip.reduce((n, b) => n + (b?.length ?? 0), 0);
  }

  /** A chunk, or null for end of stream, from the other side. */
  push(chunk: Buffer | null): void {
    if (this.proxy.stalled) this.held.push(chunk);
    else this.forward(chunk);
    this.proxy.notify();
  }

  release(discard: boolean): void {
    const chunks = this.held;
    this.held = [];
    if (!discard) chunks.forEach((c) => this.forward(c));
  }

  private forward(chunk: Buffer | null): void {
    const ms = this.proxy.delayMs;
    if (ms > 0) setTimeout(() => this.write(chunk), ms);
    else this.write(chunk);
  }

  private write(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (this.proxy.trickleRate.bytes > 0 || this.drip.length > 0) this.queueDrip(chunk);
    else this.writeNow(chunk);
  }

  private writeNow(chunk: Buffer | null): void {
    if (chunk) this.to.write(chunk);
    else this.to.end();
  }

  private queueDrip(chunk: Buffer | null): void {
    this.drip.push(chunk);
    this.dripTimer ??= setInterval(() => this.dripOnce(), this.proxy.trickleRate.everyMs);
  }

  /** One tick of a trickle: at most `bytes` leave; when the trickle is off, everything queued does. */
  private dripOnce(): void {
    const limit = this.proxy.trickleRate.bytes;
    let budget = limit > 0 ? limit : Infinity;
    while (budget > 0 && this.drip.length > 0 && !this.to.destroyed) {
      const head = this.drip[0];
      if (head !== null && head.length > budget) {
        this.to.write(head.subarray(0, budget));
        this.drip[0] = head.subarray(budget);
        break;
      }
      this.drip.shift();
      this.writeNow(head);
      budget -= head?.length ?? 0;
    }
    if (this.to.destroyed) this.drip = [];
    if (this.drip.length === 0) this.stopDrip();
  }

  /** Writes everything a trickle queued, now (the trickle was turned off). */
  flushDrip(): void {
    if (this.drip.length > 0) this.dripOnce();
  }

  /** Stops the trickle timer (the link ended). */
  stopDrip(): void {
    if (this.dripTimer !== null) clearInterval(this.dripTimer);
    this.dripTimer = null;
  }
}

/** A client socket, its upstream socket and their gates. */
interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly gates: readonly Gate[];
}

/** The proxy; see the file comment. */
class ProxyImpl implements FaultProxy {
  readonly host = '127.0.0.1';
  port = 0;
  accepted = 0;
  stalled = false;
  delayMs = 0;
  /** The trickle in force: `bytes` 0 means off. */
  trickleRate = { bytes: 0, everyMs: 10 };
  private readonly links = new Set<Link>();
  private server: net.Server | null = null;
  private waiters: Array<() => void> = [];

  constructor(private readonly options: FaultProxyOptions) {}

  get connections(): number {
    return this.links.size;
  }

  get heldBytes(): number {
    let n = 0;
    for (const link of this.links) for (const g of link.gates) n += g.heldBytes;
    return n;
  }

  get trickleBytes(): number {
    let n = 0;
    for (const link of this.links) for (const g of link.gates) n += g.dripBytes;
    return n;
  }

  async listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect({ host: this.options.targetHost, port: this.options.targetPort });
    const link: Link = { client, upstream, gates: [new Gate(this, upstream), new Gate(this, client)] };
    this.links.add(link);
    client.on('data', (c: Buffer) => link.gates[0].push(c));
    upstream.on('data', (c: Buffer) => link.gates[1].push(c));
    const finish = (): void => this.unlink(link);
    for (const s of [client, upstream]) {
      s.on('error', finish);
      s.on('close', finish);
    }
    client.on('end', () => link.gates[0].push(null));
    upstream.on('end', () => link.gates[1].push(null));
    this.notify();
  }

  private unlink(link: Link): void {
    if (!this.links.delete(link)) return;
    link.gates.forEach((g) => g.stopDrip());
    link.client.destroy();
    link.upstream.destroy();
    this.notify();
  }

  /** Wakes waiters whose condition may now hold. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  dropAll(mode: 'rst' | 'fin'): void {
    for (const link of [...this.links]) {
      if (mode === 'rst') {
        link.client.resetAndDestroy();
        link.upstream.resetAndDestroy();
      } else {
        link.client.end();
        link.upstream.end();
      }
    }
  }

  stall(): void {
    this.stalled = true;
  }

  unstall(options: { discard?: boolean } = {}): void {
    this.stalled = false;
    for (const link of this.links) for (const g of link.gates) g.release(options.discard ?? false);
  }

  delay(ms: number): void {
    this.delayMs = ms;
  }

  trickle(bytes: number, everyMs = 10): void {
    this.trickleRate = { bytes: Math.max(0, Math.floor(bytes)), everyMs };
    if (this.trickleRate.bytes === 0) for (const link of this.links) for (const g of link.gates) g.flushDrip();
  }

  async refuseNew(refuse: boolean): Promise<void> {
    if (refuse && this.server) {
      // close() stops listening at once; its callback waits for live links, which stay.
      this.server.close();
      this.server = null;
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else if (!refuse && !this.server) {
      await this.listen(this.port);
    }
  }

  async waitForConnections(n: number): Promise<void> {
    while (this.links.size !== n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    this.dropAll('rst');
    await closed;
  }
}

/**
 * Starts a {@link FaultProxy} on 127.0.0.1 forwarding to
 * `targetHost:targetPort`. Resolves once it listens.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new ProxyImpl(options);
  await proxy.listen(options.port ?? 0);
  return proxy;
}
