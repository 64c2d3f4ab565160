/**
 * COPY on virtual time (issue 11): flow control both ways, measured on the
 * in-memory link, and the pump running on the reactor alone.
 *
 * - copyFrom: while the server does not read, what the client has buffered
 *   stays near the transport's high-water mark (plus one CopyData message)
 *   and the source is pulled no further; once the server reads again, the
 *   rest follows.
 * - copyTo: a consumer that lags makes the session stop reading from the
 *   server (the transport's pauseReading), so what waits on the client stays
 *   near COPY_OUT_HIGH_WATER_MARK (plus one server write); reading resumes as
 *   it catches up.
 * - Both complete with `reactor.flush()`/`advance()` alone: no Promise
 *   microtask (no event-loop turn) is needed inside the driver.
 */
import { Subject, concatMap, map, timer } from 'rxjs';
import { deferLater, type Deferred } from '../../src/defer';
import { COPY_OUT_HIGH_WATER_MARK, copyFrom, copyToCallback, copyToIterator } from '../../src/streaming/copy';
import { copyFrom as copyFromRx, copyTo } from '../../src/rx/copy';
import { reactorScheduler } from '../../src/rx/scheduler';
import { MEMORY_HIGH_WATER_MARK } from '../../reactor/virtual/memory-link';
import type { FakeBackend } from '../../src/testing';
import { settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;
let be: FakeBackend;
/** What the fake server received through COPY FROM STDIN. */
let copiedIn: { rows: number; bytes: number; messages: number };

/** One text-format row of the COPY TO data: 100 bytes with its newline. */
const ROW = 'x'.repeat(99) + '\n';
const CHUNKS_PER_WRITE = 50;
const WRITES = 200; // 10,000 rows, ~1 MB, in 200 separate server writes

/** Scripts COPY on `backend`: FROM STDIN counts what arrives; TO STDOUT sends `WRITES` writes of `CHUNKS_PER_WRITE` rows. */
function scriptCopy(backend: FakeBackend): void {
  backend.onMessage('Query', (m) => {
    if (/FROM STDIN/i.test(m.sql)) return backend.send({ type: 'CopyInResponse', format: 0, columnFormats: [0, 0] });
    if (/TO STDOUT/i.test(m.sql)) {
      backend.send({ type: 'CopyOutResponse', format: 0, columnFormats: [0] });
      const data = new TextEncoder().encode(ROW);
      for (let i = 0; i < WRITES; i++) backend.send(...Array.from({ length: CHUNKS_PER_WRITE }, () => ({ type: 'CopyData' as const, data })));
      return backend.send({ type: 'CopyDone' }, { type: 'CommandComplete', tag: `COPY ${WRITES * CHUNKS_PER_WRITE}` }, { type: 'ReadyForQuery', status: 'I' });
    }
    backend.serveMessage(m);
  });
  backend.onMessage('CopyData', (m) => {
    copiedIn.messages++;
    copiedIn.bytes += m.data.length;
    for (const b of m.data) if (b === 0x0a) copiedIn.rows++;
  });
  backend.onMessage('CopyDone', () =>
    backend.send({ type: 'CommandComplete', tag: `COPY ${copiedIn.rows}` }, { type: 'ReadyForQuery', status: 'I' }));
  backend.onMessage('CopyFail', (m) =>
    backend.send({ type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '57014', M: `COPY from stdin failed: ${m.message}` } }, { type: 'ReadyForQuery', status: 'I' }));
}

beforeEach(async () => {
  w = await virtualConnection();
  be = w.server.current;
  copiedIn = { rows: 0, bytes: 0, messages: 0 };
  scriptCopy(be);
});
afterEach(() => w.conn.close());

/** Flushes until `d` has fired (no event-loop turn, no virtual time). */
function flushUntil(d: Deferred<unknown>, rounds = 1000): void {
  for (let i = 0; i < rounds && !d.called; i++) w.reactor.flush();
}

function* rows(n: number, pulled: { n: number }): Generator<[number, string]> {
  for (let i = 0; i < n; i++) {
    pulled.n++;
    yield [i, `row number ${i} of the large source`];
  }
}

describe('copyFrom flow control', () => {
  it('buffers no more than the transport high-water mark plus one message while the server does not read, and pulls the source no further', async () => {
    const link = w.reactor.links[0];
    const pulled = { n: 0 };
    const N = 200_000; // ~8 MB of text
    be.onMessage('Query', () => be.transport?.pauseReading()); // the server stops reading once the COPY starts
    const d = copyFrom(w.conn, 'COPY big FROM STDIN', rows(N, pulled));
    await settle(w.reactor);
    expect(d.called).toBe(false);
    const bound = MEMORY_HIGH_WATER_MARK + 64 * 1024 + 1024; // the mark, one ~64 KiB CopyData, slack for headers
    expect(link.clientTransport.bufferedAmount).toBeGreaterThan(0);
    expect(link.clientTransport.maxBufferedAmount).toBeLessThanOrEqual(bound);
    const pulledWhilePaused = pulled.n;
    expect(pulledWhilePaused).toBeLessThan(N / 10);
    await settle(w.reactor);
    expect(pulled.n).toBe(pulledWhilePaused); // nothing more while the server does not read

    be.transport?.resumeReading();
    flushUntil(d);
    expect(d.called).toBe(true);
    expect(await d).toBe(N);
    expect(copiedIn.rows).toBe(N);
    expect(pulled.n).toBe(N);
    expect(link.clientTransport.maxBufferedAmount).toBeLessThanOrEqual(bound);
  });

  it('runs on the reactor alone: a synchronous source is copied with flush() only, no event-loop turn', async () => {
    const pulled = { n: 0 };
    const d = copyFrom(w.conn, 'COPY big FROM STDIN', rows(50_000, pulled));
    flushUntil(d);
    expect(d.called).toBe(true);
    expect(await d).toBe(50_000);
    expect(copiedIn.messages).toBeGreaterThan(10); // ~64 KiB messages, not one per row
  });

  it('runs on the reactor alone for an Observable source too', async () => {
    const source = new Subject<unknown[]>();
    const d = copyFromRx(w.conn, 'COPY big FROM STDIN', source);
    flushUntil(d, 10);
    for (let i = 0; i < 1000; i++) source.next([i, 'x']);
    source.complete();
    flushUntil(d);
    expect(d.called).toBe(true);
    expect(await d).toBe(1000);
  });
});

describe('copyTo flow control', () => {
  it('stops reading while a slow consumer lags, holding at most about COPY_OUT_HIGH_WATER_MARK on the client, and resumes as it catches up', async () => {
    const transport = w.reactor.links[0].clientTransport;
    const pauses = jest.spyOn(transport, 'pauseReading');
    const resumes = jest.spyOn(transport, 'resumeReading');
    const session = transport.handler;
    let received = 0;
    const original = session.dataReceived.bind(session);
    jest.spyOn(session, 'dataReceived').mockImplementation((bytes: Uint8Array) => {
      received += bytes.length;
      original(bytes);
    });
    const MESSAGE = ROW.length + 5; // a CopyData: type byte, length, the row
    let consumed = 0;
    let maxWaiting = 0;
    const d = copyToCallback(w.conn, 'COPY big TO STDOUT', () =>
      deferLater(w.reactor, 1, () => {
        consumed++;
        maxWaiting = Math.max(maxWaiting, received - consumed * MESSAGE);
      }));
    for (let t = 0; t < 20_000 && !d.called; t++) w.reactor.advance(1);
    expect(d.called).toBe(true);
    expect(await d).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(consumed).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(pauses.mock.calls.length).toBeGreaterThan(0);
    expect(resumes.mock.calls.length).toBeGreaterThanOrEqual(pauses.mock.calls.length);
    const oneWrite = CHUNKS_PER_WRITE * MESSAGE;
    expect(maxWaiting).toBeLessThanOrEqual(COPY_OUT_HIGH_WATER_MARK + 2 * oneWrite);
  });

  it('hands one CopyData per call by default, each chunk its own copy that later reads leave alone', async () => {
    const chunks: Uint8Array[] = [];
    const d = copyToCallback(w.conn, 'COPY big TO STDOUT', (chunk) => void chunks.push(chunk));
    await settle(w.reactor, d);
    expect(await d).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(chunks.length).toBe(WRITES * CHUNKS_PER_WRITE);
    const text = new TextDecoder();
    for (const c of chunks) expect(text.decode(c)).toBe(ROW);
  });

  it('with { batch: true } hands several CopyData per call, whole rows in order, and still stops reading while the consumer lags', async () => {
    const transport = w.reactor.links[0].clientTransport;
    const pauses = jest.spyOn(transport, 'pauseReading');
    const chunks: Uint8Array[] = [];
    const d = copyToCallback(w.conn, 'COPY big TO STDOUT', (chunk) => {
      chunks.push(chunk);
      return deferLater(w.reactor, 1, () => undefined);
    }, { batch: true });
    for (let t = 0; t < 20_000 && !d.called; t++) w.reactor.advance(1);
    expect(await d).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.length).toBeLessThan(WRITES * CHUNKS_PER_WRITE / 10); // batched: many rows per call
    const text = new TextDecoder();
    let rows = 0;
    for (const c of chunks) {
      expect(c.length % ROW.length).toBe(0); // whole messages only
      expect(text.decode(c)).toBe(ROW.repeat(c.length / ROW.length)); // intact after later reads
      expect(c.length).toBeLessThanOrEqual(COPY_OUT_HIGH_WATER_MARK + CHUNKS_PER_WRITE * ROW.length);
      rows += c.length / ROW.length;
    }
    expect(rows).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(pauses.mock.calls.length).toBeGreaterThan(0);
  });

  it('with { batch: true } fails with a consumer error after draining the COPY, and the connection stays usable', async () => {
    let calls = 0;
    const d = copyToCallback(w.conn, 'COPY big TO STDOUT', () => {
      calls++;
      throw new Error('consumer broke');
    }, { batch: true });
    await settle(w.reactor, d);
    await expect(d).rejects.toThrow('consumer broke');
    expect(calls).toBe(1);
    const q = w.conn.runQuery('BEGIN');
    await settle(w.reactor, q);
    expect(await q).toEqual([]);
  });

  it('keeps an asynchronous Observable subscriber within its window, through consumed', async () => {
    const transport = w.reactor.links[0].clientTransport;
    const pauses = jest.spyOn(transport, 'pauseReading');
    const done$ = new Subject<void>();
    let emitted = 0;
    let finished = 0;
    let maxOutstanding = 0;
    let completed = false;
    copyTo(w.conn, 'COPY big TO STDOUT', { consumed: done$, window: 10 })
      .pipe(
        concatMap((chunk) => {
          emitted++;
          maxOutstanding = Math.max(maxOutstanding, emitted - finished);
          return timer(1, reactorScheduler(w.reactor)).pipe(map(() => chunk.length)); // 1 virtual ms of work per value
        }),
      )
      .subscribe({
        next: () => {
          finished++;
          done$.next();
        },
        complete: () => {
          completed = true;
        },
      });
    for (let t = 0; t < 20_000 && !completed; t++) w.reactor.advance(1);
    expect(completed).toBe(true);
    expect(finished).toBe(WRITES * CHUNKS_PER_WRITE);
    expect(maxOutstanding).toBeLessThanOrEqual(10);
    expect(pauses.mock.calls.length).toBeGreaterThan(0);
  });

  it('reads only as fast as an async iterator consumes, and frees the connection when the loop leaves early', async () => {
    const transport = w.reactor.links[0].clientTransport;
    const pauses = jest.spyOn(transport, 'pauseReading');
    const it = copyToIterator(w.conn, 'COPY big TO STDOUT');
    let got = 0;
    for (;;) {
      const next = it.next();
      await settle(w.reactor, next);
      const r = await next;
      if (r.done) break;
      expect(r.value.length).toBe(ROW.length);
      if (++got === 3000) break;
    }
    expect(pauses.mock.calls.length).toBeGreaterThan(0);
    const end = it.return!();
    await settle(w.reactor, end);
    expect(await end).toEqual({ value: undefined, done: true });
    const d = w.conn.runQuery('BEGIN');
    await settle(w.reactor, d);
    expect(await d).toEqual([]);
  });
});
