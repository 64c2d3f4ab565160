/**
 * NotifyDispatch under a flood: the backlog of slow notify observers is
 * capped at MAX_NOTIFY_BACKLOG and the drop is reported in its place; raw
 * listeners (what notifications$ and listen() use) get every notification;
 * observers that finish at once get a whole read in one reactor turn. A
 * reactor whose turns the test runs one by one stands in for the event
 * loop; nothing is timed.
 */
import type { Reactor } from '../../reactor/interfaces';
import { MAX_NOTIFY_BACKLOG, NotificationsDropped, NotifyDispatch } from '../../src/connection/notify';
import { Notification } from '../../src/connection/notification';
import { captureUnhandledFailures, Deferred, type CapturedFailures } from '../../src/defer';

/** A reactor whose callSoon calls run one turn at a time: a turn runs what was scheduled before it began. */
class TurnReactor {
  private queue: Array<() => void> = [];

  callSoon(fn: () => void): void {
    this.queue.push(fn);
  }

  /** Runs one turn; returns how many calls it ran. */
  turn(): number {
    const batch = this.queue;
    this.queue = [];
    for (const fn of batch) fn();
    return batch.length;
  }

  /** Runs turns until nothing is scheduled; returns how many. */
  settle(): number {
    let turns = 0;
    while (this.turn() > 0) turns++;
    return turns;
  }
}

const note = (i: number | string): Notification => new Notification('jobs', String(i), 42);

let captured: CapturedFailures;
beforeEach(() => {
  captured = captureUnhandledFailures();
});
afterEach(() => captured.restore());

function setup(): { reactor: TurnReactor; dispatch: NotifyDispatch } {
  const reactor = new TurnReactor();
  return { reactor, dispatch: new NotifyDispatch(reactor as unknown as Reactor) };
}

describe('a flood of notifications to a slow notify observer', () => {
  it(`keeps at most ${MAX_NOTIFY_BACKLOG.toLocaleString('en')} waiting, and reports the rest dropped in their place`, () => {
    const { reactor, dispatch } = setup();
    const seen: string[] = [];
    const pending: Array<Deferred<void>> = [];
    dispatch.addObserver((n) => {
      seen.push(n.payload);
      const d = new Deferred<void>();
      pending.push(d);
      return d;
    });
    for (let i = 0; i < 100_000; i++) dispatch.notification(note(i));
    reactor.settle();
    expect(seen).toEqual(['0']);
    expect(dispatch.backlogSize).toBe(MAX_NOTIFY_BACKLOG - 1);
    expect(captured.failures).toEqual([]); // reported when delivery reaches the drop, not before

    while (pending.length > 0) {
      pending.shift()!.callback(undefined);
      reactor.settle();
    }
    expect(seen).toHaveLength(MAX_NOTIFY_BACKLOG);
    expect(seen[MAX_NOTIFY_BACKLOG - 1]).toBe(String(MAX_NOTIFY_BACKLOG - 1));
    expect(captured.failures).toHaveLength(1);
    const dropped = captured.failures[0] as NotificationsDropped;
    expect(dropped).toBeInstanceOf(NotificationsDropped);
    expect(dropped.code).toBe('ERR_NOTIFICATIONS_DROPPED');
    expect(dropped.dropped).toBe(100_000 - MAX_NOTIFY_BACKLOG);
    expect(dropped.limit).toBe(MAX_NOTIFY_BACKLOG);
    expect(dispatch.backlogSize).toBe(0);

    dispatch.notification(note('after'));
    reactor.settle();
    expect(seen[seen.length - 1]).toBe('after');
  });

  it('reports each drop once, after the notifications received before it and before those received after it', () => {
    const { reactor, dispatch } = setup();
    const events: string[] = [];
    const reported = (): string[] => captured.failures.splice(0).map((e) => `dropped ${(e as NotificationsDropped).dropped}`);
    let release: Deferred<void> | null = null;
    dispatch.addObserver((n) => {
      events.push(...reported(), n.payload);
      release = new Deferred<void>();
      return release;
    });
    const flood = (tag: string, n: number): void => {
      for (let i = 0; i < n; i++) dispatch.notification(note(`${tag}${i}`));
    };
    const releaseOne = (): void => {
      const d: Deferred<void> = release!;
      release = null;
      d.callback(undefined);
      reactor.settle();
    };
    flood('a', MAX_NOTIFY_BACKLOG + 5); // five dropped
    reactor.settle(); // a0 is with the observer
    for (let i = 0; i < 9; i++) releaseOne(); // a1..a9 taken: ten places free
    flood('b', 12); // ten fit, two dropped
    for (let guard = 0; release !== null && guard < 2 * MAX_NOTIFY_BACKLOG; guard++) releaseOne();
    events.push(...reported());
    expect(events.filter((e) => e.startsWith('dropped'))).toEqual(['dropped 5', 'dropped 2']);
    expect(events.indexOf('dropped 5')).toBe(MAX_NOTIFY_BACKLOG); // after a0..a9999
    expect(events[MAX_NOTIFY_BACKLOG + 1]).toBe('b0');
    expect(events.slice(MAX_NOTIFY_BACKLOG + 1)).toEqual([...Array.from({ length: 10 }, (_, i) => `b${i}`), 'dropped 2']);
  });

  it('hands raw listeners (notifications$, listen()) every notification while the observers lag', () => {
    const { reactor, dispatch } = setup();
    dispatch.addObserver(() => new Deferred<void>());
    let heard = 0;
    dispatch.onNotification(() => heard++);
    for (let i = 0; i < 100_000; i++) dispatch.notification(note(i));
    reactor.settle();
    expect(heard).toBe(100_000);
    expect(dispatch.backlogSize).toBe(MAX_NOTIFY_BACKLOG - 1);
  });
});

describe('observers that finish at once', () => {
  it('get every notification of one read in one reactor turn, so a flood never fills the backlog', () => {
    const { reactor, dispatch } = setup();
    const seen: string[] = [];
    dispatch.addObserver((n) => void seen.push(n.payload));
    for (let read = 0; read < 20; read++) {
      for (let i = 0; i < 6_000; i++) dispatch.notification(note(`${read}.${i}`)); // one 64 KiB read of the smallest notifications
      reactor.turn();
      expect(seen).toHaveLength((read + 1) * 6_000);
    }
    expect(captured.failures).toEqual([]);
  });

  it('drain a flood with no observer at all without recursion', () => {
    const { reactor, dispatch } = setup();
    for (let i = 0; i < 100_000; i++) dispatch.notification(note(i));
    reactor.settle();
    expect(dispatch.backlogSize).toBe(0);
    expect(captured.failures.map((e) => e.message)).toEqual([`${100_000 - MAX_NOTIFY_BACKLOG} notifications were dropped for the notify observers: ${MAX_NOTIFY_BACKLOG} were already waiting for observers that finish too slowly`]);
  });
});

describe('observers changed while a notification is handed out', () => {
  it('take effect from the next notification: one added is not called for the current one, one removed still is', () => {
    const { reactor, dispatch } = setup();
    const seen: string[] = [];
    const late = (n: Notification): void => void seen.push(`late ${n.payload}`);
    const second = (n: Notification): void => void seen.push(`second ${n.payload}`);
    const first = (n: Notification): void => {
      seen.push(`first ${n.payload}`);
      if (n.payload === '1') {
        dispatch.addObserver(late);
        dispatch.removeObserver(second);
      }
    };
    dispatch.addObserver(first);
    dispatch.addObserver(second);
    dispatch.notification(note(1));
    reactor.settle();
    dispatch.notification(note(2));
    reactor.settle();
    expect(seen).toEqual(['first 1', 'second 1', 'first 2', 'late 2']);
  });

  it('a synchronous throw is reported and the other observers and later notifications still run in the same turn', () => {
    const { reactor, dispatch } = setup();
    const seen: string[] = [];
    dispatch.addObserver(() => {
      throw new Error('observer broke');
    });
    dispatch.addObserver((n) => void seen.push(n.payload));
    dispatch.notification(note(1));
    dispatch.notification(note(2));
    expect(reactor.turn()).toBe(1);
    expect(seen).toEqual(['1', '2']);
    expect(captured.failures.map((e) => e.message)).toEqual(['observer broke', 'observer broke']);
  });
});

describe('raw listeners', () => {
  it('get a whole read in order from one reactor call (not one call per notification), each with the listeners of its moment', () => {
    const { reactor, dispatch } = setup();
    const heard: string[] = [];
    let late: (() => void) | null = null;
    dispatch.onNotification((n) => {
      heard.push(`a${n.payload}`);
      if (n.payload === '1') late ??= dispatch.onNotification((m) => void heard.push(`b${m.payload}`));
    });
    for (let i = 0; i < 3; i++) dispatch.notification(note(i));
    expect(reactor.turn()).toBe(2); // the listeners' call and the observers' delivery
    expect(heard).toEqual(['a0', 'a1', 'a2', 'b2']); // one added while a1 was handed out hears from a2 on
  });

  it('still get the notifications after one whose listener threw, in order, before later ones', () => {
    const { reactor, dispatch } = setup();
    const heard: string[] = [];
    dispatch.onNotification((n) => {
      if (n.payload === '1') throw new Error('listener bug');
      heard.push(n.payload);
    });
    for (let i = 0; i < 4; i++) dispatch.notification(note(i));
    expect(() => reactor.turn()).toThrow('listener bug');
    dispatch.notification(note(4));
    reactor.settle();
    expect(heard).toEqual(['0', '2', '3', '4']);
  });
});
