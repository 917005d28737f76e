import type { Op } from '../normalize';
import type { ObjectState } from './contracts';

/**
 * The diff (pure): whether an object read is a change to publish, against what the state holds, and
 * where an incremental window starts.
 */

/** One object as read from Intercom, reduced to what the diff needs. */
export interface Observed {
  updatedAtMs: number | null;
  hash: string;
}

export type Decision = { publish: true; op: Op } | { publish: false; reason: 'unchanged' | 'stale' };

/**
 * Whether an object read from Intercom is a change to publish, against what the state holds (pure).
 * - unknown object: `c`, or `r` while snapshotting;
 * - newer `updated_at`, or the same `updated_at` with other content: `u` (`r` while snapshotting);
 * - older `updated_at` (a lagging search index answering with an old copy): never published;
 * - same `updated_at` and content: not published (the overlap of windows re-reads it).
 * `force` (backfill --force) republishes everything as `r`.
 */
export function decide(
  prev: ObjectState | undefined,
  seen: Observed,
  mode: { snapshot: boolean; force?: boolean },
): Decision {
  const changed: Decision = { publish: true, op: mode.snapshot || mode.force ? 'r' : prev ? 'u' : 'c' };
  if (!prev || mode.force) return changed;
  if (seen.updatedAtMs !== null && prev.u !== null) {
    if (seen.updatedAtMs < prev.u) return { publish: false, reason: 'stale' };
    if (seen.updatedAtMs > prev.u) return changed;
  }
  return seen.hash === prev.h ? { publish: false, reason: 'unchanged' } : changed;
}

const HOUR = 3_600_000;

/**
 * The lower bound (epoch ms) of the next incremental window: the watermark less the overlap that
 * covers search-index lag and same-second collisions.
 */
export function windowStart(watermarkMs: number, overlapMs: number): number {
  return watermarkMs - overlapMs;
}

/**
 * The value to put into a search filter `updated_at > value` (Unix seconds) so that every object
 * updated at or after `startMs` matches. Contact search matches timestamps by calendar day, in a
 * timezone that may be the workspace's: `> X` matches from the start of the day after X's day, so X
 * goes back one day plus two hours (a DST day has 25 hours; any timezone offset is inside the day).
 */
export function searchFilterValue(startMs: number, dayGranular: boolean): number {
  const back = dayGranular ? 26 * HOUR : 1000;
  return Math.floor((startMs - back) / 1000);
}
