import type { WalkCounts } from './emitter';
import { WHOLE } from './slices';
import { listingPages, type IntercomReader } from './sources';
import { TaskGroup, type StreamCapture } from './stream';
import { walk, walkSlices, type SliceProgress } from './walk';

export interface ReconcileOptions {
  client: IntercomReader;
  counts: WalkCounts;
  /** Slices walked at once (searchable streams), and how many may walk now. */
  workers: number;
  activeWorkers?: () => number;
  nowMs: number;
  signal?: AbortSignal;
  onRead?: (objects: number, total?: number) => void;
  onProgress?: (p: SliceProgress) => void;
}

/**
 * Reconciliation of a windowed stream: lists every object (and diffs it: a change the windows missed
 * is caught here too), in slices where the stream is searchable, at background priority; an id the
 * state knew when it started but the listing lacks is confirmed gone by a 404 on the object itself
 * before it becomes a delete, because a paging cursor (or a lagging index) can miss a live object.
 * Runs beside the stream's incremental polls: both diff against the stream's one pending view.
 */
export async function reconcile(sc: StreamCapture, o: ReconcileOptions): Promise<void> {
  const known = sc.batch.liveIds(sc.name);
  const listed = new Set<string>();
  const mode = { snapshot: false };
  if (sc.def.search) {
    await walkSlices(sc, {
      client: o.client,
      slices: [WHOLE],
      workers: o.workers,
      activeWorkers: o.activeWorkers,
      nowMs: o.nowMs,
      mode,
      counts: o.counts,
      pagePriority: 'background',
      fetchPriority: 'child',
      signal: o.signal,
      onRead: o.onRead,
      onProgress: o.onProgress,
      onIds: (ids) => ids.forEach((id) => listed.add(id)),
    });
  } else {
    for (const listing of sc.def.listings) {
      await walk(sc, listingPages(o.client, listing, 'background'), {
        search: listing.paging === 'search-all',
        mode,
        counts: o.counts,
        fetchPriority: 'child',
        signal: o.signal,
        onRead: o.onRead,
        onPage: (seen) => void seen.ids.forEach((id) => listed.add(id)),
      });
    }
  }
  await removeMissing(sc, known, listed, true, o.counts);
}

/**
 * Deletes what the state knew (`known`) that a complete listing lacked (`listed`) and the pending view
 * still holds. With `confirm` (a listing that can miss objects) and a GET path, each is fetched first:
 * a 404 deletes it, an answer is diffed like any read. Without, it is deleted at once.
 */
export async function removeMissing(
  sc: StreamCapture,
  known: readonly string[],
  listed: ReadonlySet<string>,
  confirm: boolean,
  counts: WalkCounts,
): Promise<void> {
  const tasks = new TaskGroup();
  for (const id of known) {
    if (listed.has(id) || !sc.emitter.lookup(sc.name, id)) continue;
    if (confirm && sc.def.objectPath) {
      tasks.add(sc.fetch(id, { snapshot: false }, counts, 'child'));
      await sc.room();
    } else {
      sc.emitter.remove(sc.name, id, counts);
    }
  }
  await tasks.drain();
  await sc.batch.flushIfFull();
}
