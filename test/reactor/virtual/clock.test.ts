import { Clock } from '../../../reactor/virtual/clock';

describe('Clock', () => {
  it('runs nothing until advanced, then each call at its own time', () => {
    const clock = new Clock({ start: 100 });
    const seen: number[] = [];
    clock.callLater(50, () => seen.push(clock.now()));
    clock.callLater(20, () => seen.push(clock.now()));
    expect(seen).toEqual([]);
    clock.advance(49);
    expect(seen).toEqual([120]);
    clock.advance(1);
    expect(seen).toEqual([120, 150]);
    expect(clock.now()).toBe(150);
  });

  it('runs callSoon calls on flush and calls already due, without moving time', () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callLater(0, () => order.push('zero'));
    clock.callSoon(() => order.push('soon'));
    expect(clock.flush()).toBe(true);
    expect(order).toEqual(['soon', 'zero']);
    expect(clock.now()).toBe(0);
    expect(clock.flush()).toBe(false);
  });

  it('keeps the queue consistent when a callSoon call throws', () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.callSoon(() => { throw new Error('boom'); });
    clock.callSoon(() => order.push('next'));
    expect(() => clock.flush()).toThrow('boom');
    clock.flush();
    expect(order).toEqual(['next']);
  });

  it('lists pending delayed calls in run order', () => {
    const clock = new Clock();
    clock.callLater(3, () => {});
    const first = clock.callLater(1, () => {});
    expect(clock.getDelayedCalls()[0]).toBe(first);
    expect(clock.nextCallTime()).toBe(1);
  });
});
