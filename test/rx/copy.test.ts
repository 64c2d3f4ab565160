/**
 * COPY in and out against the real server: a 1,000,000-row round trip,
 * escapes and NULLs, Observable and async sources, and a failing source
 * aborting the COPY cleanly.
 */
import { from, Observable } from 'rxjs';
import { Connection } from '../../src/index';
import { CopyAborted, copyToCallback, copyToIterator, encodeCopyRow, parseCopyRow } from '../../src/streaming/copy';
import { copyFrom, copyTo } from '../../src/rx/copy';
import { createTestDatabase, type TestDatabase } from '../support/server';

let db: TestDatabase;
let conn: Connection;

beforeAll(async () => {
  db = await createTestDatabase('rxcopy');
  conn = new Connection();
  await conn.connect(db.url());
  await conn.runOperation('CREATE TABLE big (id int, name text)');
  await conn.runOperation('CREATE TABLE odd (a text, b text)');
});
afterAll(async () => {
  conn.close();
  await db.drop();
});
beforeEach(async () => {
  await conn.runOperation('TRUNCATE big, odd');
});

function* rows(n: number): Generator<[number, string]> {
  for (let i = 0; i < n; i++) yield [i, `name ${i}`];
}

describe('COPY', () => {
  it('round-trips 1,000,000 rows in and out exactly', async () => {
    const N = 1_000_000;
    expect(await copyFrom(conn, 'COPY big (id, name) FROM STDIN', rows(N))).toBe(N);
    const [{ c }] = await conn.runQuery<{ c: bigint }>('SELECT count(*) AS c FROM big');
    expect(c).toBe(BigInt(N));
    let i = 0;
    let bad = -1;
    await new Promise<void>((resolve, reject) =>
      copyTo(conn, 'COPY (SELECT id, name FROM big ORDER BY id) TO STDOUT', { rows: true }).subscribe({
        next: (r) => {
          if (bad < 0 && (r[0] !== String(i) || r[1] !== `name ${i}`)) bad = i;
          i++;
        },
        error: reject,
        complete: resolve,
      }),
    );
    expect(bad).toBe(-1);
    expect(i).toBe(N);
  }, 180_000); // a give-up bound for a loaded machine, never a speed bound

  it('keeps NULLs, tabs, newlines and backslashes through the text format', async () => {
    const data = [
      ['tab\there', null],
      ['line\nbreak\r', 'back\\slash'],
      ['', 'plain'],
    ];
    await copyFrom(conn, 'COPY odd FROM STDIN', data);
    expect(await conn.runQuery('SELECT a, b FROM odd ORDER BY b NULLS FIRST')).toEqual([
      { a: 'tab\there', b: null },
      { a: 'line\nbreak\r', b: 'back\\slash' },
      { a: '', b: 'plain' },
    ]);
    const back: Array<Array<string | null>> = [];
    await new Promise<void>((resolve) =>
      copyTo(conn, 'COPY (SELECT a, b FROM odd ORDER BY b NULLS FIRST) TO STDOUT', { rows: true }).subscribe({ next: (r) => back.push(r), complete: resolve }),
    );
    expect(back).toEqual(data);
  });

  it('accepts an Observable of rows, strings and bytes, and emits raw bytes', async () => {
    const source = from<Array<string | Uint8Array | unknown[]>>([[1, 'one'], '2\ttwo\n', new TextEncoder().encode('3\tthree\n')]);
    expect(await copyFrom(conn, 'COPY big FROM STDIN', source)).toBe(3);
    const chunks: Uint8Array[] = [];
    await new Promise<void>((resolve) =>
      copyTo(conn, 'COPY (SELECT * FROM big ORDER BY id) TO STDOUT').subscribe({ next: (c) => chunks.push(c), complete: resolve }),
    );
    const text = chunks.map((c) => new TextDecoder().decode(c)).join('');
    expect(text).toBe('1\tone\n2\ttwo\n3\tthree\n');
  });

  it('pulls an async source one chunk at a time', async () => {
    let produced = 0;
    async function* slow(): AsyncGenerator<unknown[]> {
      for (let i = 0; i < 5; i++) {
        produced++;
        await new Promise((r) => setImmediate(r));
        yield [i, `s${i}`];
      }
    }
    expect(await copyFrom(conn, 'COPY big FROM STDIN', slow())).toBe(5);
    expect(produced).toBe(5);
  });

  it('aborts with CopyFail when the source fails: CopyAborted with the cause, nothing copied, connection usable', async () => {
    const boom = new Error('source broke');
    const source = new Observable<unknown[]>((sub) => {
      sub.next([1, 'a']);
      sub.next([2, 'b']);
      sub.error(boom);
    });
    const err = await copyFrom(conn, 'COPY big FROM STDIN', source).then(
      () => null,
      (e: unknown) => e as CopyAborted,
    );
    expect(err).toBeInstanceOf(CopyAborted);
    expect(err!.code).toBe('ERR_COPY_ABORTED');
    expect(err!.cause).toBe(boom);
    expect(await conn.runQuery('SELECT count(*)::int AS n FROM big')).toEqual([{ n: 0 }]);
  });

  it('fails with the server error for bad data and for a statement that is not a COPY', async () => {
    await expect(copyFrom(conn, 'COPY big FROM STDIN', ['not-a-number\tx\n'])).rejects.toMatchObject({ code: '22P02' });
    await expect(copyFrom(conn, 'SELECT 1', [])).rejects.toMatchObject({ code: 'ERR_NOT_COPY' });
    await expect(copyFrom(conn, 'COPY nosuch FROM STDIN', [])).rejects.toMatchObject({ code: '42P01' });
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('delivers every row in order to a slow consumer (reading paused and resumed over a real socket), then frees the connection', async () => {
    const N = 100_000;
    expect(await copyFrom(conn, 'COPY big (id, name) FROM STDIN', rows(N))).toBe(N);
    let i = 0;
    let bad = -1;
    const decoder = new TextDecoder();
    const n = await copyToCallback(conn, 'COPY (SELECT id, name FROM big ORDER BY id) TO STDOUT', (chunk) => {
      const [id] = parseCopyRow(decoder.decode(chunk));
      if (bad < 0 && id !== String(i)) bad = i;
      i++;
      if (i % 500 === 0) return new Promise<void>((r) => setImmediate(r)); // the consumer lags now and then
    });
    expect(n).toBe(N);
    expect(bad).toBe(-1);
    expect(i).toBe(N);
    let j = 0;
    for await (const chunk of copyToIterator(conn, 'COPY (SELECT id FROM big ORDER BY id) TO STDOUT')) {
      if (decoder.decode(chunk) !== `${j}\n`) throw new Error(`row ${j} out of order`);
      if (++j % 1000 === 0) await new Promise((r) => setImmediate(r));
      if (j === 30_000) break;
    }
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }, 180_000); // a give-up bound for a loaded machine, never a speed bound

  it('encodes and parses text rows symmetrically', () => {
    const row = ['a\\b', null, 'x\ty', '3'];
    expect(parseCopyRow(encodeCopyRow(row))).toEqual(row);
  });
});
