/** The one sleep of the project: every wait of the connector goes through it. */

/** The longest delay one Node timer keeps; a longer one fires at once (after 1 ms), with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms`, or less when `signal` aborts (at once if it already did); leaves no listener behind.
 * Any delay is safe: one longer than a Node timer can hold ({@link MAX_TIMER_MS}, about 24.8 days) is
 * waited in steps, `Infinity` waits until the signal aborts, and a negative or NaN delay is 0. `ref:
 * false` lets the process exit while it waits (a poll for a change that has its own wake-up).
 */
export function sleep(ms: number, signal?: AbortSignal, options: { ref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let left = ms > 0 ? ms : 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const arm = (): void => {
      const step = Math.min(left, MAX_TIMER_MS);
      left -= step;
      timer = setTimeout(left > 0 ? arm : done, step);
      if (options.ref === false) timer.unref();
    };
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}
