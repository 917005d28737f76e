import type { Logger } from 'pino';
import type { Priority } from '../intercom/scheduler';
import type { StreamProgress } from '../kafka/state-store';
import type { StreamName } from '../normalize';
import { windowStart } from './diff';
import { read } from './emit';
import type { WalkCounts } from './emitter';
import { newCounts } from './emitter';
import type { EngineObserver, PollSummary } from './engine';
import { removeMissing } from './reconcile';
import { addDone, remaining, type Slice } from './slices';
import { listingPages, mayMissObjects, newestObject, windowPages, type IntercomReader } from './sources';
import type { StreamCapture, WalkMode } from './stream';
import { DescendingWalk, walk, walkSlices } from './walk';

export interface ReadsEnv {
  client: IntercomReader;
  clock: () => number;
  logger: Logger;
  observer?: EngineObserver;
  overlapMs: number;
  /** Most slices of one sliced walk at once. */
  sliceWorkers: number;
  /** The run's stop signal, once `run` started. */
  signal: () => AbortSignal | undefined;
}

/**
 * The reads the engine's tasks make of one stream: its first sync (snapshot), an incremental window, a
 * full scan, and the walks they are made of (a window newest first, every listing, slices of
 * `created_at`). Each read diffs what it walks into the stream's capture and commits what it recorded.
 */
export class StreamReads {
  constructor(private readonly env: ReadsEnv) {}

  /**
   * First sync of a windowed stream: everything as `r` events; the watermark is taken before the
   * listing starts. A searchable stream is read in slices, each recorded as done in the transaction
   * after its last events, so a restart resumes the slices not yet done (from the first watermark).
   */
  async snapshot(sc: StreamCapture, progress: StreamProgress): Promise<PollSummary> {
    const def = sc.def;
    const summary = summaryOf(def.name, 'snapshot');
    const mode: WalkMode = { snapshot: true };
    let watermark = progress.snapshot?.watermark;
    if (watermark === undefined) {
      const newest = await newestObject(this.env.client, def, 'bulk');
      const reading = newest ? read(def, '', newest) : undefined;
      watermark = (reading?.ok ? reading.updatedAtMs : null) ?? 0;
    }
    if (def.search) {
      let snapshot = progress.snapshot ?? {
        watermark,
        unit: def.search.dayGranular ? 'day' : 'second',
        done: [],
      };
      const resumed = snapshot.done.length > 0;
      if (resumed)
        this.env.logger.info({ stream: def.name, done: snapshot.done.length }, 'resuming the snapshot');
      await this.walkSliced(sc, remaining(snapshot.done), summary, mode, 'snapshot', (slice) => {
        snapshot = { ...snapshot, done: addDone(snapshot.done, slice) };
        sc.emitter.setProgress({ snapshot });
      });
    } else {
      // One cursor (companies' scroll, an offset listing) has one page in flight at a time, so it
      // cannot crowd out anything; at bulk priority each of its pages would queue behind the slices of
      // the searchable streams, and its chain of pages would be the last part of a first sync to end.
      await this.walkListings(sc, summary, mode, 'child');
    }
    // Offset-paged listings can skip an object that moves while they page: a reconciliation (a second
    // full listing) follows soon after, and every RECONCILE_INTERVAL_MS after that.
    sc.emitter.setProgress({ watermark, lastReconcile: null, snapshotDone: true, snapshot: undefined });
    await sc.batch.flush();
    this.env.logger.info(
      { stream: def.name, read: summary.read, published: summary.published },
      'snapshot done',
    );
    return summary;
  }

  /** An incremental poll: the window since the watermark less the overlap, newest first. */
  async incremental(sc: StreamCapture, progress: StreamProgress): Promise<PollSummary> {
    const startMs = windowStart(progress.watermark!, this.env.overlapMs);
    const summary = summaryOf(sc.name, 'incremental');
    const newest = await this.walkWindow(sc, startMs, summary, { snapshot: false }, 'poll');
    sc.emitter.setProgress({ watermark: Math.max(progress.watermark!, newest ?? 0) });
    await sc.batch.flush();
    return summary;
  }

  /** Full scans (small or unsearchable streams): everything, every poll; deletes found every poll. */
  async scan(sc: StreamCapture, progress: StreamProgress): Promise<PollSummary> {
    const def = sc.def;
    const summary = summaryOf(def.name, progress.snapshotDone ? 'scan' : 'snapshot');
    const known = sc.batch.liveIds(def.name);
    const listed = new Set<string>();
    let newest: number | null = null;
    await this.walkListings(
      sc,
      summary,
      { snapshot: !progress.snapshotDone },
      // A first scan is one cursor too (see snapshot): ahead of the slices, behind the polls.
      progress.snapshotDone ? 'poll' : 'child',
      (seen) => {
        for (const id of seen.ids) listed.add(id);
        if (seen.maxUpdatedAt !== null) newest = Math.max(newest ?? seen.maxUpdatedAt, seen.maxUpdatedAt);
      },
    );
    await removeMissing(sc, known, listed, def.listings.some(mayMissObjects), summary);
    sc.emitter.setProgress({
      watermark: maxOf(progress.watermark, newest),
      lastReconcile: this.env.clock(),
      snapshotDone: true,
    });
    await sc.batch.flush();
    return summary;
  }

  /** Walks a window newest first; returns the newest `updated_at` seen. */
  async walkWindow(
    sc: StreamCapture,
    startMs: number,
    summary: WalkCounts,
    mode: WalkMode,
    priority: Priority,
  ): Promise<number | null> {
    const window = new DescendingWalk(startMs);
    await walk(sc, windowPages(this.env.client, sc.def, startMs, priority), {
      search: sc.def.search !== undefined,
      mode,
      counts: summary,
      fetchPriority: 'child',
      signal: this.env.signal(),
      onRead: (n, t) => this.env.observer?.read?.(sc.name, n, t),
      onPage: (seen) => {
        for (const u of seen.updatedAts) window.see(u);
        return window.canStop;
      },
    });
    return window.maxSeen;
  }

  async walkListings(
    sc: StreamCapture,
    summary: WalkCounts,
    mode: WalkMode,
    priority: Priority,
    onPage?: (seen: { ids: string[]; maxUpdatedAt: number | null }) => void,
  ): Promise<void> {
    for (const listing of sc.def.listings) {
      await walk(sc, listingPages(this.env.client, listing, priority), {
        search: listing.paging === 'search-all',
        mode,
        counts: summary,
        fetchPriority: 'child',
        signal: this.env.signal(),
        onRead: (n, t) => this.env.observer?.read?.(sc.name, n, t),
        onPage,
      });
    }
  }

  async walkSliced(
    sc: StreamCapture,
    slices: Slice[],
    summary: WalkCounts,
    mode: WalkMode,
    kind: 'snapshot' | 'backfill',
    onSliceDone?: (slice: Slice) => void,
  ): Promise<void> {
    await walkSlices(sc, {
      client: this.env.client,
      slices,
      workers: this.env.sliceWorkers,
      activeWorkers: () => this.activeSliceWorkers(),
      nowMs: this.env.clock(),
      mode,
      counts: summary,
      pagePriority: 'bulk',
      fetchPriority: 'child',
      signal: this.env.signal(),
      onRead: (n, t) => this.env.observer?.read?.(sc.name, n, t),
      onSliceDone,
      onProgress: (p) => this.env.observer?.slices?.(sc.name, kind, p),
    });
  }

  /**
   * Slices a sliced walk may walk at once now: about three quarters of the requests the client keeps in
   * flight (a walk has one page in flight, and one more while it diffs a page).
   */
  activeSliceWorkers(): number {
    const bound = this.env.client.concurrency?.();
    return bound === undefined ? this.env.sliceWorkers : Math.max(2, Math.ceil(bound * 0.75));
  }
}

export function summaryOf(stream: StreamName, kind: PollSummary['kind']): PollSummary {
  return { stream, kind, ...newCounts() };
}

export function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
