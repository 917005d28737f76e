import { RequestScheduler, type Priority, type Slot } from '../../../src/intercom/scheduler';

/** Permits handed out one at a time, when the test says so (a rate limiter that holds everyone back). */
class GatedPermits {
  issued = 0;
  private readonly gates: (() => void)[] = [];
  open = false;
  acquire(): Promise<number> {
    if (this.open) return Promise.resolve(++this.issued);
    return new Promise((resolve) => this.gates.push(() => resolve(++this.issued)));
  }
  grant(): void {
    this.gates.shift()?.();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestScheduler', () => {
  it('grants waiting requests by priority, then in order, when the permit comes', async () => {
    const permits = new GatedPermits();
    const scheduler = new RequestScheduler({
      limiter: permits,
      maxInFlight: 10,
      ratePerSecond: () => undefined,
    });
    const order: string[] = [];
    const ask = (name: string, priority: Priority) =>
      scheduler.acquire(priority).then((slot) => {
        order.push(name);
        return slot;
      });
    const all = [
      ask('bulk-1', 'bulk'),
      ask('background-1', 'background'),
      ask('bulk-2', 'bulk'),
      ask('child-1', 'child'),
      ask('poll-1', 'poll'),
    ];
    await tick();
    // The pump waits for the first permit before it picks anyone: a poll that queued last goes first.
    for (let i = 0; i < 5; i++) {
      permits.grant();
      await tick();
    }
    await Promise.all(all);
    expect(order).toEqual(['poll-1', 'child-1', 'bulk-1', 'bulk-2', 'background-1']);
  });

  it('never has more requests in flight than its bound, and releases once per slot', async () => {
    const permits = new GatedPermits();
    permits.open = true;
    const scheduler = new RequestScheduler({
      limiter: permits,
      maxInFlight: 3,
      minInFlight: 1,
      ratePerSecond: () => undefined,
    });
    let most = 0;
    const slots: Slot[] = [];
    const tasks = Array.from({ length: 8 }, () =>
      scheduler.acquire('bulk').then((slot) => {
        most = Math.max(most, scheduler.inFlight);
        slots.push(slot);
      }),
    );
    await tick();
    expect(scheduler.inFlight).toBe(3);
    while (slots.length < 8 || scheduler.inFlight > 0) {
      const slot = slots.find((s) => !(s as { done?: boolean }).done);
      if (slot) {
        (slot as { done?: boolean }).done = true;
        slot.release(5);
        slot.release(5); // a second release does nothing
      }
      await tick();
    }
    await Promise.all(tasks);
    expect(most).toBe(3);
    expect(scheduler.inFlight).toBe(0);
  });

  it('sizes the bound by Little’s law: rate the limit allows × latency, with head room, within its limits', () => {
    const permits = new GatedPermits();
    let rate: number | undefined;
    const scheduler = new RequestScheduler({ limiter: permits, maxInFlight: 100, ratePerSecond: () => rate });
    expect(scheduler.bound).toBe(16); // nothing known yet
    permits.open = true;
    const measure = async (latencyMs: number) => {
      const slot = await scheduler.acquire();
      slot.release(latencyMs);
    };
    return (async () => {
      await measure(300);
      rate = 166.6; // 10,000 a minute
      expect(scheduler.averageLatencyMs).toBe(300);
      expect(scheduler.bound).toBe(Math.ceil(166.6 * 0.3 * 1.25) + 1); // 64
      rate = 1_000_000;
      expect(scheduler.bound).toBe(100); // the configured most
      rate = 1;
      expect(scheduler.bound).toBe(4); // the least
    })();
  });
});
