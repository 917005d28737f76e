import type { Priority } from '../intercom/scheduler';
import { sleep } from '../sleep';
import type { WalkCounts } from './emitter';
import { slicePages, sliceUnit, type IntercomReader, type Page } from './sources';
import { WHOLE, split, splitBack, splittable, unitOf, type Slice } from './slices';
import { TaskGroup, type PageSeen, type StreamCapture, type WalkMode } from './stream';

type Obj = Record<string, unknown>;

/** A walk ended between pages because the process is stopping; what it had not committed is dropped. */
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}

export interface WalkOptions {
  /** Whether the pages come from a search (its copies may lag; see StreamCapture). */
  search: boolean;
  mode: WalkMode;
  counts: WalkCounts;
  fetchPriority: Priority;
  signal?: AbortSignal;
  /** Told of every page: objects on it and the total the API reports. */
  onRead?: (objects: number, total?: number) => void;
  /** Called after each page is diffed; returning true ends the walk early. */
  onPage?: (seen: PageSeen) => boolean | void;
}

/**
 * The one walk loop: diffs every page into the stream's batch, lets the fetches it needs run beside it,
 * commits as parts fill up, and ends once every fetch it started has been decided on (only then may
 * the caller record progress that covers the walk). Between two pages is where a stop request ends it.
 */
export async function walk(
  sc: StreamCapture,
  pages: AsyncIterable<Page<Obj>>,
  o: WalkOptions,
): Promise<void> {
  const tasks = new TaskGroup();
  for await (const page of pages) {
    o.onRead?.(page.items.length, page.totalCount);
    const seen = await sc.observePage(page, o.search, o.mode, o.counts, tasks, o.fetchPriority);
    tasks.throwIfFailed();
    await sc.batch.flushIfFull();
    stopIfRequested(o.signal);
    if (o.onPage?.(seen)) break;
  }
  await tasks.drain();
  stopIfRequested(o.signal);
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

export interface SlicedWalkOptions extends Omit<WalkOptions, 'onPage' | 'search'> {
  client: IntercomReader;
  pagePriority: Priority;
  /** The slices to walk (the whole stream, or what a resumed snapshot has left). */
  slices: Slice[];
  /**
   * Most slices walked at once, and how many may walk now (the client's bound on requests in flight
   * says how many walks the rate limit can keep busy).
   */
  workers: number;
  activeWorkers?: () => number;
  /** Now, epoch ms: where open-ended slices are cut. */
  nowMs: number;
  /** A slice is cut further while its search reports more objects than this; default from the first total. */
  objectsPerSlice?: number;
  onSliceDone?: (slice: Slice) => void;
  onProgress?: (p: SliceProgress) => void;
  /** Told of the ids of every page (reconciliation lists them). */
  onIds?: (ids: string[]) => void;
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
 * Walks a searchable stream as disjoint slices of `created_at`, `workers` at a time. The first page of a
 * slice is its probe: when its `total_count` is over the slice target and the slice can be cut, it is
 * cut (the page is not used) and its pieces queued first; otherwise the walk goes on from that page.
 * A slice is done, and `onSliceDone` told, once its pages are diffed and its fetches decided on.
 */
export async function walkSlices(sc: StreamCapture, o: SlicedWalkOptions): Promise<void> {
  const unit = sliceUnit(sc.def);
  const nowUnit = unitOf(o.nowMs / 1000, unit);
  const queue = [...o.slices];
  const progress: SliceProgress = {
    slicesDone: 0,
    slicesTotal: queue.length,
    objectsRead: 0,
    startedAtMs: Date.now(),
  };
  let target = o.objectsPerSlice;
  let active = 0;
  let failure: { error: unknown } | undefined;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };

  const walkSlice = async (slice: Slice): Promise<void> => {
    let first = true;
    const pages = slicePages(o.client, sc.def, slice, o.pagePriority);
    const tasks = new TaskGroup();
    for await (const page of pages) {
      if (first) {
        first = false;
        const total = page.totalCount;
        if (total !== undefined) {
          progress.objectsTotal ??= total;
          target ??= Math.max(MIN_OBJECTS_PER_SLICE, Math.ceil(total / (o.workers * SLICES_PER_WORKER)));
          if (total > target && splittable(slice, nowUnit)) {
            const pieces =
              slice.a === WHOLE.a
                ? splitBack(slice, nowUnit, unit)
                : split(slice, Math.min(MAX_FAN_OUT, Math.max(2, Math.ceil(total / target))), nowUnit);
            queue.unshift(...pieces);
            progress.slicesTotal += pieces.length - 1;
            o.onProgress?.(progress);
            return; // leaves the walk: the prefetched second page is dropped
          }
        }
      }
      o.onRead?.(page.items.length, page.totalCount);
      const seen = await sc.observePage(page, true, o.mode, o.counts, tasks, o.fetchPriority);
      o.onIds?.(seen.ids);
      progress.objectsRead += page.items.length;
      tasks.throwIfFailed();
      await sc.batch.flushIfFull();
      stopIfRequested(o.signal);
    }
    await tasks.drain();
    stopIfRequested(o.signal);
    progress.slicesDone += 1;
    o.onSliceDone?.(slice);
    o.onProgress?.(progress);
    await sc.batch.flushIfFull();
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure) return;
      const allowed = Math.max(1, Math.min(o.workers, o.activeWorkers?.() ?? o.workers));
      const slice = active < allowed ? queue.shift() : undefined;
      if (!slice) {
        if (active === 0 && queue.length === 0) return;
        await Promise.race([changed, sleep(250, undefined, { ref: false })]); // the allowed count may grow without a change here
        continue;
      }
      active += 1;
      try {
        await walkSlice(slice);
      } catch (error) {
        failure ??= { error };
      } finally {
        active -= 1;
        notify();
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, worker));
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
