import type { Page } from '../intercom/pagination';
import type { Priority } from '../intercom/scheduler';
import type { Reading } from '../normalize';
import type { SearchDef } from '../streams/definitions';
import { sleep } from '../sleep';
import type { IntercomReader } from './contracts';
import { WHOLE, split, splitBack, splittable, unitOf, type Slice } from './slices';
import { sliceSource, sliceUnit, type PageSource } from './sources';
import type { PageSeen, StreamCapture, Walk } from './stream';

/**
 * Walks: the one loop that diffs a source's pages into a stream's capture, and the sliced walk that runs
 * that loop over many slices of a searchable stream at once.
 */

/** A walk ended between pages because the process is stopping; what it had not committed is dropped. */
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}

export interface WalkHooks {
  signal?: AbortSignal;
  /**
   * Told of each page before it is diffed; returning false leaves the walk there without diffing it
   * (a sliced walk's probe that cuts its slice), and the walk resolves false.
   */
  admit?: (page: Page<Reading>) => boolean;
  /** Told of every page diffed: objects on it and the total the API reports. */
  onRead?: (objects: number, total?: number) => void;
  /** Called after each page is diffed; returning true ends the walk early. */
  onPage?: (seen: PageSeen) => boolean | void;
}

/**
 * The one walk loop: diffs every page of `source` into the stream's batch, lets the fetches it needs run
 * beside it, commits as parts fill up, and ends once every fetch it started has been decided on (only
 * then may the caller record progress that covers the walk). Between two pages is where a stop request
 * ends it. Resolves true once the walk is complete (or ended early by `onPage`), false when `admit`
 * left it.
 */
export async function walkSource(
  sc: StreamCapture,
  source: PageSource,
  walk: Walk,
  hooks: WalkHooks = {},
): Promise<boolean> {
  for await (const page of source.pages()) {
    if (hooks.admit && !hooks.admit(page)) {
      await walk.tasks.drain(); // the prefetched next page is dropped
      return false;
    }
    hooks.onRead?.(page.items.length, page.totalCount);
    const seen = await sc.observePage(page, source.search, walk);
    walk.tasks.throwIfFailed();
    await sc.flushIfFull();
    stopIfRequested(hooks.signal);
    if (hooks.onPage?.(seen)) break;
  }
  await walk.tasks.drain();
  stopIfRequested(hooks.signal);
  return true;
}

export function stopIfRequested(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StopRequested();
}

/** Where a sliced walk is: for metrics and the backfill's progress bar. */
export interface SliceProgress {
  slicesDone: number;
  slicesTotal: number;
  objectsRead: number;
  /** What the first slice's search reported for the whole range (an estimate: objects move). */
  objectsTotal?: number;
  /** When the walk started, epoch ms (with the objects read, a rate to estimate the rest by). */
  startedAtMs: number;
}

export interface SlicedWalkOptions {
  client: IntercomReader;
  search: SearchDef;
  /** The slices to walk (the whole stream, or what a resumed snapshot has left). */
  slices: Slice[];
  pagePriority: Priority;
  /**
   * Most slices walked at once, and how many may walk now (the client's bound on requests in flight
   * says how many walks the rate limit can keep busy).
   */
  workers: number;
  activeWorkers?: () => number;
  /** Now, epoch ms: where open-ended slices are cut, and when the walk started. */
  nowMs: number;
  /** A slice is cut further while its search reports more objects than this; default from the first total. */
  objectsPerSlice?: number;
  signal?: AbortSignal;
  onRead?: (objects: number, total?: number) => void;
  /** A slice was walked and every read of it decided on (progress may record it). */
  onSliceDone?: (slice: Slice) => void;
  onProgress?: (p: SliceProgress) => void;
  /** Told of every page diffed (reconciliation lists the ids). */
  onPage?: (seen: PageSeen) => void;
}

/**
 * Smallest slice target: a few pages, so that probes and the last, partly filled page of each slice do
 * not cost more than walking slices at once saves.
 */
const MIN_OBJECTS_PER_SLICE = 600;
/**
 * Slices per walker: more slices than walkers, so that slices complete (and are recorded) all along a
 * long first sync rather than all at its end, and a restart re-reads little.
 */
const SLICES_PER_WORKER = 6;
/** Most pieces one slice is cut into at a time. */
const MAX_FAN_OUT = 32;
/**
 * Most slices per walker in one sliced walk: `total_count` is a hint, and an API that reports a huge
 * one for every query would otherwise have its slices cut down to single seconds.
 */
const MAX_SLICES_PER_WORKER = 4 * SLICES_PER_WORKER;

/**
 * Walks a searchable stream as disjoint slices of `created_at`, `workers` at a time, each slice with the
 * one walk loop. The first page of a slice is its probe: when its `total_count` is over the slice target
 * and the slice can be cut, it is cut (the page is not used) and its pieces queued first; otherwise the
 * walk goes on from that page; no slice is cut once the walk has MAX_SLICES_PER_WORKER per walker (a
 * total is a hint, not a bound). A slice is done, and `onSliceDone` told, once its pages are diffed and
 * its fetches decided on. Slices meet exactly (slices.ts), so the union of the slices walked is the
 * union of the slices given.
 */
export async function walkSlices(sc: StreamCapture, walk: Walk, o: SlicedWalkOptions): Promise<void> {
  const unit = sliceUnit(o.search);
  const nowUnit = unitOf(o.nowMs / 1000, unit);
  const queue = [...o.slices];
  const progress: SliceProgress = {
    slicesDone: 0,
    slicesTotal: queue.length,
    objectsRead: 0,
    startedAtMs: o.nowMs,
  };
  let target = o.objectsPerSlice;

  /** The probe: cuts the slice (and returns false) when its first page says it is too large to walk. */
  const probe = (slice: Slice, page: Page<Reading>): boolean => {
    const total = page.totalCount;
    if (total === undefined) return true;
    progress.objectsTotal ??= total;
    target ??= Math.max(MIN_OBJECTS_PER_SLICE, Math.ceil(total / (o.workers * SLICES_PER_WORKER)));
    if (total <= target || !splittable(slice, nowUnit)) return true;
    if (progress.slicesTotal >= Math.max(1, o.workers) * MAX_SLICES_PER_WORKER) return true; // cut enough
    const pieces =
      slice.a === WHOLE.a
        ? splitBack(slice, nowUnit, unit)
        : split(slice, Math.min(MAX_FAN_OUT, Math.max(2, Math.ceil(total / target))), nowUnit);
    queue.unshift(...pieces);
    progress.slicesTotal += pieces.length - 1;
    o.onProgress?.(progress);
    return false;
  };

  const walkSlice = async (slice: Slice): Promise<void> => {
    let first = true;
    const complete = await walkSource(
      sc,
      sliceSource(o.client, sc.name, o.search, slice, o.pagePriority),
      walk.fork(),
      {
        signal: o.signal,
        admit: (page) => {
          if (!first) return true;
          first = false;
          return probe(slice, page);
        },
        onRead: o.onRead,
        onPage: (seen) => {
          progress.objectsRead += seen.ids.length;
          o.onPage?.(seen);
        },
      },
    );
    if (!complete) return;
    progress.slicesDone += 1;
    o.onSliceDone?.(slice);
    o.onProgress?.(progress);
    await sc.flushIfFull();
  };

  await runPool(queue, o.workers, o.activeWorkers, walkSlice);
}

/**
 * Takes items from `queue` (which may grow while it runs) and runs them, at most `workers` at once and at
 * most `allowed()` now; resolves once the queue is empty and nothing runs; throws the first failure
 * (after the items under way ended; no new one starts after a failure).
 */
async function runPool<T>(
  queue: T[],
  workers: number,
  allowed: (() => number) | undefined,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let active = 0;
  let failure: { error: unknown } | undefined;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure) return;
      const limit = Math.max(1, Math.min(workers, allowed?.() ?? workers));
      const item = active < limit ? queue.shift() : undefined;
      if (item === undefined) {
        if (active === 0 && queue.length === 0) return;
        await Promise.race([changed, sleep(250, undefined, { ref: false })]); // the allowed count may grow without a change here
        continue;
      }
      active += 1;
      try {
        await run(item);
      } catch (error) {
        failure ??= { error };
      } finally {
        active -= 1;
        notify();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  if (failure) throw failure.error;
}

/**
 * Follows a walk over a list that should be sorted by `updated_at` descending (pure). The walk may stop
 * early once it is past the window, but only while every item so far arrived in that order: an API
 * that ignores the sort makes the walk read everything, which is slower and still correct.
 */
export class DescendingWalk {
  private previous = Number.POSITIVE_INFINITY;
  private sorted = true;
  private pastWindow = false;
  maxSeen: number | null = null;

  constructor(private readonly startMs: number) {}

  see(updatedAtMs: number | null): void {
    if (updatedAtMs === null) return;
    if (updatedAtMs > this.previous) this.sorted = false;
    this.previous = updatedAtMs;
    if (updatedAtMs < this.startMs) this.pastWindow = true;
    if (this.maxSeen === null || updatedAtMs > this.maxSeen) this.maxSeen = updatedAtMs;
  }

  /** True once an item older than the window was seen and the order held so far. */
  get canStop(): boolean {
    return this.sorted && this.pastWindow;
  }
}
