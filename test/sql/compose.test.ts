/**
 * SQL composition (src/sql/compose.ts): rendering, and against the real
 * server: hostile identifiers and values stay data, literals read back
 * exactly whatever standard_conforming_strings says, and every query entry
 * point takes a composed statement.
 */
import { Connection, ConnectionPool, InterfaceError, literal, sql, toStatement } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';

const HOSTILE = `x'); DROP TABLE victims; -- \\' "q" \\\\ ñ 🐘`;

describe('rendering', () => {
  it('values become numbered parameters, fragments are inlined, nesting keeps the order', () => {
    const where = sql`a = ${1} AND b = ${'two'}`;
    const q = sql`SELECT ${sql.ident('s', 'my "t"')}.* FROM t WHERE ${where} OR c = ${3}`;
    expect(toStatement(q)).toEqual({ text: 'SELECT "s"."my ""t"""'.concat('.* FROM t WHERE a = $1 AND b = $2 OR c = $3'), params: [1, 'two', 3] });
  });

  it('join, raw, literal and param', () => {
    const cols = sql.join(['a', 'b b'].map((c) => sql.ident(c)));
    expect(toStatement(sql`SELECT ${cols} FROM t WHERE x IN (${sql.join([1, 2, 3])}) ${sql.raw('LIMIT 1')}`)).toEqual({
      text: 'SELECT "a", "b b" FROM t WHERE x IN ($1, $2, $3) LIMIT 1', params: [1, 2, 3],
    });
    expect(literal(null)).toBe('NULL');
    expect(literal(true)).toBe('TRUE');
    expect(literal(-1.5)).toBe('-1.5');
    expect(literal(10n ** 30n)).toBe('1000000000000000000000000000000');
    expect(literal(`it's a \\ path`)).toBe(`E'it''s a \\\\ path'`);
    expect(literal([1, 2])).toBe(`E'{"1","2"}'`);
  });

  it('refuses what cannot be safe: NUL in a literal or an identifier, an empty identifier', () => {
    expect(() => literal('a\0b')).toThrow(InterfaceError);
    expect(() => sql.ident('a\0b')).toThrow(InterfaceError);
    expect(() => sql.ident('')).toThrow(InterfaceError);
    expect(() => sql.ident()).toThrow(InterfaceError);
  });

  it('toString shows the text with placeholders, never the values', () => {
    expect(String(sql`SELECT ${'secret-value'}`)).toBe('SELECT $1');
  });
});

describe('on the server', () => {
  let db: TestDatabase;
  let conn: Connection;
  beforeAll(async () => {
    db = await createTestDatabase('compose');
    conn = new Connection({ env: {} });
    await conn.connect(db.url());
    await conn.runOperation('CREATE TABLE victims (v text)');
    await conn.runOperation("INSERT INTO victims VALUES ('alive')");
  });
  afterAll(async () => {
    conn.close();
    await db.drop();
  });

  it('a hostile table name is one identifier; a hostile value is one value (parameter and literal)', async () => {
    await conn.runOperation(sql`CREATE TABLE ${sql.ident(HOSTILE)} (${sql.ident(HOSTILE)} text)`);
    await conn.runOperation(sql`INSERT INTO ${sql.ident(HOSTILE)} VALUES (${HOSTILE}), (${sql.literal(HOSTILE)})`);
    const rows = await conn.runQuery(sql`SELECT ${sql.ident(HOSTILE)} AS v FROM ${sql.ident(HOSTILE)}`);
    expect(rows).toEqual([{ v: HOSTILE }, { v: HOSTILE }]);
    expect(await conn.runQuery('SELECT v FROM victims')).toEqual([{ v: 'alive' }]);
  });

  it.each(['on', 'off'])('a literal reads back exactly with standard_conforming_strings=%s', async (setting) => {
    await conn.runInteraction(async (c) => {
      await c.execute(`SET LOCAL standard_conforming_strings = ${setting}`);
      await c.execute(sql`SELECT ${sql.literal(HOSTILE)}::text AS v`);
      expect(c.fetchall()).toEqual([{ v: HOSTILE }]);
    });
  });

  it('cursor.execute and the pool take composed statements; extra parameters are refused', async () => {
    const c = conn.cursor();
    await c.execute(sql`SELECT ${41}::int + 1 AS n`);
    expect(c.fetchall()).toEqual([{ n: 42 }]);
    const pool = new ConnectionPool({ connect: db.url(), min: 1, max: 1 });
    try {
      expect(await pool.runQuery(sql`SELECT ${'p'}::text AS v`)).toEqual([{ v: 'p' }]);
    } finally {
      await pool.close();
    }
    await expect(conn.runQuery(sql`SELECT ${1}`, [2])).rejects.toMatchObject({ code: 'ERR_INVALID_PARAMS' });
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
