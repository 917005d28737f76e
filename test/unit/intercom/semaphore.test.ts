import { Semaphore } from '../../../src/intercom/semaphore';

describe('Semaphore', () => {
  it('never lets more than its size in, and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const task = async (n: number): Promise<void> => {
      const release = await semaphore.acquire();
      inside += 1;
      most = Math.max(most, inside);
      order.push(n);
      await new Promise<void>((resolve) => gates.push(resolve));
      inside -= 1;
      release();
      release(); // a second release is a no-op
    };
    const all = Promise.all([1, 2, 3, 4, 5].map(task));
    while (order.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    gates.forEach((open) => open());
    await all;
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a size below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
