import type { Logger } from 'pino';
import type { Priority } from '../intercom/scheduler';
import { updatedAtOf } from '../normalize';
import type { StreamName } from '../streams/names';
import type { IntercomReader } from './contracts';
import { windowStart } from './diff';
import { WHOLE, remaining, type Slice } from './slices';
import { listingSource, mayMissObjects, newestObject, windowSource, sliceUnit } from './sources';
import { Walk, newCounts, type PageSeen, type StreamCapture, type WalkCounts, type WalkMode } from './stream';
import { DescendingWalk, StopRequested, walkSlices, walkSource, type SliceProgress } from './walk';

/**
 * The reads of one stream, each made of walks over sources: its first sync (Debezium's snapshot), an
 * incremental window or a full scan (its streaming), a reconciliation and a backfill. Each read diffs
 * what it walks into the stream's capture, tells the stream's cursor what it finished once every read
 * of it was decided on, and commits.
 */

/** What a read did, for logs and the CLI. */
export interface PollSummary extends WalkCounts {
  stream: StreamName;
  kind: 'snapshot' | 'incremental' | 'scan' | 'backfill';
}

export function summaryOf(stream: StreamName, kind: PollSummary['kind']): PollSummary {
  return { stream, kind, ...newCounts() };
}

/** What the reads tell, for metrics and progress bars; all optional. */
export interface ReadObserver {
  read?(stream: StreamName, objects: number, total?: number): void;
  /** A sliced walk (snapshot, reconciliation, backfill) moved on. */
  slices?(stream: StreamName, kind: 'snapshot' | 'reconcile' | 'backfill', progress: SliceProgress): void;
  /**
   * A first sync (a snapshot, or a stream's first full scan) started, ended once committed, or was
   * aborted by a failure or a stop (then `details.reason` says why).
   */
  snapshot?(
    stream: StreamName,
    phase: SnapshotPhase,
    details: Record<string, string | number | undefined>,
  ): void;
}

export type SnapshotPhase = 'started' | 'completed' | 'aborted';

export interface ReadsEnv {
  client: IntercomReader;
  /** Wall clock (ms): where open slices end, when a reconciliation or scan happened. */
  clock: () => number;
  logger: Logger;
  observer?: ReadObserver;
  overlapMs: number;
  /** Most slices of one sliced walk at once. */
  sliceWorkers: number;
  /** The run's stop signal, once `run` started. */
  signal: () => AbortSignal | undefined;
}

/**
 * The reads of one stream. Their pages go out by priority (src/intercom/scheduler.ts): polls first, then
 * one-cursor listings (beside the fetches of single objects, see StreamCapture), then the slices of
 * first syncs and backfills, then reconciliations.
 */
export class StreamReads {
  constructor(private readonly env: ReadsEnv) {}

  /**
   * First sync of a windowed stream: everything as `r` events; the watermark is taken before the
   * listing starts. A searchable stream is read in slices, each recorded as done in the transaction
   * after its last events, so a restart resumes the slices not yet done (from the first watermark).
   */
  async snapshot(sc: StreamCapture): Promise<PollSummary> {
    return this.told(sc.name, sc.cursor.progress.snapshot?.done.length ?? 0, () => this.snapshotInner(sc));
  }

  /**
   * Runs a first sync, telling the observer that it started, and that it completed (with its counts)
   * or was aborted (with the reason); throws what the read throws.
   */
  private async told(
    stream: StreamName,
    resumedSlices: number,
    read: () => Promise<PollSummary>,
  ): Promise<PollSummary> {
    this.env.observer?.snapshot?.(stream, 'started', { resumed_slices: resumedSlices });
    try {
      const summary = await read();
      const { read: objects, published, deleted, deadLetters } = summary;
      this.env.observer?.snapshot?.(stream, 'completed', {
        read: objects,
        published,
        deleted,
        dead_letters: deadLetters,
      });
      return summary;
    } catch (error) {
      const reason = error instanceof StopRequested ? 'stopped' : (error as Error).message;
      this.env.observer?.snapshot?.(stream, 'aborted', { reason });
      throw error;
    }
  }

  private async snapshotInner(sc: StreamCapture): Promise<PollSummary> {
    const def = sc.def;
    const summary = summaryOf(def.name, 'snapshot');
    const walk = new Walk({ snapshot: true }, summary);
    let watermark = sc.cursor.progress.snapshot?.watermark;
    if (watermark === undefined) {
      const newest = await newestObject(this.env.client, def, 'bulk');
      watermark = (newest ? updatedAtOf(def, newest) : null) ?? 0;
    }
    if (def.search) {
      const plan = sc.cursor.snapshotPlan(watermark, sliceUnit(def.search));
      if (plan.done.length > 0)
        this.env.logger.info({ stream: def.name, done: plan.done.length }, 'resuming the snapshot');
      await this.walkSliced(sc, walk, remaining(plan.done), 'snapshot', {
        onSliceDone: (slice) => sc.cursor.sliceDone(plan, slice),
      });
    } else {
      // One cursor (an offset listing) has one page in flight at a time, so it cannot crowd out
      // anything; at bulk priority each of its pages would queue behind the slices of the searchable
      // streams, and its chain of pages would be the last part of a first sync to end.
      await this.walkListings(sc, walk, 'child');
    }
    sc.cursor.snapshotDone(watermark);
    await sc.flush();
    this.env.logger.info(
      { stream: def.name, read: summary.read, published: summary.published },
      'snapshot done',
    );
    return summary;
  }

  /** An incremental poll: the window since the watermark less the overlap, newest first. */
  async incremental(sc: StreamCapture): Promise<PollSummary> {
    const startMs = windowStart(sc.cursor.progress.watermark!, this.env.overlapMs);
    const summary = summaryOf(sc.name, 'incremental');
    const newest = await this.walkWindow(sc, new Walk({ snapshot: false }, summary), startMs, 'poll');
    sc.cursor.windowDone(newest);
    await sc.flush();
    return summary;
  }

  /** Full scans (small or unsearchable streams): everything, every poll; deletes found every poll. */
  async scan(sc: StreamCapture): Promise<PollSummary> {
    if (sc.cursor.progress.snapshotDone) return this.scanInner(sc);
    return this.told(sc.name, 0, () => this.scanInner(sc));
  }

  private async scanInner(sc: StreamCapture): Promise<PollSummary> {
    const def = sc.def;
    const first = !sc.cursor.progress.snapshotDone;
    const summary = summaryOf(def.name, first ? 'snapshot' : 'scan');
    const known = sc.liveIds();
    const listed = new Set<string>();
    let newest: number | null = null;
    const walk = new Walk({ snapshot: first }, summary);
    // A first scan is one cursor too (see snapshot): ahead of the slices, behind the polls.
    await this.walkListings(sc, walk, first ? 'child' : 'poll', (seen) => {
      for (const id of seen.ids) listed.add(id);
      if (seen.maxUpdatedAt !== null) newest = Math.max(newest ?? seen.maxUpdatedAt, seen.maxUpdatedAt);
    });
    await sc.removeMissing(known, listed, def.listings.some(mayMissObjects), walk);
    sc.cursor.scanDone(newest, this.env.clock());
    await sc.flush();
    return summary;
  }

  /**
   * Reconciliation of a windowed stream: lists every object (and diffs it: a change the windows missed
   * is caught here too), in slices where the stream is searchable, at background priority; an id the
   * state knew when it started but the listing lacks is confirmed gone by a 404 on the object itself
   * before it becomes a delete, because a paging cursor (or a lagging index) can miss a live object.
   * Runs beside the stream's incremental polls: both diff against the stream's one pending view.
   */
  async reconcile(sc: StreamCapture): Promise<PollSummary> {
    const summary = summaryOf(sc.name, 'scan');
    const known = sc.liveIds();
    const listed = new Set<string>();
    const walk = new Walk({ snapshot: false, retryUnreadable: true }, summary);
    const onPage = (seen: PageSeen): void => seen.ids.forEach((id) => listed.add(id));
    if (sc.def.search)
      await this.walkSliced(sc, walk, [WHOLE], 'reconcile', { onPage, priority: 'background' });
    else await this.walkListings(sc, walk, 'background', onPage);
    await sc.removeMissing(known, listed, true, walk);
    sc.cursor.reconciled(this.env.clock());
    await sc.flush();
    return summary;
  }

  /**
   * Re-reads a stream and publishes `r` events for what differs from the state (everything with force);
   * `sinceMs`/`untilMs` bound the objects' `updated_at`, `once` is a signalled snapshot's (WalkMode).
   */
  async backfill(
    sc: StreamCapture,
    options: Pick<WalkMode, 'sinceMs' | 'untilMs' | 'force' | 'once'>,
  ): Promise<PollSummary> {
    const def = sc.def;
    const summary = summaryOf(def.name, 'backfill');
    const mode: WalkMode = { snapshot: true, ...options };
    const walk = new Walk(mode, summary);
    if (options.sinceMs !== undefined && (def.search || def.strategy === 'newest-first')) {
      await this.walkWindow(sc, walk, options.sinceMs, 'bulk');
    } else if (def.search) {
      await this.walkSliced(sc, walk, [WHOLE], 'backfill');
    } else {
      await this.walkListings(sc, walk, 'bulk');
    }
    await sc.flush();
    return summary;
  }

  /** Walks a window newest first; returns the newest `updated_at` seen. */
  private async walkWindow(
    sc: StreamCapture,
    walk: Walk,
    startMs: number,
    priority: Priority,
  ): Promise<number | null> {
    const window = new DescendingWalk(startMs);
    await walkSource(sc, windowSource(this.env.client, sc.def, startMs, priority), walk, {
      ...this.hooks(sc),
      onPage: (seen) => {
        for (const u of seen.updatedAts) window.see(u);
        return window.canStop;
      },
    });
    return window.maxSeen;
  }

  /** Walks every listing of the stream (their union is the whole stream). */
  private async walkListings(
    sc: StreamCapture,
    walk: Walk,
    priority: Priority,
    onPage?: (seen: PageSeen) => void,
  ): Promise<void> {
    for (const listing of sc.def.listings)
      await walkSource(sc, listingSource(this.env.client, sc.name, listing, priority), walk, {
        ...this.hooks(sc),
        onPage,
      });
  }

  /** Walks slices of a searchable stream, many at once (walk.ts). */
  private async walkSliced(
    sc: StreamCapture,
    walk: Walk,
    slices: Slice[],
    kind: 'snapshot' | 'reconcile' | 'backfill',
    o: { priority?: Priority; onSliceDone?: (slice: Slice) => void; onPage?: (seen: PageSeen) => void } = {},
  ): Promise<void> {
    await walkSlices(sc, walk, {
      client: this.env.client,
      search: sc.def.search!,
      slices,
      pagePriority: o.priority ?? 'bulk',
      workers: this.env.sliceWorkers,
      activeWorkers: () => this.activeSliceWorkers(),
      nowMs: this.env.clock(),
      ...this.hooks(sc),
      onSliceDone: o.onSliceDone,
      onPage: o.onPage,
      onProgress: (p) => this.env.observer?.slices?.(sc.name, kind, p),
    });
  }

  private hooks(sc: StreamCapture) {
    return {
      signal: this.env.signal(),
      onRead: (n: number, t?: number) => this.env.observer?.read?.(sc.name, n, t),
    };
  }

  /**
   * Slices a sliced walk may walk at once now: about three quarters of the requests the client keeps in
   * flight (a walk has one page in flight, and one more while it diffs a page).
   */
  private activeSliceWorkers(): number {
    const bound = this.env.client.concurrency?.();
    return bound === undefined ? this.env.sliceWorkers : Math.max(2, Math.ceil(bound * 0.75));
  }
}
