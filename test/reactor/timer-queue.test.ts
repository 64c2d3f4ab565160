import { TimerQueue } from '../../reactor/timer-queue';

describe('TimerQueue', () => {
  let now = 0;
  const queue = (): TimerQueue => new TimerQueue(() => now);
  const drain = (q: TimerQueue, until: number): string[] => {
    const out: string[] = [];
    for (let due = q.popDue(until); due; due = q.popDue(until)) {
      due.fn();
      out.push(String(due.time));
    }
    return out;
  };
  beforeEach(() => {
    now = 0;
  });

  it('pops calls by due time, then in scheduling order, over many random delays', () => {
    const q = queue();
    const ran: Array<[number, number]> = [];
    const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 37);
    delays.forEach((d, i) => q.add(d, () => ran.push([d, i])));
    drain(q, 100);
    const expected = delays.map((d, i): [number, number] => [d, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(ran).toEqual(expected);
  });

  it('treats a reset call as newly scheduled among calls due at the same time', () => {
    const q = queue();
    const order: string[] = [];
    const a = q.add(5, () => order.push('a'));
    q.add(10, () => order.push('b'));
    a.reset(10);
    drain(q, 10);
    expect(order).toEqual(['b', 'a']);
  });

  it('removes cancelled calls from anywhere in the heap and reports the next due time', () => {
    const q = queue();
    const calls = [30, 10, 20, 40].map((d) => q.add(d, () => {}));
    calls[1].cancel();
    expect(q.size).toBe(3);
    expect(q.nextTime()).toBe(20);
    expect(q.pending().map((c) => c.time)).toEqual([20, 30, 40]);
  });

  it('notifies the owner when the earliest time may have changed', () => {
    let changes = 0;
    const q = new TimerQueue(() => now, () => changes++);
    const c = q.add(1, () => {});
    c.delay(1);
    c.cancel();
    expect(changes).toBe(3);
  });

  it('measures reset from the current time and delay from the due time', () => {
    const q = queue();
    const c = q.add(10, () => {});
    now = 4;
    c.reset(10);
    expect(c.time).toBe(14);
    c.delay(3);
    expect(c.time).toBe(17);
  });
});
