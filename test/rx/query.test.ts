/**
 * query$ and its Readable / async-iterator faces against the real server:
 * rows arrive complete and in order, a slow consumer holds at most one batch,
 * leaving early frees the connection, errors roll back.
 */
import { Subject, concatMap } from 'rxjs';
import { Connection, objectRowFactory, type RowFactory } from '../../src/index';
import { query$ } from '../../src/rx/query';
import { queryIterator, queryStream } from '../../src/streaming/row-stream';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('rxquery');
  conn = new Connection();
  await conn.connect(db.url());
});
afterAll(async () => {
  conn.close();
  await db.drop();
});

/** A row factory that counts the rows the session has decoded. */
function counting(counter: { decoded: number }): RowFactory {
  return (cols) => {
    const make = objectRowFactory(cols);
    return (values) => {
      counter.decoded++;
      return make(values);
    };
  };
}

function collect<T>(source: import('rxjs').Observable<T>, each?: (v: T) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    source.subscribe({
      next: (v) => {
        each?.(v);
        out.push(v);
      },
      error: reject,
      complete: () => resolve(out),
    });
  });
}

describe('query$', () => {
  it('streams 100,000 rows in order while holding at most batchSize rows not yet consumed', async () => {
    const counter = { decoded: 0 };
    let consumed = 0;
    let maxAhead = 0;
    const rows = await collect(
      query$<{ n: number }>(conn, 'SELECT n FROM generate_series(1, $1::int) n', [100000], { batchSize: 1000, rowFactory: counting(counter) }),
      () => {
        consumed++;
        maxAhead = Math.max(maxAhead, counter.decoded - consumed + 1);
      },
    );
    expect(rows).toHaveLength(100000);
    expect(rows[0].n).toBe(1);
    expect(rows[99999].n).toBe(100000);
    expect(rows.every((r, i) => r.n === i + 1)).toBe(true);
    expect(maxAhead).toBeLessThanOrEqual(1000);
    expect(conn.transactionStatus).toBe('I');
  });

  it('holds at most batchSize rows for an asynchronous subscriber that acknowledges each row through consumed', async () => {
    const counter = { decoded: 0 };
    const done$ = new Subject<void>();
    let processed = 0;
    let maxAhead = 0;
    await new Promise<void>((resolve, reject) => {
      query$<{ n: number }>(conn, 'SELECT n FROM generate_series(1, $1::int) n', [20000], { batchSize: 500, rowFactory: counting(counter), consumed: done$ })
        .pipe(
          concatMap(async (row) => {
            maxAhead = Math.max(maxAhead, counter.decoded - processed);
            await new Promise((r) => setImmediate(r)); // asynchronous work per row
            processed++;
            done$.next();
            return row;
          }),
        )
        .subscribe({ error: reject, complete: resolve });
    });
    expect(processed).toBe(20000);
    expect(maxAhead).toBeLessThanOrEqual(500);
    expect(conn.transactionStatus).toBe('I');
  });

  it('frees the connection when the subscriber unsubscribes mid-stream', async () => {
    const got: number[] = [];
    await new Promise<void>((resolve) => {
      const sub = query$<{ n: number }>(conn, 'SELECT n FROM generate_series(1, 1000000) n', [], { batchSize: 100 }).subscribe((r) => {
        got.push(r.n);
        if (got.length === 250) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    const [row] = await conn.runQuery<{ x: number }>('SELECT 42 AS x');
    expect(row.x).toBe(42);
    expect(got).toHaveLength(250);
    expect(conn.transactionStatus).toBe('I');
  });

  it('passes a server error to the subscriber and rolls back, leaving the connection usable', async () => {
    const err = await collect(query$(conn, 'SELECT 1 / (n - 500) FROM generate_series(1, 1000) n', [], { batchSize: 100 })).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).toBe('22012');
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(conn.transactionStatus).toBe('I');
  });

  it('completes at once for a query with no rows', async () => {
    expect(await collect(query$(conn, 'SELECT 1 WHERE false'))).toEqual([]);
  });

  it('streams inside a transaction the caller opened, closing its cursor without ending the transaction', async () => {
    await conn.runOperation('BEGIN');
    expect(await collect(query$(conn, 'SELECT generate_series(1, 10) AS n', [], { batchSize: 3 }))).toHaveLength(10);
    expect(conn.transactionStatus).toBe('T');
    await conn.runOperation('ROLLBACK');
  });
});

describe('queryIterator and queryStream', () => {
  it('iterates every row with for await, one FETCH per batch as the loop advances', async () => {
    const counter = { decoded: 0 };
    let consumed = 0;
    let maxAhead = 0;
    for await (const row of queryIterator<{ n: number }>(conn, 'SELECT n FROM generate_series(1, 20000) n', [], {
      batchSize: 500,
      rowFactory: counting(counter),
    })) {
      consumed++;
      maxAhead = Math.max(maxAhead, counter.decoded - consumed + 1);
      if (row.n !== consumed) throw new Error(`row ${row.n} out of order`);
      if (consumed % 1000 === 0) await new Promise((r) => setImmediate(r)); // a slow consumer
    }
    expect(consumed).toBe(20000);
    expect(maxAhead).toBeLessThanOrEqual(500);
  });

  it('frees the connection when the loop breaks early', async () => {
    let n = 0;
    for await (const _ of queryIterator(conn, 'SELECT generate_series(1, 100000)', [], { batchSize: 100 })) {
      if (++n === 150) break;
    }
    expect(await conn.runQuery('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });

  it('reads every row from the Readable and frees the connection on destroy()', async () => {
    const all: number[] = [];
    for await (const row of queryStream(conn, 'SELECT n FROM generate_series(1, 5000) n', [], { batchSize: 300 })) all.push((row as { n: number }).n);
    expect(all).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    const readable = queryStream(conn, 'SELECT generate_series(1, 100000)', [], { batchSize: 100 });
    await new Promise<void>((resolve) => readable.once('data', () => resolve()));
    readable.destroy();
    expect(await conn.runQuery('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });
});
