/**
 * Streamed queries on virtual time (issue 11): RowStream's pull loop runs on
 * the reactor alone (Deferreds, no Promise microtasks), and query$ fetches
 * the next batch only once an asynchronous subscriber has acknowledged
 * every row of the previous one through `consumed`.
 */
import { Subject } from 'rxjs';
import type { Deferred } from '../../src/defer';
import { RowStream } from '../../src/streaming/row-stream';
import { query$ } from '../../src/rx/query';
import { virtualConnection, type VirtualWorld } from '../support/fake-backend';

const TOTAL = 250;
let w: VirtualWorld;
/** Rows handed out by the fake cursor so far. */
let served: number;

beforeEach(async () => {
  served = 0;
  w = await virtualConnection({
    before: (server) => {
      server.answer(/^DECLARE tspg_stream /, { tag: 'DECLARE CURSOR' });
      server.answer(/^CLOSE tspg_stream$/, { tag: 'CLOSE CURSOR' });
      server.answer(/^FETCH FORWARD (\d+) FROM tspg_stream$/, (call) => {
        if (call.describing) return { fields: ['n'] };
        const size = Number(/\d+/.exec(call.sql)![0]);
        const rows: string[][] = [];
        while (rows.length < size && served < TOTAL) rows.push([String(++served)]);
        return { fields: ['n'], rows, tag: `FETCH ${rows.length}` };
      });
    },
  });
});
afterEach(() => w.conn.close());

/** Flushes until `d` has fired (no event-loop turn, no virtual time). */
function flushUntil(d: Deferred<unknown>, rounds = 100): void {
  for (let i = 0; i < rounds && !d.called; i++) w.reactor.flush();
}

/** The FETCHes the server has run. */
function fetches(): number {
  return w.server.current.executed.filter((c) => c.sql.startsWith('FETCH')).length;
}

describe('RowStream on the reactor', () => {
  it('fetches every batch, then commits and frees the connection, with flush() alone', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100 });
    const sizes: number[] = [];
    for (;;) {
      const d = stream.next();
      flushUntil(d);
      expect(d.called).toBe(true);
      const batch = await d;
      if (batch === null) break;
      sizes.push(batch.length);
    }
    expect(sizes).toEqual([100, 100, 50]);
    const closed = stream.close();
    flushUntil(closed);
    expect(closed.called).toBe(true);
    expect(w.conn.transactionStatus).toBe('I');
    // 100, 100, 50: the first FETCH, two ahead of it, one more after the second batch (it finds no rows)
    expect(w.server.current.executed.map((c) => c.sql.split(' ')[0])).toEqual(['BEGIN', 'DECLARE', 'FETCH', 'FETCH', 'FETCH', 'FETCH', 'COMMIT']);
    const after = w.conn.runQuery('BEGIN');
    flushUntil(after);
    expect(after.called).toBe(true);
  });
});

describe('RowStream prefetch', () => {
  /** The statements the server ran, by their first word. */
  const statements = (): string[] => w.server.current.executed.map((c) => c.sql.split(' ')[0]);

  it('fetches two batches ahead by default', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 10 });
    const first = stream.next();
    flushUntil(first);
    expect((await first)!).toHaveLength(10);
    for (let i = 0; i < 5; i++) w.reactor.flush();
    expect(fetches()).toBe(3); // the first, and two ahead of the consumer
    const closed = stream.close();
    flushUntil(closed);
    expect(w.conn.transactionStatus).toBe('I');
  });

  it('sends the FETCH of the next batch when a full batch is handed out, never because one arrived', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100, prefetch: 1 });
    const first = stream.next();
    flushUntil(first);
    expect((await first)!).toHaveLength(100);
    w.reactor.flush();
    expect(fetches()).toBe(2); // the second batch is on its way while the consumer works on the first
    for (let i = 0; i < 5; i++) w.reactor.flush();
    expect(fetches()).toBe(2); // it arrived, but nobody took it: no third FETCH
    const second = stream.next();
    flushUntil(second);
    expect((await second)!.map((r) => r.n)).toEqual(Array.from({ length: 100 }, (_, i) => String(101 + i)));
    w.reactor.flush();
    expect(fetches()).toBe(3);
    const third = stream.next();
    flushUntil(third);
    expect((await third)!).toHaveLength(50);
    const end = stream.next();
    flushUntil(end);
    expect(await end).toBeNull();
    const closed = stream.close();
    flushUntil(closed);
    expect(statements()).toEqual(['BEGIN', 'DECLARE', 'FETCH', 'FETCH', 'FETCH', 'COMMIT']); // the short batch was the last: nothing fetched after it
    expect(w.conn.transactionStatus).toBe('I');
  });

  it('with prefetch: 0, fetches only when asked', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100, prefetch: 0 });
    const first = stream.next();
    flushUntil(first);
    await first;
    for (let i = 0; i < 5; i++) w.reactor.flush();
    expect(fetches()).toBe(1);
    const closed = stream.close();
    flushUntil(closed);
    expect(statements()).toEqual(['BEGIN', 'DECLARE', 'FETCH', 'COMMIT']);
  });

  it('keeps `prefetch` batches ahead, one speculative FETCH finding no rows after the last full batch', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 125, prefetch: 2 });
    const first = stream.next();
    flushUntil(first);
    await first;
    w.reactor.flush();
    expect(fetches()).toBe(3);
    const second = stream.next();
    flushUntil(second);
    expect((await second)!).toHaveLength(125);
    const end = stream.next();
    flushUntil(end);
    expect(await end).toBeNull();
    const closed = stream.close();
    flushUntil(closed);
    expect(fetches()).toBe(4); // 125 + 125 rows, then two FETCHes past the end
    expect(statements().at(-1)).toBe('COMMIT');
    expect(w.conn.transactionStatus).toBe('I');
  });

  it('closed while a FETCH is ahead: waits for it, then COMMIT, and frees the connection', async () => {
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100 });
    const first = stream.next();
    flushUntil(first);
    await first;
    const closed = stream.close(); // the second and third FETCH are in flight
    flushUntil(closed);
    expect(closed.called).toBe(true);
    expect(statements()).toEqual(['BEGIN', 'DECLARE', 'FETCH', 'FETCH', 'FETCH', 'COMMIT']);
    w.server.answer('SELECT 7 AS n', { fields: ['n'], rows: [['7']] });
    const after = w.conn.runQuery('SELECT 7 AS n');
    flushUntil(after);
    expect(await after).toEqual([{ n: '7' }]); // the connection is free and answers
  });

  it('a FETCH ahead that fails: the error reaches the consumer at the next batch, and the stream rolled back', async () => {
    let executed = 0;
    w.server.answer(/^FETCH/, (call) => {
      if (call.describing) return { fields: ['n'] };
      if (++executed === 2) return { error: { C: '57014', M: 'canceling statement due to statement timeout' } };
      return { fields: ['n'], rows: Array.from({ length: 100 }, (_, i) => [String(i + 1)]), tag: 'FETCH 100' };
    });
    const stream = new RowStream<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100 });
    const first = stream.next();
    flushUntil(first);
    expect((await first)!).toHaveLength(100);
    for (let i = 0; i < 5; i++) w.reactor.flush();
    const second = stream.next();
    flushUntil(second);
    expect(await second.then(() => null, (e: unknown) => e)).toMatchObject({ code: '57014' });
    expect(statements().at(-1)).toBe('ROLLBACK');
    expect(w.conn.transactionStatus).toBe('I');
  });
});

describe('query$ with an asynchronous subscriber', () => {
  it('fetches the next batch only once every row of the last one was acknowledged through consumed', async () => {
    const done$ = new Subject<void>();
    const got: string[] = [];
    let completed = false;
    query$<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100, consumed: done$ }).subscribe({
      next: (r) => got.push(r.n),
      complete: () => {
        completed = true;
      },
    });
    w.reactor.flush();
    expect(got).toHaveLength(100);
    expect(fetches()).toBe(1);
    for (let i = 0; i < 99; i++) done$.next();
    w.reactor.flush();
    expect(fetches()).toBe(1); // one row of the batch is still being worked on: at most batchSize rows on the client
    expect(got).toHaveLength(100);
    done$.next();
    w.reactor.flush();
    expect(fetches()).toBe(2);
    expect(got).toHaveLength(200);
    for (let i = 0; i < 100; i++) done$.next();
    w.reactor.flush();
    expect(got).toHaveLength(TOTAL);
    expect(completed).toBe(false); // the last rows are not acknowledged yet
    for (let i = 0; i < 50; i++) done$.next();
    w.reactor.flush();
    expect(completed).toBe(true);
    expect(got).toEqual(Array.from({ length: TOTAL }, (_, i) => String(i + 1)));
    expect(w.conn.transactionStatus).toBe('I');
  });

  it('without consumed, fetches as soon as the subscriber returned from the last row (a synchronous subscriber)', () => {
    const got: string[] = [];
    query$<{ n: string }>(w.conn, 'SELECT n FROM t', [], { batchSize: 100 }).subscribe((r) => got.push(r.n));
    w.reactor.flush();
    expect(got).toHaveLength(TOTAL);
  });
});
