import { readSequence } from '../intercom/pagination';
import type { Priority } from '../intercom/scheduler';
import type { StreamName } from '../normalize';
import { STREAM_DEFS, idOf, type StreamDef } from '../streams/definitions';
import type { ChangeBatch } from './batch';
import { decide } from './diff';
import { read, type Reading } from './emit';
import type { StreamEmitter, WalkCounts } from './emitter';
import type { IntercomReader, Page } from './sources';

type Obj = Record<string, unknown>;

/** How a walk reads: `snapshot` publishes `r`; `force` republishes everything; `sinceMs` skips older objects. */
export interface WalkMode {
  snapshot: boolean;
  force?: boolean;
  sinceMs?: number;
}

/** Where a copy of an object came from: a search (whose index may lag) or not, and when it was read. */
interface CopySource {
  search: boolean;
  sequence: number;
}

interface Queued {
  mode: WalkMode;
  counts: WalkCounts;
  promise: Promise<void>;
}

/** What a page showed: the ids and `updated_at`s, for the walk's bookkeeping (deletes, early stop, watermark). */
export interface PageSeen {
  ids: string[];
  updatedAts: (number | null)[];
  maxUpdatedAt: number | null;
}

/** The tasks a walk started and must see end before it may record its progress. */
export class TaskGroup {
  private readonly running = new Set<Promise<void>>();
  private error: { error: unknown } | undefined;

  add(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => {
      this.error ??= { error };
    });
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  throwIfFailed(): void {
    if (this.error) throw this.error.error;
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.throwIfFailed();
  }
}

export interface StreamCaptureDeps {
  def: StreamDef;
  client: IntercomReader;
  batch: ChangeBatch;
  emitter: StreamEmitter;
  /** Whether the children the stream declares are captured (their stream is enabled). */
  childrenEnabled: boolean;
  /** Fetches of single objects under way at once, for this stream. */
  maxFetches: number;
}

/**
 * One stream's capture: its batch and emitter, and the decision on each object a walk reads. Contract:
 * - The decision is taken on the object as fetched whenever the listing's copy cannot settle it: an
 *   object with children (its GET carries them), and, from a search (whose index lags), a copy unknown
 *   to the state (it may be a deleted object the index still lists) or one with the state's `updated_at`
 *   and other content (it may be the older of two versions of one second). The copy itself is then
 *   never published.
 * - One read in flight per object: a second request for an object being fetched is served by one more
 *   fetch after the current one, never beside it.
 * - A 404 is never overridden by a read issued before it; a fetched object the state knows that answers
 *   404 is a delete.
 * - A parent's event, its children and their state records are added together, so they share one
 *   transaction.
 * - At most `maxFetches` fetches run at once; `room()` waits for one to end (back-pressure on walks).
 */
export class StreamCapture {
  readonly def: StreamDef;
  readonly batch: ChangeBatch;
  readonly emitter: StreamEmitter;
  /** The fetch of an object on the wire, and the one queued behind it: one read in flight per object. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Queued>();
  private fetching = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly d: StreamCaptureDeps) {
    this.def = d.def;
    this.batch = d.batch;
    this.emitter = d.emitter;
  }

  get name(): StreamName {
    return this.def.name;
  }

  /** Diffs one page into the batch, starting fetches where needed (added to `tasks`). */
  async observePage(
    page: Page<Obj>,
    search: boolean,
    mode: WalkMode,
    counts: WalkCounts,
    tasks: TaskGroup,
    fetchPriority: Priority,
  ): Promise<PageSeen> {
    const seen: PageSeen = { ids: [], updatedAts: [], maxUpdatedAt: null };
    const source: CopySource = { search, sequence: page.sequence ?? readSequence() };
    counts.read += page.items.length;
    for (const object of page.items) {
      const reading = read(this.def, idOf(this.def, object), object);
      seen.ids.push(reading.id);
      if (!reading.ok) {
        this.emitter.reject(this.name, reading.id, reading.object, reading.error, counts);
        continue;
      }
      seen.updatedAts.push(reading.updatedAtMs);
      if (reading.updatedAtMs !== null)
        seen.maxUpdatedAt = Math.max(seen.maxUpdatedAt ?? reading.updatedAtMs, reading.updatedAtMs);
      if (mode.sinceMs !== undefined && reading.updatedAtMs !== null && reading.updatedAtMs < mode.sinceMs)
        continue;
      const fetch = this.observeCopy(reading, source, mode, counts);
      if (fetch) {
        tasks.add(this.fetch(reading.id, mode, counts, fetchPriority));
        await this.room();
      }
    }
    return seen;
  }

  /**
   * Fetches one object by id and decides on it (a delete confirmation, a part of a changed parent, a
   * copy the listing could not settle). Resolves once a fetch issued after this call was decided on.
   */
  fetch(id: string, mode: WalkMode, counts: WalkCounts, priority: Priority): Promise<void> {
    const queued = this.queued.get(id);
    if (queued) {
      Object.assign(queued, { mode, counts });
      return queued.promise;
    }
    const running = this.running.get(id);
    if (!running) return this.start(id, mode, counts, priority);
    const next: Queued = { mode, counts, promise: Promise.resolve() };
    next.promise = running
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(id);
        return this.start(id, next.mode, next.counts, priority);
      });
    this.queued.set(id, next);
    return next.promise;
  }

  private start(id: string, mode: WalkMode, counts: WalkCounts, priority: Priority): Promise<void> {
    const run = this.fetchOnce(id, mode, counts, priority).finally(() => {
      if (this.running.get(id) === run) this.running.delete(id);
    });
    this.running.set(id, run);
    return run;
  }

  /** Resolves once fewer than `maxFetches` fetches run. */
  async room(): Promise<void> {
    while (this.fetching >= this.d.maxFetches)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Decides on a copy from a listing; returns true when only the object itself can settle it. */
  private observeCopy(
    reading: Reading & { ok: true },
    source: CopySource,
    mode: WalkMode,
    counts: WalkCounts,
  ): boolean {
    if (this.emitter.goneAfter(reading.id, source.sequence)) return false;
    const prev = this.emitter.lookup(this.name, reading.id);
    const decision = decide(prev, reading, mode);
    if (!decision.publish) return false;
    if (this.d.childrenEnabled && this.def.children) return true;
    const settled = mode.snapshot || mode.force || !source.search;
    if (!settled && this.def.objectPath && (!prev || prev.u === reading.updatedAtMs)) return true;
    this.emitter.markSeen(reading.id, source.sequence);
    this.emitter.publish(this.name, decision.op, reading, prev?.u ?? null, counts);
    return false;
  }

  private async fetchOnce(id: string, mode: WalkMode, counts: WalkCounts, priority: Priority): Promise<void> {
    this.fetching += 1;
    let object: Obj | null;
    const sequence = readSequence();
    try {
      object = await this.d.client.get<Obj>(this.def.objectPath!(id), undefined, {
        allow404: true,
        priority,
      });
    } finally {
      this.fetching -= 1;
      this.waiters.shift()?.();
    }
    if (object === null) {
      this.emitter.markGone(id, sequence);
      this.emitter.remove(this.name, id, counts);
      return;
    }
    if (this.emitter.goneAfter(id, sequence)) return;
    this.emitter.markSeen(id, sequence);
    this.decideFetched(id, object, mode, counts);
  }

  /** The object as fetched: its children, then itself, against the pending view (synchronously: one transaction). */
  private decideFetched(id: string, full: Obj, mode: WalkMode, counts: WalkCounts): void {
    const children = this.childrenEnabled() ? this.def.children : undefined;
    const own = children ? children.strip(full) : full;
    const reading = read(this.def, id, own);
    if (!reading.ok) return this.emitter.reject(this.name, id, own, reading.error, counts);
    if (children) {
      const childDef = STREAM_DEFS[children.stream];
      for (const child of children.extract(full, id)) {
        const childReading = read(childDef, idOf(childDef, child), child);
        if (!childReading.ok) {
          this.emitter.reject(children.stream, childReading.id, child, childReading.error, counts);
          continue;
        }
        const prev = this.emitter.lookup(children.stream, childReading.id);
        const decision = decide(prev, childReading, { snapshot: mode.snapshot, force: mode.force });
        if (decision.publish)
          this.emitter.publish(children.stream, decision.op, childReading, prev?.u ?? null, counts);
      }
    }
    const prev = this.emitter.lookup(this.name, id);
    const decision = decide(prev, reading, mode);
    if (decision.publish) this.emitter.publish(this.name, decision.op, reading, prev?.u ?? null, counts);
  }

  private childrenEnabled(): boolean {
    return this.d.childrenEnabled && this.def.children !== undefined;
  }
}
