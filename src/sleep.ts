import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`, or less when `signal` aborts (at once if it already did); leaves no listener behind. The
 * one sleep of the project. `ref: false` lets the process exit while it waits (a poll for a change
 * that has its own wake-up).
 */
export function sleep(ms: number, signal?: AbortSignal, options: { ref?: boolean } = {}): Promise<void> {
  return delay(ms, undefined, { signal, ref: options.ref ?? true }).catch(() => undefined);
}
