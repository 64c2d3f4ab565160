/**
 * listen(), notifications$, notices$ and state$ against the real server:
 * refcounted LISTEN/UNLISTEN, a 10,000-notification burst, quoting, gaps
 * after an unexpected loss, and the 'busy'/'ready' states.
 */
import { Connection, DatabaseError, fail, Notification, NotificationGap } from '../../src/index';
import { listen, listenedChannels } from '../../src/rx/listen';
import { notices$, notifications$ } from '../../src/rx/notifications';
import { state$, stateChanges$, type StateChange } from '../../src/rx/state';
import { adminQuery } from '../support/server';
import { take, until, useNotifyPair } from './helpers';

const t = useNotifyPair('rxlisten');

async function listening(c: Connection): Promise<string[]> {
  const rows = await c.runQuery<{ ch: string }>('SELECT pg_listening_channels() AS ch ORDER BY 1');
  return rows.map((r) => r.ch);
}

describe('listen(channel)', () => {
  it('LISTENs on the first subscription and UNLISTENs when the last subscriber leaves', async () => {
    const confirmed: string[] = [];
    const a = listen(t.conn, 'jobs', { onListen: (c) => confirmed.push(c) }).subscribe();
    const b = listen(t.conn, 'jobs').subscribe();
    await until(() => confirmed.length === 1);
    expect(await listening(t.conn)).toEqual(['jobs']);
    a.unsubscribe();
    expect(await listening(t.conn)).toEqual(['jobs']);
    b.unsubscribe();
    expect(await listening(t.conn)).toEqual([]);
    expect(listenedChannels(t.conn)).toEqual([]);
  });

  it('emits only the notifications of its own channel, for several channels at once', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const sa = listen(t.conn, 'chan_a').subscribe((n) => a.push((n as Notification).payload));
    const sb = listen(t.conn, 'chan_b').subscribe((n) => b.push((n as Notification).payload));
    await until(() => listenedChannels(t.conn).length === 2);
    await t.conn.runQuery('SELECT 1');
    await t.sender.runOperation("NOTIFY chan_a, 'a1'; NOTIFY chan_b, 'b1'; NOTIFY chan_c, 'c1'; NOTIFY chan_a, 'a2'", [], { simple: true });
    await until(() => a.length === 2 && b.length === 1);
    expect(a).toEqual(['a1', 'a2']);
    expect(b).toEqual(['b1']);
    sa.unsubscribe();
    sb.unsubscribe();
  });

  it('quotes channel names safely (mixed case, spaces, quotes)', async () => {
    const name = 'Odd "chan"; DROP TABLE x';
    const got = take(listen(t.conn, name), 1);
    await until(() => listenedChannels(t.conn).includes(name));
    await t.conn.runQuery('SELECT 1');
    await t.sender.runOperation('SELECT pg_notify($1, $2)', [name, 'ok']);
    const [n] = await got;
    expect((n as Notification).channel).toBe(name);
    expect(await listening(t.conn)).toEqual([]);
  });

  it('delivers from the listening session itself', async () => {
    const got = take(listen(t.conn, 'self'), 1);
    await t.conn.runQuery('SELECT 1');
    await t.conn.runOperation("NOTIFY self, 'me'");
    const [n] = (await got) as Notification[];
    expect(n.pid).toBe(t.conn.processId);
  });

  it('receives a burst of 10,000 notifications complete and in order', async () => {
    const got = take(listen(t.conn, 'burst'), 10000, 20000);
    await t.conn.runQuery('SELECT 1');
    await t.sender.runOperation("SELECT pg_notify('burst', i::text) FROM generate_series(0, 9999) i");
    const ns = (await got) as Notification[];
    expect(ns.map((n) => Number(n.payload))).toEqual(Array.from({ length: 10000 }, (_, i) => i));
    expect(await listening(t.conn)).toEqual([]);
  });

  it('errors the subscriber when the server refuses LISTEN, and completes subscribers on close()', async () => {
    class Standby extends Connection {
      override runOperation(sql: string, params?: unknown[]) {
        if (sql.startsWith('LISTEN')) return fail<never>(new DatabaseError({ sqlstate: '25006', message: 'cannot execute LISTEN during recovery' }));
        return super.runOperation(sql, params);
      }
    }
    const s = new Standby();
    await s.connect(t.db.url());
    const err = await new Promise<unknown>((resolve) => listen(s, 'x').subscribe({ error: resolve }));
    expect(err).toMatchObject({ code: '25006' });
    expect(listenedChannels(s)).toEqual([]);
    s.close();
    const c = new Connection();
    await c.connect(t.db.url());
    const done = new Promise<void>((resolve) => listen(c, 'x').subscribe({ complete: resolve }));
    await c.runQuery('SELECT 1');
    c.close();
    await done;
  });

  it('re-LISTENs after an unexpected loss and emits one gap before the next notification', async () => {
    const c = new Connection();
    await c.connect(t.db.url());
    const values: Array<Notification | NotificationGap> = [];
    const quiet: Array<Notification | NotificationGap> = [];
    const confirmed: number[] = [];
    listen(c, 'gappy', { onListen: () => confirmed.push(c.reactor.now()) }).subscribe((v) => values.push(v));
    listen(c, 'gappy', { gaps: false }).subscribe((v) => quiet.push(v));
    await until(() => confirmed.length === 1);
    const lostAt = c.reactor.now();
    await adminQuery('SELECT pg_terminate_backend($1)', [c.processId]);
    await until(() => c.state === 'closed');
    await c.connect(t.db.url());
    await until(() => confirmed.length === 2);
    expect(await listening(c)).toEqual(['gappy']);
    await t.sender.runOperation("NOTIFY gappy, 'after'");
    await until(() => values.length === 2 && quiet.length === 1);
    const gap = values[0] as NotificationGap;
    expect(gap).toBeInstanceOf(NotificationGap);
    expect(gap.channel).toBe('gappy');
    expect(gap.from).toBeGreaterThanOrEqual(lostAt);
    expect(gap.to).toBeGreaterThanOrEqual(gap.from);
    expect((values[1] as Notification).payload).toBe('after');
    expect(quiet[0]).toBeInstanceOf(Notification);
    c.close();
  });
});

describe('listen(channel) with a detector driving the states', () => {
  it('treats dead -> reconnecting -> ready as an outage: re-LISTEN, one gap, onListen again', async () => {
    const c = new Connection();
    await c.connect(t.db.url());
    const values: Array<Notification | NotificationGap> = [];
    let listens = 0;
    listen(c, 'det', { onListen: () => listens++ }).subscribe((v) => values.push(v));
    await until(() => listens === 1);
    c.setState('dead', new Error('probe failed'));
    c.setState('reconnecting');
    c.setState('ready');
    await until(() => listens === 2);
    expect(values).toHaveLength(1);
    expect(values[0]).toBeInstanceOf(NotificationGap);
    await t.sender.runOperation("NOTIFY det, 'x'");
    await until(() => values.length === 2);
    expect((values[1] as Notification).payload).toBe('x');
    c.close();
  });
});

describe('notifications$ and notices$', () => {
  it('notifications$ emits everything the connection receives', async () => {
    await t.conn.runOperation('LISTEN any1');
    await t.conn.runOperation('LISTEN any2');
    const got = take(notifications$(t.conn), 2);
    await t.sender.runOperation("NOTIFY any1, 'x'; NOTIFY any2, 'y'", [], { simple: true });
    expect((await got).map((n) => `${n.channel}:${n.payload}`)).toEqual(['any1:x', 'any2:y']);
    await t.conn.runOperation('UNLISTEN *');
  });

  it('notices$ emits every NoticeResponse as a Diagnostic with its fields', async () => {
    const got = take(notices$(t.conn), 1);
    await t.conn.runOperation(
      "DO $$ BEGIN RAISE NOTICE 'careful' USING DETAIL = 'some detail', HINT = 'a hint', ERRCODE = '01000'; END $$",
    );
    const [d] = await got;
    expect(d.severity).toBe('NOTICE');
    expect(d.message).toBe('careful');
    expect(d.detail).toBe('some detail');
    expect(d.hint).toBe('a hint');
    expect(d.sqlstate).toBe('01000');
  });
});

describe('state$', () => {
  it('starts with the current state and follows connecting, ready, busy and closed with reasons', async () => {
    const c = new Connection();
    const states: string[] = [];
    const changes: StateChange[] = [];
    state$(c).subscribe((s) => states.push(s));
    stateChanges$(c).subscribe((s) => changes.push(s));
    await c.connect(t.db.url());
    await c.runQuery('SELECT 1');
    await until(() => states[states.length - 1] === 'ready');
    await adminQuery('SELECT pg_terminate_backend($1)', [c.processId]);
    await until(() => states[states.length - 1] === 'closed');
    expect(states).toEqual(['closed', 'connecting', 'ready', 'busy', 'ready', 'closed']);
    expect(changes[changes.length - 1].reason).toBeInstanceOf(Error);
    expect(changes[0].reason).toBeUndefined();
  });
});
