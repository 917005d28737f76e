import { CdcError } from '../errors';

/** Simulated time in epoch milliseconds. Manual clocks move only when told; real clocks follow the wall. */
export interface SimClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export const DEFAULT_START_MS = Date.UTC(2026, 0, 5, 0, 0, 0);

export type ClockOptions = { mode: 'manual'; startMs?: number } | { mode: 'real' };

/**
 * A manual clock starts at `startMs` (default 2026-01-05T00:00:00Z). A real clock is the wall clock
 * plus an offset that `advance`/`set` move, so a demo can still jump ahead.
 */
export function createClock(
  options: ClockOptions = { mode: 'manual' },
  wall: () => number = Date.now,
): SimClock {
  if (options.mode === 'real') {
    let offset = 0;
    return {
      now: () => wall() + offset,
      advance: (ms) => void (offset += checkedMs(ms)),
      set: (ms) => void (offset = checkedMs(ms) - wall()),
    };
  }
  let current = options.startMs ?? DEFAULT_START_MS;
  return {
    now: () => current,
    advance: (ms) => void (current += checkedMs(ms)),
    set: (ms) => void (current = checkedMs(ms)),
  };
}

function checkedMs(ms: number): number {
  if (!Number.isFinite(ms))
    throw new CdcError(`clock: not a finite number of ms: ${ms}`, { code: 'sim_clock', kind: 'system' });
  return Math.trunc(ms);
}
