/**
 * Cursor on virtual time (issue 11): DB-API access to one result at a time
 * (execute fires with the cursor; fetchone/fetchmany/fetchall, description,
 * rowcount, statusmessage), executemany pipelined, callproc's quoting, a
 * closed cursor, a cursor's own types, and a cursorFactory subclass.
 */
import { Cursor, newType, registerType, type CursorHost, type Lease } from '../../src/index';
import { outcome, settle, virtualConnection, type VirtualWorld } from '../support/fake-backend';

let w: VirtualWorld;

beforeEach(async () => {
  w = await virtualConnection({
    before: (server) => {
      server.answer('SELECT id, name FROM fruit', {
        fields: [{ name: 'id', type: 'int4' }, 'name'],
        rows: [['1', 'apple'], ['2', 'pear'], ['3', null]],
      });
      server.answer(/^INSERT INTO fruit/, (call) => ({ tag: `INSERT 0 ${call.params.length === 0 ? 0 : 1}` }));
      server.answer('SELECT * FROM "Stock"."add"($1, $2)', (call) => ({
        fields: [{ name: 'add', type: 'int4' }],
        rows: [[String(Number(call.params[0]) + Number(call.params[1]))]],
        paramTypes: [23, 23],
      }));
      server.answer("SELECT 'hi' AS greeting", { fields: ['greeting'], rows: [['hi']] });
    },
  });
});
afterEach(() => w.conn.close());

describe('a result at a time', () => {
  it('execute fires with the cursor; fetchone, fetchmany and fetchall read the buffered rows; description, rowcount and statusmessage describe them', async () => {
    const cursor = w.conn.cursor();
    expect(await outcome(w.reactor, cursor.execute('SELECT id, name FROM fruit'))).toBe(cursor);
    expect(cursor.description?.map((c) => [c.name, c.typeOid])).toEqual([['id', 23], ['name', 25]]);
    expect(cursor.rowcount).toBe(3);
    expect(cursor.statusmessage).toBe('SELECT 3');
    expect(cursor.fetchone()).toEqual({ id: 1, name: 'apple' });
    expect(cursor.fetchmany(5)).toEqual([{ id: 2, name: 'pear' }, { id: 3, name: null }]);
    expect(cursor.fetchone()).toBeNull();
    expect(cursor.fetchall()).toEqual([]);
    await outcome(w.reactor, cursor.execute('SELECT id, name FROM fruit'));
    expect(cursor.fetchall()).toHaveLength(3); // a new result starts from its first row
  });

  it('a statement without rows sets rowcount and statusmessage, and fetching from it fails with ERR_NO_RESULTS', async () => {
    const cursor = w.conn.cursor();
    expect(() => cursor.fetchone()).toThrow(expect.objectContaining({ code: 'ERR_NO_RESULTS' })); // nothing executed yet
    await outcome(w.reactor, cursor.execute("INSERT INTO fruit VALUES ('fig')"));
    expect(cursor.rowcount).toBe(0);
    expect(cursor.statusmessage).toBe('INSERT 0 0');
    expect(cursor.description).toBeNull();
    expect(() => cursor.fetchall()).toThrow(expect.objectContaining({ code: 'ERR_NO_RESULTS' }));
  });

  it('a described statement without rows has no description either (null), and fetching from it fails', async () => {
    const cursor = w.conn.cursor();
    await outcome(w.reactor, cursor.execute('INSERT INTO fruit VALUES ($1)', ['fig']));
    expect(cursor.rowcount).toBe(1);
    expect(cursor.statusmessage).toBe('INSERT 0 1');
    expect(cursor.description).toBeNull();
    expect(() => cursor.fetchall()).toThrow(expect.objectContaining({ code: 'ERR_NO_RESULTS' }));
  });

  it('executemany pipelines every parameter list (all sent before the first answer), sums rowcount and keeps the last result', async () => {
    const cursor = w.conn.cursor();
    const be = w.server.current;
    await outcome(w.reactor, cursor.execute('INSERT INTO fruit VALUES ($1)', ['warm-up'])); // prepared: later runs need no Describe
    be.hold();
    const d = cursor.executemany('INSERT INTO fruit VALUES ($1)', [['kiwi'], ['lime'], ['plum']]);
    await settle(w.reactor);
    expect(be.held).toHaveLength(3);
    be.resume();
    expect(await outcome(w.reactor, d)).toBe(cursor);
    expect(cursor.rowcount).toBe(3);
    expect(be.executed.slice(-3).map((c) => c.params)).toEqual([['kiwi'], ['lime'], ['plum']]);
  });

  it('callproc quotes the (qualified) function name and passes the arguments as parameters', async () => {
    const cursor = w.conn.cursor();
    await outcome(w.reactor, cursor.callproc('Stock.add', [2, 40]));
    expect(cursor.fetchone()).toEqual({ add: 42 });
    expect(w.server.current.executed.at(-1)).toMatchObject({ sql: 'SELECT * FROM "Stock"."add"($1, $2)', params: ['2', '40'] });
  });

  it('a closed cursor fails execute with ERR_CURSOR_CLOSED without sending anything, and fetch throws', async () => {
    const cursor = w.conn.cursor();
    await outcome(w.reactor, cursor.execute('SELECT id, name FROM fruit'));
    cursor.close();
    const sent = w.server.current.received.length;
    expect(await outcome(w.reactor, cursor.execute('SELECT id, name FROM fruit'))).toMatchObject({ code: 'ERR_CURSOR_CLOSED' });
    expect(() => cursor.fetchall()).toThrow(expect.objectContaining({ code: 'ERR_CURSOR_CLOSED' }));
    expect(w.server.current.received.length).toBe(sent);
    expect(cursor.closed).toBe(true);
  });
});

describe('types and factories', () => {
  it("a type registered on a cursor applies to that cursor's statements only", async () => {
    const loud = w.conn.cursor();
    const quiet = w.conn.cursor();
    registerType(newType([25], 'shout', (t) => (t === null ? null : `${t.toUpperCase()}!`)), loud);
    await outcome(w.reactor, loud.execute("SELECT 'hi' AS greeting"));
    await outcome(w.reactor, quiet.execute("SELECT 'hi' AS greeting"));
    expect(loud.fetchall()).toEqual([{ greeting: 'HI!' }]);
    expect(quiet.fetchall()).toEqual([{ greeting: 'hi' }]);
    expect(await outcome(w.reactor, w.conn.runQuery("SELECT 'hi' AS greeting"))).toEqual([{ greeting: 'hi' }]);
  });

  it('cursor() and interactions build their cursors with the cursorFactory', async () => {
    const made: Array<'free' | 'lease'> = [];
    class Logged extends Cursor {
      constructor(host: CursorHost, lease: Lease | null) {
        super(host, lease);
        made.push(lease === null ? 'free' : 'lease');
      }
    }
    w.conn.cursorFactory = (host, lease) => new Logged(host, lease);
    expect(w.conn.cursor()).toBeInstanceOf(Logged);
    const inside = await outcome(w.reactor, w.conn.runInteraction((c: Cursor) => c));
    expect(inside).toBeInstanceOf(Logged);
    expect(made).toEqual(['free', 'lease']);
  });

  it('rowFactory per call: tuples instead of objects', async () => {
    const cursor = w.conn.cursor();
    await outcome(w.reactor, cursor.execute('SELECT id, name FROM fruit', [], { rowFactory: 'tuple' }));
    expect(cursor.fetchmany(2)).toEqual([[1, 'apple'], [2, 'pear']]);
  });
});
