import { MAX_TIMER_MS, sleep } from '../../src/sleep';

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await jest.advanceTimersByTimeAsync(0);
  return done;
}

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits a delay longer than a Node timer holds, instead of firing at once', async () => {
    const wait = sleep(MAX_TIMER_MS + 60_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await settled(wait)).toBe(false);
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(await settled(wait)).toBe(false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(await settled(wait)).toBe(true);
  });

  it('waits an infinite delay until the signal aborts, and leaves no listener behind', async () => {
    const controller = new AbortController();
    const wait = sleep(Infinity, controller.signal);
    await jest.advanceTimersByTimeAsync(3 * MAX_TIMER_MS);
    expect(await settled(wait)).toBe(false);
    controller.abort();
    expect(await settled(wait)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takes a negative or NaN delay for 0, and an aborted signal for no wait', async () => {
    expect(await settled(sleep(-5))).toBe(true);
    expect(await settled(sleep(NaN))).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(await settled(sleep(10_000, controller.signal))).toBe(true);
  });

  it('waits an ordinary delay to the millisecond', async () => {
    const wait = sleep(250);
    await jest.advanceTimersByTimeAsync(249);
    expect(await settled(wait)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(wait)).toBe(true);
  });
});
