import { removeInOrder } from '../../src/util/in-order';

describe('removeInOrder', () => {
  it('removes the first item, one out of order, and reports an absent one', () => {
    const a = { n: 1 };
    const b = { n: 2 };
    const c = { n: 3 };
    const list = [a, b, c];
    expect(removeInOrder(list, a)).toBe(true);
    expect(list).toEqual([b, c]);
    expect(removeInOrder(list, c)).toBe(true);
    expect(list).toEqual([b]);
    expect(removeInOrder(list, a)).toBe(false);
    expect(list).toEqual([b]);
  });
});
