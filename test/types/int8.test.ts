/**
 * int8 as bigint (the default), number or string (issue 14): the registry's
 * `options.int8`, in the text and binary formats, for int8 and int8[]; a
 * `number` beyond the safe integers is an `UnsafeInteger` error, never a
 * rounded value. Then the same against the real server: text results (a
 * statement's first run, `prepare: false`), binary results (a cached
 * statement), a pool, and the error failing the query.
 */
import {
  Connection, ConnectionPool, createDefaultRegistry, InterfaceError, Oid, ArrayOid, TypeParseError, TypeRegistry, UnsafeInteger,
} from '../../src/index';
import { int64Bytes } from '../../src/types/binary';
import { createTestDatabase, type TestDatabase } from '../support/server';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function decode(mode: 'bigint' | 'number' | 'string' | undefined, oid: number, format: 0 | 1, bytes: Uint8Array): unknown {
  const registry = createDefaultRegistry(mode === undefined ? {} : { int8: mode });
  return registry.decoder(oid, format)(bytes);
}

const MAX = Number.MAX_SAFE_INTEGER; // 9007199254740991
const cases: Array<[string, bigint]> = [
  ['0', 0n],
  ['-1', -1n],
  ['42', 42n],
  [String(MAX), BigInt(MAX)],
  [String(-MAX), BigInt(-MAX)],
  ['999999999999999', 999999999999999n],
  ['-999999999999999', -999999999999999n],
];
const unsafe: Array<[string, bigint]> = [
  [String(MAX + 1), BigInt(MAX) + 1n],
  ['9007199254740993', 9007199254740993n],
  [String(-MAX - 1), -BigInt(MAX) - 1n],
  ['9223372036854775807', 9223372036854775807n],
  ['-9223372036854775808', -9223372036854775808n],
];

describe('the registry option int8', () => {
  it('defaults to bigint, in both formats', () => {
    expect(createDefaultRegistry().options.int8).toBe('bigint');
    expect(TypeRegistry.default().options.int8).toBe('bigint');
    expect(decode(undefined, Oid.int8, 0, text('9223372036854775807'))).toBe(9223372036854775807n);
    expect(decode(undefined, Oid.int8, 1, int64Bytes(-5n))).toBe(-5n);
  });

  it.each([0, 1] as const)('number: safe integers exactly, in format %i', (format) => {
    for (const [t, n] of cases) expect(decode('number', Oid.int8, format, format === 0 ? text(t) : int64Bytes(n))).toBe(Number(n));
  });

  it.each([0, 1] as const)('number: beyond Number.MAX_SAFE_INTEGER an UnsafeInteger naming the value, in format %i', (format) => {
    for (const [t, n] of unsafe) {
      let error: unknown;
      try {
        decode('number', Oid.int8, format, format === 0 ? text(t) : int64Bytes(n));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnsafeInteger);
      expect(error).toBeInstanceOf(TypeParseError);
      expect(error).toMatchObject({ code: 'ERR_UNSAFE_INTEGER', typeName: 'int8', text: t });
      expect((error as Error).message).toContain('MAX_SAFE_INTEGER');
    }
  });

  it.each([0, 1] as const)('string: the decimal text of every value, in format %i', (format) => {
    for (const [t, n] of [...cases, ...unsafe]) expect(decode('string', Oid.int8, format, format === 0 ? text(t) : int64Bytes(n))).toBe(t);
  });

  it('int8[] elements follow the option; NULL elements stay null', () => {
    const literal = text(`{1,NULL,${MAX},-2}`);
    expect(decode('number', ArrayOid.int8, 0, literal)).toEqual([1, null, MAX, -2]);
    expect(decode('string', ArrayOid.int8, 0, literal)).toEqual(['1', null, String(MAX), '-2']);
    expect(decode('bigint', ArrayOid.int8, 0, literal)).toEqual([1n, null, BigInt(MAX), -2n]);
    expect(() => decode('number', ArrayOid.int8, 0, text('{1,9223372036854775807}'))).toThrow(UnsafeInteger);
  });

  it('int8range bounds are int8 values: they follow the option too', () => {
    expect(decode('number', Oid.int8range, 0, text('[1,5)'))).toMatchObject({ lower: 1, upper: 5 });
    expect(decode('string', Oid.int8range, 0, text('[1,5)'))).toMatchObject({ lower: '1', upper: '5' });
    expect(decode(undefined, Oid.int8range, 0, text('[1,5)'))).toMatchObject({ lower: 1n, upper: 5n });
  });

  it('leaves the other integer types alone', () => {
    const registry = createDefaultRegistry({ int8: 'string' });
    expect(registry.decoder(Oid.int4, 0)(text('7'))).toBe(7);
    expect(registry.decoder(Oid.numeric, 0)(text('12345678901234567890'))).toBe('12345678901234567890');
  });

  it('is read at decode time, and clone(options) overrides it on the copy only', () => {
    const registry = createDefaultRegistry();
    const decodeText = registry.decoder(Oid.int8, 0);
    registry.options.int8 = 'number';
    expect(decodeText(text('5'))).toBe(5);
    const copy = registry.clone({ int8: 'string' });
    expect(copy.decoder(Oid.int8, 1)(int64Bytes(5n))).toBe('5');
    expect(registry.options.int8).toBe('number');
    expect(registry.clone().options.int8).toBe('number');
  });

  it('refuses an unknown mode with ERR_INVALID_OPTION', () => {
    expect(() => createDefaultRegistry({ int8: 'float' as never })).toThrow(InterfaceError);
    expect(() => TypeRegistry.default().clone({ int8: 'Number' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('against the server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('int8');
  });
  afterAll(async () => {
    await db.drop();
  });

  const SQL = 'SELECT 9007199254740991::int8 AS max, -3::int8 AS neg, ARRAY[1, NULL, 2]::int8[] AS arr, count(*) AS n FROM generate_series(1, 4)';

  it('number: text on the first run, binary once cached, and the same values', async () => {
    const conn = new Connection({ types: TypeRegistry.default().clone({ int8: 'number' }) });
    await conn.connect(db.url());
    try {
      const first = await conn.runQuery(SQL);
      const cached = await conn.runQuery(SQL);
      expect(first.results[0].columns?.[0].format).toBe(0);
      expect(cached.results[0].columns?.[0].format).toBe(1); // the binary path
      for (const rows of [first, cached]) expect(rows).toEqual([{ max: MAX, neg: -3, arr: [1, null, 2], n: 4 }]);
    } finally {
      conn.close();
    }
  });

  it('number: a value beyond the safe integers fails the query with UnsafeInteger, on both paths, and the connection goes on', async () => {
    const conn = new Connection();
    conn.types.options.int8 = 'number';
    await conn.connect(db.url());
    try {
      for (const sql of ['SELECT 9007199254740992::int8 AS v', 'SELECT $1::int8 AS v']) {
        for (let run = 0; run < 2; run++) {
          const params = sql.includes('$1') ? ['9007199254740992'] : [];
          const error = await conn.runQuery(sql, params).then(() => null, (e: unknown) => e);
          expect(error).toBeInstanceOf(UnsafeInteger);
          expect(error).toMatchObject({ code: 'ERR_UNSAFE_INTEGER', text: '9007199254740992' });
        }
      }
      expect(await conn.runQuery('SELECT 1::int8 AS v')).toEqual([{ v: 1 }]);
    } finally {
      conn.close();
    }
  });

  it('string: every digit, on both paths, with prepare: false, and int8 parameters written back from strings', async () => {
    for (const prepare of [true, false]) {
      const conn = new Connection({ prepare, types: createDefaultRegistry({ int8: 'string' }) });
      await conn.connect(db.url());
      try {
        for (let run = 0; run < 2; run++) {
          const rows = await conn.runQuery<{ v: string; arr: string[] }>('SELECT $1::int8 AS v, ARRAY[$1::int8, -1] AS arr', ['-9223372036854775808']);
          expect(rows).toEqual([{ v: '-9223372036854775808', arr: ['-9223372036854775808', '-1'] }]);
        }
      } finally {
        conn.close();
      }
    }
  });

  it('bigint stays the default of a Connection and of a pool member; a pool takes the option through connectionOptions.types', async () => {
    const conn = new Connection();
    await conn.connect(db.url());
    expect(await conn.runQuery('SELECT 2::int8 AS v')).toEqual([{ v: 2n }]);
    conn.close();
    const pool = new ConnectionPool({ min: 1, connect: db.url(), connectionOptions: { types: TypeRegistry.default().clone({ int8: 'number' }) } });
    await pool.start();
    try {
      for (let run = 0; run < 2; run++) expect(await pool.runQuery('SELECT count(*) AS n FROM generate_series(1, 3)')).toEqual([{ n: 3 }]);
    } finally {
      await pool.close();
    }
  });
});
