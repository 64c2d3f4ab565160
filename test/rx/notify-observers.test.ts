/**
 * txpostgres' TxPostgresNotifyObserversTestCase and TxPostgresNotifyTestCase,
 * ported onto Connection's notify observers, against the real server; a
 * second connection sends the notifies.
 */
import { Connection, Deferred, Notification, captureUnhandledFailures } from '../../src/index';
import { until, useNotifyPair } from './helpers';

const t = useNotifyPair('rxnotify');
afterEach(async () => {
  for (const o of t.conn.getNotifyObservers()) t.conn.removeNotifyObserver(o);
  await t.conn.runOperation('UNLISTEN *');
});

describe('TxPostgresNotifyObserversTestCase', () => {
  it('registers the same observer once when it is added twice (test_sameObserverAddedTwice)', () => {
    const c = new Connection();
    const o = (): void => undefined;
    c.addNotifyObserver(o);
    c.addNotifyObserver(o);
    expect(c.getNotifyObservers()).toEqual([o]);
  });

  it('ignores removing an observer twice or one never added (test_removeNonexistentObserver)', () => {
    const c = new Connection();
    const o = (): void => undefined;
    c.addNotifyObserver(o);
    c.removeNotifyObserver(o);
    expect(() => c.removeNotifyObserver(o)).not.toThrow();
    expect(() => c.removeNotifyObserver(() => undefined)).not.toThrow();
    expect(c.getNotifyObservers()).toEqual([]);
  });
});

describe('TxPostgresNotifyTestCase', () => {
  it('delivers a NOTIFY from another session with its channel (test_simpleNotify)', async () => {
    const got: Notification[] = [];
    t.conn.addNotifyObserver((n) => void got.push(n));
    await t.conn.runOperation('LISTEN txpostgres_test');
    await t.sender.runOperation("NOTIFY txpostgres_test, 'hi'");
    await until(() => got.length === 1);
    expect(got[0]).toBeInstanceOf(Notification);
    expect(got[0].channel).toBe('txpostgres_test');
    expect(got[0].payload).toBe('hi');
    expect(got[0].pid).toBe(t.sender.processId);
  });

  it('delivers a NOTIFY sent by the listening session itself (test_simpleNotifySameConnection)', async () => {
    const got: Notification[] = [];
    t.conn.addNotifyObserver((n) => void got.push(n));
    await t.conn.runOperation('LISTEN txpostgres_test');
    await t.conn.runOperation('NOTIFY txpostgres_test');
    await until(() => got.length === 1);
    expect(got[0].channel).toBe('txpostgres_test');
    expect(got[0].pid).toBe(t.conn.processId);
  });

  it('delivers nothing more after UNLISTEN (test_listenUnlisten)', async () => {
    const got: Notification[] = [];
    t.conn.addNotifyObserver((n) => void got.push(n));
    await t.conn.runOperation('LISTEN txpostgres_test');
    await t.conn.runOperation('UNLISTEN txpostgres_test');
    await t.sender.runOperation('NOTIFY txpostgres_test');
    await t.conn.runOperation('LISTEN other_channel');
    await t.sender.runOperation('NOTIFY other_channel');
    await until(() => got.length === 1);
    expect(got.map((n) => n.channel)).toEqual(['other_channel']);
  });

  it('delivers three notifies three times (test_multipleNotifies)', async () => {
    const got: Notification[] = [];
    t.conn.addNotifyObserver((n) => void got.push(n));
    await t.conn.runOperation('LISTEN txpostgres_test');
    for (let i = 0; i < 3; i++) await t.sender.runOperation('NOTIFY txpostgres_test');
    await until(() => got.length >= 3);
    await t.conn.runQuery('SELECT 1');
    expect(got).toHaveLength(3);
  });

  it('delivers ten notifies of one statement in order (test_notifyDeliveryOrder)', async () => {
    const got: string[] = [];
    t.conn.addNotifyObserver((n) => void got.push(n.payload));
    await t.conn.runOperation('LISTEN txpostgres_test');
    const sql = Array.from({ length: 10 }, (_, i) => `NOTIFY txpostgres_test, '${i}'`).join('; ');
    await t.sender.runOperation(sql, [], { simple: true });
    await until(() => got.length === 10);
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('calls every observer, and only the remaining one after a removal (test_multipleObservers)', async () => {
    const a: Notification[] = [];
    const b: Notification[] = [];
    const oa = (n: Notification): void => void a.push(n);
    t.conn.addNotifyObserver(oa);
    t.conn.addNotifyObserver((n) => void b.push(n));
    await t.conn.runOperation('LISTEN txpostgres_test');
    await t.sender.runOperation('NOTIFY txpostgres_test');
    await until(() => a.length === 1 && b.length === 1);
    t.conn.removeNotifyObserver(oa);
    await t.sender.runOperation('NOTIFY txpostgres_test');
    await until(() => b.length === 2);
    expect(a).toHaveLength(1);
  });

  it('reports an observer error once and keeps the other observers working (test_errorInObserver)', async () => {
    const captured = captureUnhandledFailures();
    try {
      const b: Notification[] = [];
      t.conn.addNotifyObserver(() => {
        throw new Error('observer failed');
      });
      t.conn.addNotifyObserver((n) => void b.push(n));
      await t.conn.runOperation('LISTEN txpostgres_test');
      await t.sender.runOperation('NOTIFY txpostgres_test');
      await t.sender.runOperation('NOTIFY txpostgres_test');
      await until(() => b.length === 2);
      await until(() => captured.flush().length === 2);
      expect(captured.flush().map((e) => e.message)).toEqual(['observer failed', 'observer failed']);
    } finally {
      captured.restore();
    }
  });

  it('waits for an observer’s Deferred before the next notify (test_observerReturnsDeferred)', async () => {
    const events: string[] = [];
    const pending: Array<Deferred<void>> = [];
    t.conn.addNotifyObserver((n) => {
      events.push(`start ${n.payload}`);
      const d = new Deferred<void>();
      pending.push(d);
      return d.addCallback(() => void events.push(`end ${n.payload}`));
    });
    await t.conn.runOperation('LISTEN txpostgres_test');
    await t.sender.runOperation("NOTIFY txpostgres_test, '1'; NOTIFY txpostgres_test, '2'", [], { simple: true });
    await until(() => pending.length === 1);
    await t.conn.runQuery('SELECT 1'); // the second notify has surely arrived by now
    expect(events).toEqual(['start 1']);
    pending[0].callback(undefined);
    await until(() => pending.length === 2);
    pending[1].callback(undefined);
    await until(() => events.length === 4);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('reports a failing Deferred and still runs both observers (test_observerReturnsFailingDeferred)', async () => {
    const captured = captureUnhandledFailures();
    try {
      const b: Notification[] = [];
      t.conn.addNotifyObserver(() => failing());
      t.conn.addNotifyObserver((n) => void b.push(n));
      await t.conn.runOperation('LISTEN txpostgres_test');
      await t.sender.runOperation('NOTIFY txpostgres_test');
      await until(() => b.length === 1 && captured.flush().length === 1);
      expect(captured.flush()[0].message).toBe('deferred failed');
    } finally {
      captured.restore();
    }
  });

  it('delivers no duplicates when an observer runs its own query (test_notifyWithSubsequentQuery)', async () => {
    const got: string[] = [];
    t.conn.addNotifyObserver((n) => t.conn.runQuery('SELECT 1').addCallback(() => void got.push(n.payload)));
    await t.conn.runOperation('LISTEN txpostgres_test');
    const sql = Array.from({ length: 10 }, (_, i) => `NOTIFY txpostgres_test, '${i}'`).join('; ');
    await t.sender.runOperation(sql, [], { simple: true });
    await until(() => got.length >= 10);
    await t.conn.runQuery('SELECT 1');
    await t.conn.runQuery('SELECT 1');
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

function failing(): Deferred<void> {
  const d = new Deferred<void>();
  d.errback(new Error('deferred failed'));
  return d;
}
