/**
 * Pipelining on one connection, observed on the wire.
 *
 * A recording reactor wraps a NodeReactor: for each transport it logs, in
 * one sequence, every chunk the client writes and every chunk it receives.
 * Decoding both streams (FrontendDecoder, BackendDecoder) tells which
 * frontend messages were on the wire before a given backend message arrived.
 */
import type { ConnectOptions, Connector, Endpoint, Reactor, TlsOptions, Transport, TransportHandler } from '../../reactor/interfaces';
import { NodeReactor } from '../../reactor/node/node';
import { Connection, gatherResults } from '../../src/index';
import { BackendDecoder } from '../../src/protocol/decode';
import { FrontendDecoder } from '../../src/protocol/frontend-decode';
import { createTestDatabase, type TestDatabase } from '../support/server';

/** One recorded chunk: `seq` orders writes and reads of a transport. */
interface Chunk {
  seq: number;
  dir: 'out' | 'in';
  bytes: Uint8Array;
}

/** A Reactor that records the bytes of every transport it makes. */
class RecordingReactor implements Reactor {
  readonly logs: Chunk[][] = [];
  private seq = 0;
  constructor(private readonly inner: Reactor) {}
  now(): number { return this.inner.now(); }
  callLater(ms: number, fn: () => void) { return this.inner.callLater(ms, fn); }
  callSoon(fn: () => void): void { this.inner.callSoon(fn); }

  connect(endpoint: Endpoint, handler: TransportHandler, options?: ConnectOptions): Connector {
    const log: Chunk[] = [];
    this.logs.push(log);
    const record = (dir: Chunk['dir'], bytes: Uint8Array): void => { log.push({ seq: this.seq++, dir, bytes: bytes.slice() }); };
    return this.inner.connect(endpoint, {
      connectionMade: (t) => handler.connectionMade(recordingTransport(t, (b) => record('out', b))),
      dataReceived: (b) => { record('in', b); handler.dataReceived(b); },
      eofReceived: handler.eofReceived?.bind(handler),
      connectionLost: (r) => handler.connectionLost(r),
    }, options);
  }
}

function recordingTransport(t: Transport, onWrite: (b: Uint8Array) => void): Transport {
  return {
    write: (b) => { onWrite(b); t.write(b); },
    startTls: (o: TlsOptions) => t.startTls(o),
    pauseReading: () => t.pauseReading(),
    resumeReading: () => t.resumeReading(),
    close: () => t.close(),
    abort: (r) => t.abort(r),
  };
}

/** Decodes one transport's log into messages stamped with the seq of the chunk that completed them. */
function decode(log: Chunk[]): { out: Array<{ seq: number; type: string }>; in: Array<{ seq: number; type: string }> } {
  const fe = new FrontendDecoder();
  const be = new BackendDecoder();
  const out: Array<{ seq: number; type: string }> = [];
  const inn: Array<{ seq: number; type: string }> = [];
  for (const c of log) {
    const dec = c.dir === 'out' ? fe : be;
    const sink = c.dir === 'out' ? out : inn;
    dec.feed(c.bytes);
    for (let m = dec.next(); m !== null; m = dec.next()) sink.push({ seq: c.seq, type: m.type });
  }
  return { out, in: inn };
}

let db: TestDatabase;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase('pipelining');
  url = `${db.url()}?sslmode=disable`; // trust superuser, cleartext: the recorded bytes are the protocol itself
});
afterAll(async () => {
  await db.drop();
});

describe('pipelining on one connection', () => {
  it('writes several Execute/Sync pairs before the first query\'s ReadyForQuery arrives', async () => {
    const reactor = new RecordingReactor(new NodeReactor());
    const conn = new Connection({ reactor });
    await conn.connect(url);
    try {
      const ds = Array.from({ length: 10 }, (_, i) => conn.runQuery<{ n: number }>('SELECT $1::int AS n, pg_sleep(0.01)', [i]));
      const results = await gatherResults(ds);
      expect(results.map((r) => r[0].n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      conn.close();
    }
    expect(reactor.logs).toHaveLength(1);
    const { out, in: received } = decode(reactor.logs[0]);
    expect(received.filter((m) => m.type === 'ReadyForQuery').length).toBeGreaterThanOrEqual(11); // startup + one per query
    // A new statement is first prepared (Parse/Describe/Sync, one round trip);
    // the question is what the client wrote before the FIRST QUERY's ReadyForQuery.
    const firstExecute = out.find((m) => m.type === 'Execute')!.seq;
    const firstQueryReady = received.find((m) => m.type === 'ReadyForQuery' && m.seq > firstExecute)!.seq;
    const before = out.filter((m) => m.seq < firstQueryReady);
    expect(before.filter((m) => m.type === 'Execute').length).toBeGreaterThanOrEqual(2);
    expect(before.filter((m) => m.type === 'Sync').length).toBeGreaterThanOrEqual(2);
  });

  it('returns 1,000 pipelined queries in order, each with its own parameters', async () => {
    const conn = new Connection();
    await conn.connect(url);
    try {
      const ds = Array.from({ length: 1000 }, (_, i) => conn.runQuery<{ n: number; s: string }>('SELECT $1::int AS n, $2::text AS s', [i, `q${i}`]));
      const results = await gatherResults(ds);
      expect(results).toHaveLength(1000);
      results.forEach((rows, i) => expect(rows).toEqual([{ n: i, s: `q${i}` }]));
    } finally {
      conn.close();
    }
  });

  it('keeps the order when one query in the middle of a pipeline fails', async () => {
    const conn = new Connection();
    await conn.connect(url);
    try {
      const ds = Array.from({ length: 20 }, (_, i) => conn.runQuery<{ n: number }>(i === 7 ? 'SELECT 1/0 AS n' : 'SELECT $1::int AS n', i === 7 ? [] : [i]));
      const settled = await Promise.all(ds.map((d) => d.then((rows) => rows[0].n, (e: { code?: string }) => e.code)));
      expect(settled).toEqual(Array.from({ length: 20 }, (_, i) => (i === 7 ? '22012' : i)));
    } finally {
      conn.close();
    }
  });
});
