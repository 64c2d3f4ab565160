import { Connection } from '../../src/index';
import { testServer } from '../support/server';

describe('Connection smoke', () => {
  it('connects, queries with parameters and closes', async () => {
    const conn = new Connection();
    await conn.connect(testServer().url);
    const rows = await conn.runQuery('SELECT $1::int + 1 AS n, $2::text AS t', [41, 'hi']);
    expect(rows).toEqual([{ n: 42, t: 'hi' }]);
    const again = await conn.runQuery('SELECT $1::int + 1 AS n, $2::text AS t', [1, 'x']);
    expect(again).toEqual([{ n: 2, t: 'x' }]);
    expect(await conn.runQuery('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    conn.close();
  });
});
