import { CompletionOrder } from '../../src/connection/completion-order';

describe('CompletionOrder', () => {
  it('delivers completions in ticket order whatever order they arrive in', () => {
    const order = new CompletionOrder();
    const fired: number[] = [];
    const tickets = [0, 1, 2, 3].map(() => order.take());
    order.deliver(tickets[2], () => fired.push(2));
    order.deliver(tickets[1], () => fired.push(1));
    expect(fired).toEqual([]);
    expect(order.waiting).toBe(2);
    order.deliver(tickets[0], () => fired.push(0));
    expect(fired).toEqual([0, 1, 2]);
    order.deliver(tickets[3], () => fired.push(3));
    expect(fired).toEqual([0, 1, 2, 3]);
    expect(order.waiting).toBe(0);
  });

  it('lets a skipped ticket (withdrawn work) release the ones behind it', () => {
    const order = new CompletionOrder();
    const fired: string[] = [];
    const a = order.take();
    const b = order.take();
    order.deliver(b, () => fired.push('b'));
    order.skip(a);
    expect(fired).toEqual(['b']);
  });
});
