/**
 * listen() made while the connection cannot LISTEN (before connect(), while
 * the detector reconnects it) waits and LISTENs once the connection is
 * ready; channel names PostgreSQL would truncate are refused.
 */
import { Connection, DeadConnectionDetector, InterfaceError, Notification, NotificationGap } from '../../src/index';
import { listen } from '../../src/rx/listen';
import { adminQuery } from '../support/server';
import { until, useNotifyPair } from './helpers';

const t = useNotifyPair('listenwait');

describe('listen() waits for a live connection', () => {
  it('before connect(): no error; LISTENs once connected and receives', async () => {
    const c = new Connection();
    const values: Array<Notification | NotificationGap> = [];
    const errors: unknown[] = [];
    let confirmed = 0;
    listen(c, 'early', { onListen: () => confirmed++ }).subscribe({ next: (v) => values.push(v), error: (e) => errors.push(e) });
    await c.connect(t.db.url());
    await until(() => confirmed === 1);
    await t.sender.runOperation("NOTIFY early, 'hello'");
    await until(() => values.length === 1);
    expect(errors).toEqual([]);
    expect(values[0]).toBeInstanceOf(Notification);
    expect((values[0] as Notification).payload).toBe('hello');
    c.close();
  });

  it('while the detector reconnects: no ConnectionDead; LISTENs once the connection is ready again', async () => {
    const detector = new DeadConnectionDetector({ reconnectionIterator: () => [200, 200, 500, 1000, 1000, 2000][Symbol.iterator]() });
    const c = new Connection({ detector });
    await c.connect(t.db.url());
    const values: Array<Notification | NotificationGap> = [];
    const errors: unknown[] = [];
    let confirmed = 0;
    let subscribedIn: string | null = null;
    c.onStateChange((state) => {
      if (state !== 'dead' || subscribedIn !== null) return;
      subscribedIn = state; // subscribe during the outage, deterministically
      listen(c, 'during', { onListen: () => confirmed++ }).subscribe({ next: (v) => values.push(v), error: (e) => errors.push(e) });
    });
    await adminQuery('SELECT pg_terminate_backend($1)', [c.processId]);
    await until(() => confirmed === 1, 20_000, 'LISTEN after recovery');
    expect(subscribedIn).toBe('dead');
    expect(errors).toEqual([]);
    await t.sender.runOperation("NOTIFY during, 'after'");
    await until(() => values.length === 1);
    expect((values[0] as Notification).payload).toBe('after'); // no gap: it was never promised anything before
    c.close();
  });
});

describe('channel names', () => {
  it('refuses a name over 63 bytes instead of subscribing to a truncated one', async () => {
    const long = 'n'.repeat(64);
    const err = await new Promise<unknown>((resolve) => listen(t.conn, long).subscribe({ error: resolve }));
    expect(err).toBeInstanceOf(InterfaceError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_CHANNEL' });
    const multibyte = 'é'.repeat(32); // 64 bytes in UTF-8
    const err2 = await new Promise<unknown>((resolve) => listen(t.conn, multibyte).subscribe({ error: resolve }));
    expect(err2).toMatchObject({ code: 'ERR_INVALID_CHANNEL' });
  });

  it('accepts exactly 63 bytes and receives on it', async () => {
    const name = 'm'.repeat(63);
    const values: Notification[] = [];
    let confirmed = 0;
    const sub = listen(t.conn, name, { gaps: false, onListen: () => confirmed++ }).subscribe((v) => values.push(v));
    await until(() => confirmed === 1);
    await t.sender.runOperation(`NOTIFY "${name}", 'x'`);
    await until(() => values.length === 1);
    sub.unsubscribe();
  });
});
