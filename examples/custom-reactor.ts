/**
 * Your own reactor: an HTTP server whose database connection runs on a
 * reactor it supplies, one that wraps the NodeReactor and batches writes.
 *
 * Theory of operation. {@link BatchingReactor} keeps the NodeReactor's clock
 * and sockets and wraps each transport it hands out: bytes written during
 * one turn of the reactor are gathered and go out as one socket write, at
 * the end of the turn (a `callSoon`) or at once when a batch reaches
 * {@link BATCH_LIMIT}. Pipelined queries sent by concurrent requests thus
 * leave in few writes. Flow control passes through: the wrapper is the inner
 * transport's producer, and pauses and resumes the caller's producer with it.
 * `setDefaultReactorFactory` makes it the reactor of every `new Connection()`.
 * The same class passes the reactor conformance suite
 * (test/reactor/custom/custom-reactor.test.ts). See docs/guide/writing-a-reactor.md.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/custom-reactor.ts
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection, setDefaultReactorFactory } from '../src/index';
import { NodeReactor } from '../reactor/index';
import type {
  ConnectOptions, Connector, DelayedCall, Endpoint, Producer, Reactor, TlsInfo, TlsOptions, Transport, TransportHandler,
} from '../reactor/index';

/** A batch this large goes out at once instead of at the end of the turn. */
export const BATCH_LIMIT = 64 * 1024;

/** How many writes the callers made, and how many reached the sockets. */
export interface BatchStats {
  writesIn: number;
  writesOut: number;
}

/** A transport that gathers the writes of one reactor turn into one write of the transport it wraps. */
class BatchingTransport implements Transport {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private closed = false;
  private producer: Producer | null = null;
  private producerPaused = false;
  private innerPaused = false;

  constructor(private readonly inner: Transport, private readonly reactor: Reactor, private readonly stats: BatchStats) {
    inner.registerProducer?.({ pauseProducing: () => this.innerPause(), resumeProducing: () => this.innerResume() });
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.stats.writesIn++;
    this.pending.push(bytes.slice());
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= BATCH_LIMIT) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.reactor.callSoon(() => this.endOfTurn());
    }
  }

  get bufferedAmount(): number {
    return this.pendingBytes + (this.inner.bufferedAmount ?? 0);
  }

  registerProducer(producer: Producer): void {
    this.producer = producer;
    this.producerPaused = false;
    if (this.innerPaused) this.pauseProducer();
  }

  unregisterProducer(): void {
    this.producer = null;
  }

  startTls(options: TlsOptions): Promise<TlsInfo> {
    this.flush(); // what was written before the upgrade goes in the clear, as it would have unwrapped
    return this.inner.startTls(options);
  }

  pauseReading(): void {
    this.inner.pauseReading();
  }

  resumeReading(): void {
    this.inner.resumeReading();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.inner.close();
  }

  abort(reason?: Error): void {
    this.lost();
    this.inner.abort(reason);
  }

  setKeepAlive(enable: boolean, initialDelayMs?: number): void {
    this.inner.setKeepAlive?.(enable, initialDelayMs);
  }

  /** The connection ended: drop the batch, forget the producer. */
  lost(): void {
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.producer = null;
  }

  /** Sends the batch as one write (the inner transport may pause us from inside it). */
  private flush(): void {
    if (this.pendingBytes === 0 || this.closed) return;
    const batch = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const chunk of this.pending) {
      batch.set(chunk, at);
      at += chunk.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.stats.writesOut++;
    this.inner.write(batch);
  }

  /** The end of the turn in which something was written: send it, then resume the producer if all drained. */
  private endOfTurn(): void {
    this.flushScheduled = false;
    this.flush();
    if (!this.innerPaused) this.resumeProducer();
  }

  private innerPause(): void {
    this.innerPaused = true;
    this.pauseProducer();
  }

  private innerResume(): void {
    this.innerPaused = false;
    if (this.pendingBytes === 0) this.resumeProducer(); // else endOfTurn, already scheduled, resumes it
  }

  private pauseProducer(): void {
    if (!this.producer || this.producerPaused) return;
    this.producerPaused = true;
    this.producer.pauseProducing();
  }

  private resumeProducer(): void {
    if (!this.producer || !this.producerPaused) return;
    this.producerPaused = false;
    this.producer.resumeProducing();
  }
}

/** Hands the caller's handler a {@link BatchingTransport} and passes every event through. */
class BatchingHandler implements TransportHandler {
  private transport: BatchingTransport | undefined;

  constructor(private readonly handler: TransportHandler, private readonly reactor: Reactor, private readonly stats: BatchStats) {}

  connectionMade(inner: Transport): void {
    this.transport = new BatchingTransport(inner, this.reactor, this.stats);
    this.handler.connectionMade(this.transport);
  }

  dataReceived(bytes: Uint8Array): void {
    this.handler.dataReceived(bytes);
  }

  /** Always present, so that a handler without `eofReceived` still gets its batch sent before its side closes. */
  eofReceived(): void {
    if (this.handler.eofReceived) this.handler.eofReceived();
    else this.transport?.close();
  }

  connectionLost(reason: Error | null): void {
    this.transport?.lost();
    this.handler.connectionLost(reason);
  }
}

/** A reactor on another reactor's clock and sockets whose transports batch the writes of each turn. */
export class BatchingReactor implements Reactor {
  /** Writes made by callers and writes that reached the inner transports. */
  readonly stats: BatchStats = { writesIn: 0, writesOut: 0 };

  /** Wraps `inner` (a NodeReactor by default). */
  constructor(private readonly inner: Reactor = new NodeReactor()) {}

  /** The inner reactor's clock. */
  now(): number {
    return this.inner.now();
  }

  /** The inner reactor's timers. */
  callLater(delayMs: number, fn: () => void): DelayedCall {
    return this.inner.callLater(delayMs, fn);
  }

  /** The inner reactor's queue. */
  callSoon(fn: () => void): void {
    this.inner.callSoon(fn);
  }

  /** Connects through the inner reactor, handing `handler` a batching transport. */
  connect(endpoint: Endpoint, handler: TransportHandler, options?: ConnectOptions): Connector {
    return this.inner.connect(endpoint, new BatchingHandler(handler, this, this.stats), options);
  }
}

/** The HTTP server: GET /square/N answers N*N, computed by PostgreSQL over one shared connection. */
function squareServer(conn: Connection): http.Server {
  return http.createServer((req, res) => {
    const n = Number(/^\/square\/(\d+)$/.exec(req.url ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(n)) return void res.writeHead(404).end();
    conn.runQuery<{ sq: number }>('SELECT $1::int * $1::int AS sq', [n]).then(
      (rows) => res.end(String(rows[0].sq)),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
}

async function main(): Promise<void> {
  const reactor = new BatchingReactor();
  setDefaultReactorFactory(() => reactor);
  const conn = new Connection(); // on the default reactor: ours
  await conn.connect(process.env.DATABASE_URL ?? '');
  const server = squareServer(conn);
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/square/${i}`).then((r) => r.text())));
    console.log(`custom-reactor: 10 concurrent requests answered ${answers.join(' ')}`);
    const { writesIn, writesOut } = reactor.stats;
    if (writesOut === 0 || writesOut > writesIn) throw new Error(`the batching reactor did not carry the queries (${writesIn} in, ${writesOut} out)`);
    console.log(`custom-reactor: the driver made ${writesIn} writes, the batching reactor sent ${writesOut}`);
  } finally {
    server.close();
    server.closeAllConnections(); // fetch keeps its connections alive
    conn.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`custom-reactor failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
