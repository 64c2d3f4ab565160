/**
 * The reactor conformance suite: one set of behaviours every reactor must have.
 *
 * Theory of operation. As Twisted's ReactorBuilder and psycopg's waitfns
 * tests do, the tests are written once against the {@link Reactor} interface
 * and an environment ({@link ConformanceEnv}) that knows how to run a server
 * for that reactor and how to let time pass: real time with short waits for
 * the Node and WebSocket reactors, the virtual clock (no real waiting) for
 * the VirtualReactor. Each reactor's test file calls
 * {@link describeReactorConformance}, handing it the test functions of its
 * runner ({@link ConformanceRunner}): the suite names no test framework.
 *
 * Half-close semantics checked here: `close()` sends FIN after the queued
 * bytes; the peer's handler gets `eofReceived` and may still write; when it
 * closes too, both sides get `connectionLost(null)`. A handler without
 * `eofReceived` closes its side automatically.
 *
 * Flow control checked here: a peer that pauses reading holds the writer
 * back: the writer's registered producer is paused once its buffer is full
 * (never more than once in a row), resumed only after the peer reads again
 * (never from inside `write()`), and every byte arrives intact; a producer
 * registered while the buffer is full is paused at once; an unregistered
 * producer, or the producer of a lost transport, is called no more.
 */
import type { Endpoint, Producer, Reactor, TlsInfo, Transport, TransportHandler } from '../interfaces';
import { Recorder } from './recorder';
import type { ConformanceExpect, ConformanceRunner } from './runner';

/**
 * How long a test waits for an event before failing (reactor time: real ms on
 * real reactors, where a loaded machine may be slow; virtual ms on the
 * VirtualReactor). Never a bound on how fast something happens.
 */
const PATIENCE_MS = 60_000;

/** What a reactor's test file provides to the suite. */
export interface ConformanceEnv {
  /** The reactor under test. */
  reactor: Reactor;
  /** Starts a server whose connections get handlers from `factory`; resolves with where to connect. */
  listen(factory: () => TransportHandler): Promise<Endpoint>;
  /** An endpoint where connecting is refused. */
  refusedEndpoint(): Promise<Endpoint>;
  /** An endpoint where connecting never completes (so a timeout must fire). */
  blackholeEndpoint(): Promise<Endpoint>;
  /** Drives the reactor until `done()` holds; fails after `maxMs` of reactor time. */
  runUntil(done: () => boolean, maxMs?: number): Promise<void>;
  /** Lets `ms` of reactor time pass. */
  wait(ms: number): Promise<void>;
  /** Stops servers started by the env. */
  close(): Promise<void>;
  /** False where an abort cannot be seen as a reset by the peer (unix sockets: the peer may only see EOF). */
  peerSeesReset?: boolean;
  /**
   * A server that answers `SSLREQ` with one byte `S`, then upgrades to TLS
   * and echoes; with the DER of its certificate. Absent where not supported.
   */
  tlsServer?(): Promise<{ endpoint: Endpoint; certDer: Uint8Array }>;
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const echo = (): Recorder => new Recorder({ data: (b, r) => r.transport?.write(b) });

/** The byte at offset `i` of the 10 MB test pattern. */
function pattern(i: number): number {
  return (i * 7 + (i >> 13)) & 0xff;
}

/** `n` bytes of the test pattern starting at offset `from`. */
function patternBytes(from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = pattern(from + i);
  return out;
}

/** A server handler that does not read until told, and checks that what it reads is the test pattern. */
function pausedPatternServer(servers: Recorder[]): () => Recorder {
  return () => {
    const server = new Recorder({
      keep: false,
      made: (t) => t.pauseReading(),
      data: (b, r) => {
        const offset = r.received - b.length;
        for (let i = 0; i < b.length && r.mismatch < 0; i++) if (b[i] !== pattern(offset + i)) r.mismatch = offset + i;
      },
      eof: () => {},
    });
    servers.push(server);
    return server;
  };
}

/** A producer that records the calls a transport makes to it, and whether one came from inside `write()`. */
class RecordingProducer implements Producer {
  readonly calls: string[] = [];
  paused = false;
  insideWrite = false;
  calledInsideWrite: string[] = [];
  bufferedAtPause = -1;
  constructor(private readonly transport: Transport, private readonly onResume: () => void = () => {}) {}

  pauseProducing(): void {
    this.calls.push('pause');
    this.paused = true;
    this.bufferedAtPause = this.transport.bufferedAmount ?? -1;
  }

  resumeProducing(): void {
    this.calls.push('resume');
    if (this.insideWrite) this.calledInsideWrite.push('resume');
    this.paused = false;
    this.onResume();
  }

  /** Writes through the transport, noting that calls made meanwhile come from inside write(). */
  write(bytes: Uint8Array): void {
    this.insideWrite = true;
    try {
      this.transport.write(bytes);
    } finally {
      this.insideWrite = false;
    }
  }
}

/**
 * A test's give-up bound (real ms) for a loaded machine: the bulk cases move
 * 32 MiB. Never a bound on how fast anything happens.
 */
export const CONFORMANCE_TEST_TIMEOUT_MS = 2 * PATIENCE_MS;

/**
 * Declares the conformance tests for one reactor, in a `describe` block
 * named `${name} conformance`, with the test functions of `runner` (jest's
 * globals, or any runner with a jest-compatible `expect`). `makeEnv` is
 * called before each test, and the env it returns closed after it.
 *
 * @example
 * ```ts
 * describeReactorConformance('MyReactor', async () => myEnv(), { describe, it, expect, beforeEach, afterEach });
 * ```
 */
export function describeReactorConformance(name: string, makeEnv: () => Promise<ConformanceEnv>, runner: ConformanceRunner): void {
  const { describe, expect, beforeEach, afterEach } = runner;
  const it = (title: string, fn: () => Promise<void>): void => runner.it(title, fn, CONFORMANCE_TEST_TIMEOUT_MS);
  describe(`${name} conformance`, () => {
    let env: ConformanceEnv;
    beforeEach(async () => {
      env = await makeEnv();
    }, CONFORMANCE_TEST_TIMEOUT_MS);
    afterEach(async () => {
      await env.close();
    }, CONFORMANCE_TEST_TIMEOUT_MS);

    async function connectTo(endpoint: Endpoint, client: Recorder): Promise<void> {
      env.reactor.connect(endpoint, client, { timeoutMs: 10_000 });
      await env.runUntil(() => client.transport !== undefined || client.isLost);
      expect(client.lost).toBeUndefined();
    }

    it('echoes bytes written by the client back through the server', async () => {
      const endpoint = await env.listen(echo);
      const client = new Recorder();
      await connectTo(endpoint, client);
      client.transport?.write(bytes('hello'));
      client.transport?.write(bytes(', world'));
      await env.runUntil(() => client.received >= 12);
      expect(client.text()).toBe('hello, world');
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
      expect(client.lost).toBeNull();
    });

    it('never calls the handler synchronously from connect', async () => {
      const endpoint = await env.listen(echo);
      const client = new Recorder();
      env.reactor.connect(endpoint, client);
      expect(client.events).toEqual([]);
      await env.runUntil(() => client.transport !== undefined);
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
    });

    it('half-closes: the peer sees EOF after the data, can still answer, and both then lose the connection cleanly', async () => {
      const servers: Recorder[] = [];
      const endpoint = await env.listen(() => {
        const server = new Recorder({
          eof: (r) => {
            r.transport?.write(bytes(`got ${r.text()}`));
            r.transport?.close();
          },
        });
        servers.push(server);
        return server;
      });
      const client = new Recorder({ eof: () => {} });
      await connectTo(endpoint, client);
      client.transport?.write(bytes('ping'));
      client.transport?.close();
      client.transport?.write(bytes('ignored after close'));
      await env.runUntil(() => client.isLost && servers[0]?.isLost === true);
      expect(servers[0].events.filter((e) => e !== 'data')).toEqual(['made', 'eof', 'lost']);
      expect(servers[0].text()).toBe('ping');
      expect(servers[0].lost).toBeNull();
      expect(client.text()).toBe('got ping');
      expect(client.events.filter((e) => e !== 'data')).toEqual(['made', 'eof', 'lost']);
      expect(client.lost).toBeNull();
    });

    it('closes the side of a handler without eofReceived when its peer closes', async () => {
      const servers: Recorder[] = [];
      const endpoint = await env.listen(() => {
        const server = new Recorder();
        servers.push(server);
        return server;
      });
      const client = new Recorder({ eof: () => {} });
      await connectTo(endpoint, client);
      client.transport?.close();
      await env.runUntil(() => client.isLost && servers[0]?.isLost === true);
      expect(client.eof).toBe(true);
      expect(client.lost).toBeNull();
      expect(servers[0].lost).toBeNull();
    });

    it('aborts at once: the aborting side loses the connection with its reason and the peer sees it end', async () => {
      const servers: Recorder[] = [];
      const endpoint = await env.listen(() => {
        const server = new Recorder({ eof: () => {} });
        servers.push(server);
        return server;
      });
      const client = new Recorder();
      await connectTo(endpoint, client);
      client.transport?.write(bytes('x'));
      await env.runUntil(() => servers[0]?.received === 1);
      const reason = new Error('giving up');
      client.transport?.abort(reason);
      const peerSawEnd = (): boolean => servers[0].isLost || (env.peerSeesReset === false && servers[0].eof);
      await env.runUntil(() => client.isLost && peerSawEnd());
      expect(client.lost).toBe(reason);
      if (env.peerSeesReset !== false) expect(servers[0].lost).toMatchObject({ code: 'ECONNRESET' });
    });

    it('carries a 10 MB write intact, even when the caller reuses its buffer right after write', async () => {
      const endpoint = await env.listen(() => new Recorder({ keep: false, data: (b, r) => r.transport?.write(b) }));
      const size = 10 * 1024 * 1024;
      const big = new Uint8Array(size);
      for (let i = 0; i < size; i++) big[i] = pattern(i);
      let mismatch = -1;
      let offset = 0;
      const client = new Recorder({
        keep: false,
        data: (b) => {
          for (let i = 0; i < b.length && mismatch < 0; i++) if (b[i] !== pattern(offset + i)) mismatch = offset + i;
          offset += b.length;
        },
      });
      await connectTo(endpoint, client);
      client.transport?.write(big);
      big.fill(0);
      await env.runUntil(() => client.received >= size || client.isLost, 20_000);
      expect(client.received).toBe(size);
      expect(mismatch).toBe(-1);
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
    });

    it('delivers nothing while reading is paused, then everything, EOF last, after resume', async () => {
      const endpoint = await env.listen(() => new Recorder({
        made: (t) => {
          t.write(bytes('abc'));
          t.write(bytes('def'));
          t.close();
        },
      }));
      const client = new Recorder({ made: (t) => t.pauseReading(), eof: () => {} });
      await connectTo(endpoint, client);
      await env.wait(60);
      expect(client.received).toBe(0);
      expect(client.eof).toBe(false);
      client.transport?.resumeReading();
      await env.runUntil(() => client.eof);
      expect(client.text()).toBe('abcdef');
      client.transport?.close();
      await env.runUntil(() => client.isLost);
      expect(client.lost).toBeNull();
    });

    it('pauses a registered producer while the peer does not read, keeps what is written bounded, resumes it once the peer reads, and delivers every byte', async () => {
      const servers: Recorder[] = [];
      const endpoint = await env.listen(pausedPatternServer(servers));
      const client = new Recorder();
      await connectTo(endpoint, client);
      const transport = client.transport!;
      const CHUNK = 16 * 1024;
      const CAP = 512 * 1024 * 1024; // far more than any buffer between the two ends holds
      let sent = 0;
      let limit = CAP;
      const produce = (): void => {
        while (!producer.paused && sent < limit) {
          producer.write(patternBytes(sent, CHUNK));
          sent += CHUNK;
        }
      };
      const producer = new RecordingProducer(transport, () => env.reactor.callSoon(produce));
      expect(transport.registerProducer).toBeDefined();
      transport.registerProducer?.(producer);
      produce();
      expect(producer.calls).toEqual(['pause']); // the writer's own buffer is full
      expect(producer.bufferedAtPause).toBeGreaterThan(0);
      // The peer reads nothing. Buffers between the ends (the kernel's, a relay's) may still take some, each
      // time resuming the producer, which writes until paused again; they are finite, so it ends up paused
      // for good, long before CAP. (On the VirtualReactor nothing lies between: it never resumes.)
      let calls = 0;
      for (let tries = 0; tries < PATIENCE_MS / 100 && (calls !== producer.calls.length || !producer.paused); tries++) {
        calls = producer.calls.length;
        await env.wait(100);
      }
      expect(producer.paused).toBe(true);
      expect(sent).toBeLessThan(CAP / 4);
      const callsBeforeRead = producer.calls.length;
      limit = sent + 1024 * 1024;
      servers[0].transport?.resumeReading();
      await env.runUntil(() => servers[0].received >= limit || servers[0].isLost || client.isLost, PATIENCE_MS);
      expect(servers[0].received).toBe(limit);
      expect(servers[0].mismatch).toBe(-1);
      expect(producer.calls.slice(callsBeforeRead)).toContain('resume'); // resumed once the peer read
      expect(producer.calls[0]).toBe('pause');
      expect(producer.calls.join(' ')).not.toMatch(/pause pause|resume resume/);
      expect(producer.calledInsideWrite).toEqual([]);
      await env.runUntil(() => transport.bufferedAmount === 0);
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
    });

    it('pauses a producer registered while the buffer is full at once; an unregistered one, or one of a lost transport, is called no more', async () => {
      const servers: Recorder[] = [];
      const endpoint = await env.listen(pausedPatternServer(servers));
      const client = new Recorder();
      await connectTo(endpoint, client);
      const transport = client.transport!;
      const SIZE = 32 * 1024 * 1024;
      transport.write(patternBytes(0, SIZE)); // more than the buffers between the ends hold: the writer's own is full
      const first = new RecordingProducer(transport);
      transport.registerProducer?.(first);
      expect(first.calls).toEqual(['pause']);
      transport.unregisterProducer?.();
      servers[0].transport?.resumeReading();
      await env.runUntil(() => servers[0].received >= SIZE || servers[0].isLost || client.isLost, PATIENCE_MS);
      expect(servers[0].received).toBe(SIZE);
      expect(servers[0].mismatch).toBe(-1);
      await env.runUntil(() => transport.bufferedAmount === 0);
      await env.wait(20);
      expect(first.calls).toEqual(['pause']); // unregistered: no resume

      const second = new RecordingProducer(transport);
      transport.registerProducer?.(second);
      expect(second.calls).toEqual([]); // the buffer is not full now
      servers[0].transport?.pauseReading();
      await env.wait(20);
      transport.write(patternBytes(SIZE, SIZE));
      expect(second.calls).toEqual(['pause']);
      transport.abort();
      await env.runUntil(() => client.isLost);
      await env.wait(20);
      expect(second.calls).toEqual(['pause']); // lost: never resumed
    });

    it('runs callSoon calls first, then delayed calls by due time, FIFO among equal times', async () => {
      const { reactor } = env;
      const order: string[] = [];
      const start = reactor.now();
      const at: Record<string, number> = {};
      const mark = (name: string) => () => {
        order.push(name);
        at[name] = reactor.now() - start;
      };
      const later = (name: string, ms: number) => ({ name, call: reactor.callLater(ms, mark(name)) });
      const calls = [later('c', 30), later('a1', 10), later('b', 20), later('a2', 10), later('zero', 0)];
      reactor.callSoon(mark('soon1'));
      reactor.callSoon(mark('soon2'));
      expect(order).toEqual([]);
      await env.runUntil(() => order.length === 7, PATIENCE_MS);
      // A call is due at the time it was scheduled plus its delay. On a virtual clock the five were scheduled
      // at one instant, so this is zero, a1, a2, b, c; on a real clock a loaded machine may let time pass
      // between two callLater calls, so the order expected is by each call's own due time (FIFO among equals).
      const byDueTime = [...calls].sort((x, y) => x.call.time - y.call.time).map((x) => x.name);
      expect(order).toEqual(['soon1', 'soon2', ...byDueTime]);
      expect(at.a1).toBeGreaterThanOrEqual(10);
      expect(at.b).toBeGreaterThanOrEqual(20);
      expect(at.c).toBeGreaterThanOrEqual(30);
    });

    it('runs a callSoon scheduled inside dataReceived only after the handler has returned', async () => {
      const endpoint = await env.listen(echo);
      const order: string[] = [];
      const client = new Recorder({
        data: () => {
          env.reactor.callSoon(() => order.push('soon'));
          order.push('handler returning');
        },
      });
      await connectTo(endpoint, client);
      client.transport?.write(bytes('x'));
      await env.runUntil(() => order.length === 2);
      expect(order).toEqual(['handler returning', 'soon']);
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
    });

    it('runs callSoon calls queued by a callSoon call after the current batch, in order', async () => {
      const order: string[] = [];
      env.reactor.callSoon(() => {
        order.push('a');
        env.reactor.callSoon(() => order.push('c'));
      });
      env.reactor.callSoon(() => order.push('b'));
      await env.runUntil(() => order.length === 3);
      expect(order).toEqual(['a', 'b', 'c']);
    });

    it('cancels, resets and delays delayed calls', async () => {
      const { reactor } = env;
      const order: string[] = [];
      const start = reactor.now();
      const cancelled = reactor.callLater(10, () => order.push('cancelled'));
      const reset = reactor.callLater(10, () => order.push('reset'));
      const delayed = reactor.callLater(10, () => order.push('delayed'));
      const marker = reactor.callLater(25, () => order.push('marker'));
      cancelled.cancel();
      cancelled.cancel();
      expect(cancelled.active()).toBe(false);
      reset.reset(50);
      expect(reset.time).toBeGreaterThanOrEqual(start + 50);
      const dueBefore = delayed.time;
      delayed.delay(30);
      expect(delayed.time).toBeCloseTo(dueBefore + 30, 6);
      await env.runUntil(() => order.length === 3, PATIENCE_MS);
      // marker (25), delayed (10 + 30), reset (50) on a virtual clock; on a real one, by each call's due time
      // (a loaded machine may let time pass between the calls above, never reorder what is due)
      const byDueTime = [{ name: 'marker', call: marker }, { name: 'delayed', call: delayed }, { name: 'reset', call: reset }]
        .sort((x, y) => x.call.time - y.call.time).map((x) => x.name);
      expect(order).toEqual(byDueTime);
      expect(reset.active()).toBe(false);
      expect(() => reset.reset(1)).toThrow();
      expect(() => cancelled.delay(1)).toThrow();
    });

    it('reports a refused connection as connectionLost with ECONNREFUSED and no connectionMade', async () => {
      const endpoint = await env.refusedEndpoint();
      const client = new Recorder();
      env.reactor.connect(endpoint, client, { timeoutMs: 10_000 });
      expect(client.events).toEqual([]);
      await env.runUntil(() => client.isLost);
      expect(client.events).toEqual(['lost']);
      expect(client.lost).toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('fails a connect that does not complete within timeoutMs with ERR_CONNECT_TIMEOUT', async () => {
      const endpoint = await env.blackholeEndpoint();
      const client = new Recorder();
      const start = env.reactor.now();
      env.reactor.connect(endpoint, client, { timeoutMs: 100 });
      // fired by its own 100 ms timer: before a reactor timer of 10x that, armed after it (no wall-clock bound)
      let witnessFired = false;
      const witness = env.reactor.callLater(1000, () => { witnessFired = true; });
      await env.runUntil(() => client.isLost, PATIENCE_MS);
      const elapsed = env.reactor.now() - start;
      witness.cancel();
      expect(client.events).toEqual(['lost']);
      expect(client.lost).toMatchObject({ code: 'ERR_CONNECT_TIMEOUT', timeoutMs: 100 });
      expect(elapsed).toBeGreaterThanOrEqual(100);
      expect(witnessFired).toBe(false);
    });

    it('cancels a pending connect: the handler sees ERR_CONNECT_CANCELLED', async () => {
      const endpoint = await env.blackholeEndpoint();
      const client = new Recorder();
      const connector = env.reactor.connect(endpoint, client);
      connector.cancel();
      await env.runUntil(() => client.isLost, PATIENCE_MS);
      expect(client.events).toEqual(['lost']);
      expect(client.lost).toMatchObject({ code: 'ERR_CONNECT_CANCELLED' });
    });

    it('aborts the connection of a handler that throws, with the thrown error', async () => {
      const endpoint = await env.listen(echo);
      const boom = new Error('handler bug');
      const client = new Recorder({ data: () => { throw boom; } });
      await connectTo(endpoint, client);
      client.transport?.write(bytes('x'));
      await env.runUntil(() => client.isLost);
      expect(client.lost).toBe(boom);
    });

    it('upgrades to TLS on the same connection after a one-byte answer, when supported', async () => {
      if (!env.tlsServer) return expectNoTls(env, expect);
      const { endpoint, certDer } = await env.tlsServer();
      let info: TlsInfo | undefined;
      let failure: unknown;
      const client = new Recorder({
        data: (b, r) => {
          if (info || r.received !== 1) return;
          expect(b[0]).toBe(0x53); // 'S'
          r.chunks.length = 0;
          r.transport?.startTls({ rejectUnauthorized: false, servername: 'localhost' }).then((i) => {
            info = i;
            r.transport?.write(bytes('over tls'));
          }, (e: unknown) => { failure = e; });
        },
      });
      await connectTo(endpoint, client);
      client.transport?.write(bytes('SSLREQ'));
      await env.runUntil(() => client.text() === 'over tls' || failure !== undefined || client.isLost);
      expect(failure).toBeUndefined();
      expect(client.text()).toBe('over tls');
      expect(Buffer.from(info?.peerCertificateDer ?? [])).toEqual(Buffer.from(certDer));
      expect(info?.peerCertificateHash).toBe('sha256');
      expect(info?.protocol).toMatch(/^TLSv1\.[23]$/);
      client.transport?.abort();
      await env.runUntil(() => client.isLost);
    });
  });
}

/** Where TLS is not offered by the env, startTls must still settle (resolve or reject), never hang. */
async function expectNoTls(env: ConformanceEnv, expect: ConformanceExpect): Promise<void> {
  const endpoint = await env.listen(echo);
  const client = new Recorder();
  env.reactor.connect(endpoint, client);
  await env.runUntil(() => client.transport !== undefined);
  let settled = false;
  client.transport?.startTls({}).then(() => { settled = true; }, () => { settled = true; });
  await env.runUntil(() => settled);
  expect(settled).toBe(true);
  client.transport?.abort();
  await env.runUntil(() => client.isLost);
}
