import { CdcError } from '../errors';
import { readSequence, releaseAnswer, type Page } from '../intercom/pagination';
import type { Priority } from '../intercom/scheduler';
import { untimed, type GoodReading, type Op, type Reading } from '../normalize';
import { deadLetterCopy } from '../normalize/bounded-json';
import type { StreamName } from '../streams/names';
import type { StreamDef } from '../streams/definitions';
import type { ChangeBatch, PartNotes } from './batch';
import type { ConsumedOffsets, IntercomReader, ObjectState } from './contracts';
import type { StreamCursor } from './cursor';
import { decide } from './diff';
import type { StreamEvents } from './events';
import { prepare, type Preparation, type PreparedObject } from './prepare';

/**
 * One stream's capture: the decision on each object its walks read, the fetches a listing cannot
 * settle, and the stream's one batch (what is decided and not yet committed) and cursor (its progress).
 */

/**
 * Priority of every fetch of a single object (a changed conversation's parts, a delete confirmation, a
 * copy a listing could not settle): after the polls, ahead of the slices of first syncs and backfills
 * and of reconciliations (src/intercom/scheduler.ts), so that a walk's fetches never wait behind other
 * walks' pages.
 */
const FETCH_PRIORITY: Priority = 'child';

/**
 * How a walk reads: `snapshot` publishes `r`; `force` republishes everything; `sinceMs` skips older
 * objects and `untilMs` newer ones; `retryUnreadable` (reconciliation) reads once more the objects
 * dead-lettered as unreadable; `once` publishes each object of the stream at most once (a signalled
 * snapshot).
 */
export interface WalkMode {
  snapshot: boolean;
  force?: boolean;
  sinceMs?: number;
  untilMs?: number;
  retryUnreadable?: boolean;
  once?: Once;
}

/**
 * The objects a signalled snapshot republished (src/capture/signals.ts), so that each is published once
 * across duplicates in listings and restarts: an object it `has` is skipped; each one published is
 * `add`ed and noted in the batch's part that holds its event, synchronously (see PartNotes).
 */
export interface Once {
  has(id: string): boolean;
  add(id: string): void;
  notes: PartNotes;
}

/** What one walk did, for logs and the poll summary. */
export interface WalkCounts {
  read: number;
  published: number;
  deleted: number;
  deadLetters: number;
}

export function newCounts(): WalkCounts {
  return { read: 0, published: 0, deleted: 0, deadLetters: 0 };
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

/**
 * What one walk carries into the decisions it asks for: how it reads, where its counts go (several walks
 * of one read may share them), and the fetches it started, which it must see end before it records
 * progress. A sliced walk forks one per slice: same mode and counts, fetches of its own.
 */
export class Walk {
  readonly tasks = new TaskGroup();

  constructor(
    readonly mode: WalkMode,
    readonly counts: WalkCounts = newCounts(),
  ) {}

  fork(): Walk {
    return new Walk(this.mode, this.counts);
  }
}

/** What a page showed: the ids and `updated_at`s, for the walk's bookkeeping (deletes, early stop, watermark). */
export interface PageSeen {
  ids: string[];
  updatedAts: (number | null)[];
  maxUpdatedAt: number | null;
}

/** Where a copy of an object came from: a search (whose index may lag) or not, and when it was read. */
interface CopySource {
  search: boolean;
  sequence: number;
}

/** A copy from a listing to publish once its embedded lists are complete (instead of a GET). */
interface Copy {
  reading: GoodReading;
  sequence: number;
}

interface Queued {
  walk: Walk;
  promise: Promise<void>;
  /** Complete this copy; undefined: GET the object. */
  copy?: Copy;
}

export interface StreamCaptureDeps {
  def: StreamDef;
  client: IntercomReader;
  batch: ChangeBatch;
  events: StreamEvents;
  cursor: StreamCursor;
  /** Whether the children the stream declares are captured (their stream is enabled). */
  childrenEnabled: boolean;
  /** Fetches of single objects under way at once, for this stream. */
  maxFetches: number;
  /** Wall clock (ms): what counts as an `updated_at` in the future. */
  clock: () => number;
  /** How far past the clock an `updated_at` may be and still be trusted (clock skew), in ms. */
  maxClockSkewMs: number;
  /** Failed reads of one object (each after the client's own retries) before it is a dead letter. */
  maxReadAttempts: number;
  /**
   * Whether an embedded list that says `has_more` is read in full (default true); false publishes the
   * items Intercom embeds, as it sends them.
   */
  completeLists?: boolean;
  /** Told of each object whose `updated_at` was too far in the future to be trusted. */
  onFutureTimestamp?: (stream: StreamName, id: string, updatedAtMs: number) => void;
  /**
   * Prepares a text the capture holds (an object with its embedded lists completed) as the client
   * prepares answers (src/capture/workers.ts); default: inline, on this thread.
   */
  prepare?: (text: string, how: Preparation) => Promise<object | undefined>;
  /** Told of each request for the rest of an embedded list (one per page). */
  onEmbeddedListRequest?: (stream: StreamName, list: string) => void;
  /** Told of each object fetched with its children: the object as read, and how many children it carried. */
  onParentRead?: (own: Reading, children: number) => void;
}

const utf8 = new TextDecoder();

function prepareInline(text: string, how: Preparation): Promise<object | undefined> {
  return Promise.resolve(prepare(text, how));
}

/** Of two copies of one object, the one to decide on: the later `updated_at`, else the later read. */
function newer(a: Copy, b: Copy): Copy {
  const ua = a.reading.updatedAtMs ?? -Infinity;
  const ub = b.reading.updatedAtMs ?? -Infinity;
  if (ua !== ub) return ua > ub ? a : b;
  return a.sequence >= b.sequence ? a : b;
}

/**
 * One stream's capture. Contract:
 * - Every walk of the stream diffs against one view: what is pending in its batch, then what is
 *   committed.
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
 * - At most `maxFetches` fetches run at once; a page waits for room before it starts another
 *   (back-pressure on walks).
 * - An object whose embedded lists say `has_more` (the stream's `embeddedLists`) is published with each
 *   of them in full: once the decision on it is to publish, the rest of each is read (at the fetches'
 *   priority, inside the object's one read in flight) and the object is prepared again with them, then
 *   decided again against the pending view. The state keeps the hash of the object as the API returned
 *   it (lists cut), so a later copy of the same version is not taken for a change and its lists are
 *   read once per version.
 */
export class StreamCapture {
  readonly def: StreamDef;
  /** The stream's progress and its one writer. */
  readonly cursor: StreamCursor;
  private readonly batch: ChangeBatch;
  private readonly events: StreamEvents;
  /** The fetch of an object on the wire, and the one queued behind it: one read in flight per object. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Queued>();
  /** Object id → read sequence of the read that found it gone (404). */
  private readonly gone = new Map<string, number>();
  /** Object id → reads of it that failed in a row (see maxReadAttempts). */
  private readonly failedReads = new Map<string, { failures: number; listedAt?: number | null }>();
  /**
   * Object id → the `updated_at` of the listing copy whose object was dead-lettered as unreadable: that
   * version is not fetched again (each window that still lists it would otherwise fail its walk and
   * dead-letter it anew every `maxReadAttempts` polls); a later version, a forced walk or a successful
   * read clears it.
   */
  private readonly unreadable = new Map<string, number | null | undefined>();
  private fetching = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly d: StreamCaptureDeps) {
    this.def = d.def;
    this.cursor = d.cursor;
    this.batch = d.batch;
    this.events = d.events;
  }

  get name(): StreamName {
    return this.def.name;
  }

  /** Whether a commit of this stream failed: the capture is then dropped (see ChangeBatch). */
  get failed(): boolean {
    return this.batch.failed;
  }

  /** What the stream's state holds of an object, pending changes included. */
  lookup(id: string): ObjectState | undefined {
    return this.batch.lookup(this.name, id);
  }

  /** Ids of the stream that are live in the pending view. */
  liveIds(): string[] {
    return this.batch.liveIds(this.name);
  }

  /** Starts committing what the walks added once a part is full (waits while too many parts wait). */
  flushIfFull(): Promise<void> {
    return this.batch.flushIfFull();
  }

  /** Consumed offsets to commit with everything added so far (ChangeBatch.addOffsets). */
  addOffsets(offsets: ConsumedOffsets): void {
    this.batch.addOffsets(offsets);
  }

  /** Commits everything added so far; throws if a commit failed. */
  flush(): Promise<void> {
    return this.batch.flush();
  }

  /** Waits for the commits under way; never throws. */
  settle(): Promise<void> {
    return this.batch.settle();
  }

  /**
   * Diffs one page of readings (prepare.ts) into the batch, starting fetches where needed (added to the
   * walk's tasks). An item that was not an object with an id, or could not be read, goes to the
   * dead-letter topic (saying where it was on the page); the rest of the page goes on. A page Intercom
   * answered without its list (`unread`) is a dead letter.
   */
  async observePage(page: Page<Reading>, search: boolean, walk: Walk): Promise<PageSeen> {
    const seen: PageSeen = { ids: [], updatedAts: [], maxUpdatedAt: null };
    if (page.unread)
      this.reject(this.name, { id: '', copy: deadLetterCopy(page.unread.copy) }, walk, page.unread.error);
    const source: CopySource = { search, sequence: page.sequence ?? readSequence() };
    const { sinceMs, untilMs } = walk.mode;
    const latest = this.latestTrusted();
    walk.counts.read += page.items.length;
    for (const item of page.items) {
      if (item.id !== '') seen.ids.push(item.id);
      if (!item.ok) {
        this.reject(this.name, item, walk);
        continue;
      }
      const reading = this.trusted(item, latest);
      seen.updatedAts.push(reading.updatedAtMs);
      if (reading.updatedAtMs !== null)
        seen.maxUpdatedAt = Math.max(seen.maxUpdatedAt ?? reading.updatedAtMs, reading.updatedAtMs);
      if (sinceMs !== undefined && reading.updatedAtMs !== null && reading.updatedAtMs < sinceMs) continue;
      if (untilMs !== undefined && reading.updatedAtMs !== null && reading.updatedAtMs > untilMs) continue;
      if (walk.mode.once?.has(reading.id)) continue;
      const next = this.observeCopy(reading, source, walk);
      if (next) {
        const copy = next === 'complete' ? { reading, sequence: source.sequence } : undefined;
        walk.tasks.add(this.fetch(reading.id, walk, copy));
        await this.room();
      }
    }
    return seen;
  }

  /**
   * Fetches one object by id and decides on it (a delete confirmation, a part of a changed parent, a
   * copy the listing could not settle). Resolves once a fetch issued after this call was decided on.
   * With `copy`, the object is not fetched: the copy's embedded lists are completed and it is decided
   * on (a queued GET of the object stands for it: it reads the object as it is then).
   */
  fetch(id: string, walk: Walk, copy?: Copy): Promise<void> {
    const queued = this.queued.get(id);
    if (queued) {
      queued.walk = walk;
      queued.copy = copy && queued.copy && newer(copy, queued.copy);
      return queued.promise;
    }
    const running = this.running.get(id);
    if (!running) return this.start(id, walk, copy);
    const next: Queued = { walk, promise: Promise.resolve(), copy };
    next.promise = running
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(id);
        return this.start(id, next.walk, next.copy);
      });
    this.queued.set(id, next);
    return next.promise;
  }

  /**
   * Deletes what the state knew (`known`) that a complete listing lacked (`listed`) and the pending view
   * still holds. With `confirm` (a listing that can miss objects) and a GET path, each is fetched first:
   * a 404 deletes it, an answer is diffed like any read. Without, it is deleted at once.
   */
  async removeMissing(
    known: readonly string[],
    listed: ReadonlySet<string>,
    confirm: boolean,
    walk: Walk,
  ): Promise<void> {
    for (const id of known) {
      if (listed.has(id) || !this.lookup(id)) continue;
      if (confirm && this.def.objectPath) {
        walk.tasks.add(this.fetch(id, walk));
        await this.room();
      } else {
        this.remove(id, walk);
      }
    }
    await walk.tasks.drain();
    await this.flushIfFull();
  }

  private start(id: string, walk: Walk, copy?: Copy): Promise<void> {
    const run = this.fetchOnce(id, walk, copy).finally(() => {
      if (this.running.get(id) === run) this.running.delete(id);
    });
    this.running.set(id, run);
    return run;
  }

  /** Resolves once fewer than `maxFetches` fetches run. */
  private async room(): Promise<void> {
    while (this.fetching >= this.d.maxFetches)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Decides on a copy from a listing; returns `get` when only the object itself can settle it, and
   * `complete` when the copy is to be published once its embedded lists are complete.
   */
  private observeCopy(reading: GoodReading, source: CopySource, walk: Walk): 'get' | 'complete' | undefined {
    if (this.goneAfter(reading.id, source.sequence)) return undefined;
    const prev = this.lookup(reading.id);
    const decision = decide(prev, reading, walk.mode);
    if (!decision.publish) return undefined;
    if (this.childrenEnabled()) return this.worthFetching(reading, walk) ? 'get' : undefined;
    const settled = walk.mode.snapshot || walk.mode.force || !source.search;
    if (!settled && this.def.objectPath && (!prev || prev.u === reading.updatedAtMs))
      return this.worthFetching(reading, walk) ? 'get' : undefined;
    if (reading.incomplete && this.def.objectPath && this.d.completeLists !== false)
      return this.worthFetching(reading, walk) ? 'complete' : undefined;
    this.markSeen(reading.id, source.sequence);
    this.publish(this.name, decision.op, reading, prev?.u ?? null, walk);
    return undefined;
  }

  /**
   * Whether the object of a listing copy is to be read (fetched, or its embedded lists completed): not
   * when that very version was dead-lettered as unreadable (see `unreadable`), unless the walk forces
   * every object or retries those. Notes the copy's `updated_at` for an object whose reads fail, for the
   * dead letter that may follow.
   */
  private worthFetching(reading: GoodReading, walk: Walk): boolean {
    if (!walk.mode.force && !walk.mode.retryUnreadable && this.unreadable.has(reading.id)) {
      if (this.unreadable.get(reading.id) === reading.updatedAtMs) return false;
      this.unreadable.delete(reading.id);
    }
    const failing = this.failedReads.get(reading.id);
    if (failing) failing.listedAt = reading.updatedAtMs;
    return true;
  }

  /**
   * Reads the object (or takes `copy`), completes its embedded lists when it is to be published, and
   * decides on it. Holds one of the `maxFetches` places throughout.
   */
  private async fetchOnce(id: string, walk: Walk, copy?: Copy): Promise<void> {
    this.fetching += 1;
    let object: PreparedObject | null;
    let answer: PreparedObject | null = null;
    const sequence = copy?.sequence ?? readSequence();
    try {
      object = copy
        ? { own: copy.reading, children: [] }
        : (answer = await this.d.client.get<PreparedObject>(this.def.objectPath!(id), undefined, {
            allow404: true,
            priority: FETCH_PRIORITY,
            prepare: { kind: 'object', stream: this.name, id, children: this.childrenEnabled() },
          }));
      if (object !== null && !this.goneAfter(id, sequence)) {
        const own = await this.completed(object.own, walk);
        object = own === null ? null : { own, children: object.children };
        if (object === null) return; // its lists are gone with it: a later read settles it
      }
    } catch (error) {
      return this.readFailed(id, error, walk);
    } finally {
      this.fetching -= 1;
      this.waiters.shift()?.();
      // What the answer holds of the read budget: given back here, and the decision below is taken in
      // this same turn (it awaits nothing), before any read waiting for room can go on.
      releaseAnswer(answer);
    }
    this.failedReads.delete(id);
    this.unreadable.delete(id);
    if (object === null) {
      this.markGone(id, sequence);
      this.remove(id, walk);
      return;
    }
    if (this.goneAfter(id, sequence)) return;
    this.markSeen(id, sequence);
    this.decideFetched(object, walk);
  }

  /**
   * The reading with its incomplete embedded lists read in full (see the class contract), or itself when
   * it has none or is not to be published; null when a list answers 404 (the object is gone: nothing is
   * published, and a later read, or a GET of a reconciliation, settles it).
   */
  private async completed(own: Reading, walk: Walk): Promise<Reading | null> {
    if (!own.ok || !own.incomplete || !this.def.objectPath || this.d.completeLists === false) return own;
    const latest = this.latestTrusted();
    const reading = own.updatedAtMs !== null && own.updatedAtMs > latest ? untimed(own) : own;
    if (!decide(this.lookup(own.id), reading, walk.mode).publish) return own;
    const lists: Record<string, unknown[]> = {};
    try {
      for (const list of own.incomplete) lists[list] = await this.readList(own.id, list);
    } catch (error) {
      if (error instanceof CdcError && error.code === 'not_found') return null;
      throw error;
    }
    const text = `{"object":${utf8.decode(own.json)},"lists":${JSON.stringify(lists)}}`;
    const how: Preparation = { kind: 'complete', stream: this.name, id: own.id, hash: own.hash };
    const prepared = (await (this.d.prepare ?? prepareInline)(text, how)) as PreparedObject | undefined;
    if (!prepared)
      throw new CdcError(`${this.name} ${own.id}: the completed object could not be prepared`, {
        code: 'internal',
        kind: 'system',
      });
    return prepared.own;
  }

  /** Every item of one embedded list, page by page (`GET <object>/<list>`), each request told of. */
  private async readList(id: string, list: string): Promise<unknown[]> {
    const items: unknown[] = [];
    const path = `${this.def.objectPath!(id)}/${list}`;
    for await (const page of this.d.client.pagedListPages<unknown>(path, 'data', {
      priority: FETCH_PRIORITY,
    })) {
      this.d.onEmbeddedListRequest?.(this.name, list);
      if (page.unread) throw page.unread.error;
      items.push(...page.items);
    }
    return items;
  }

  /**
   * A fetch failed after the client's own retries. The walk fails with it (and is tried again at the next
   * poll) until the object failed `maxReadAttempts` reads in a row: then it goes to the dead-letter
   * topic and the walk goes on, so that one object cannot hold its stream's watermark back forever
   * (reconciliation lists it again later). A configuration failure (token, permissions) always ends the
   * walk: it is nothing the object did.
   */
  private readFailed(id: string, error: unknown, walk: Walk): void {
    if (!(error instanceof CdcError) || error.kind === 'config' || error.kind === 'fenced') throw error;
    const failing = this.failedReads.get(id) ?? { failures: 0, listedAt: this.unreadable.get(id) };
    // An object dead-lettered before has had its attempts: one more failure dead-letters it again at once.
    const failures = this.unreadable.has(id) ? this.d.maxReadAttempts : failing.failures + 1;
    if (failures < this.d.maxReadAttempts) {
      this.failedReads.set(id, { ...failing, failures });
      throw error;
    }
    this.failedReads.delete(id);
    this.unreadable.set(id, failing.listedAt);
    const letter = new CdcError(
      `${this.name} ${id}: read failed ${failures} times in a row: ${error.message}`,
      {
        code: 'read_failed',
        kind: 'system',
        cause: error,
      },
    );
    this.reject(this.name, { id, copy: deadLetterCopy({ id }) }, walk, letter);
  }

  /** The object as fetched: its children, then itself, against the pending view (synchronously: one transaction). */
  private decideFetched(fetched: PreparedObject, walk: Walk): void {
    if (fetched.own.ok && walk.mode.once?.has(fetched.own.id)) return;
    const latest = this.latestTrusted();
    const children = this.childrenEnabled() ? this.def.children : undefined;
    if (children) {
      this.d.onParentRead?.(fetched.own, fetched.children.length);
      const childMode = { snapshot: walk.mode.snapshot, force: walk.mode.force };
      for (const child of fetched.children) {
        if (!child.ok) {
          this.reject(children.stream, child, walk);
          continue;
        }
        const childReading = this.trusted(child, latest);
        const prev = this.batch.lookup(children.stream, childReading.id);
        const decision = decide(prev, childReading, childMode);
        if (decision.publish) this.publish(children.stream, decision.op, childReading, prev?.u ?? null, walk);
      }
    }
    if (!fetched.own.ok) return this.reject(this.name, fetched.own, walk);
    const reading = this.trusted(fetched.own, latest);
    const prev = this.lookup(reading.id);
    const decision = decide(prev, reading, walk.mode);
    if (decision.publish) this.publish(this.name, decision.op, reading, prev?.u ?? null, walk);
  }

  private publish(stream: StreamName, op: Op, reading: GoodReading, prevU: number | null, walk: Walk): void {
    if (this.events.publish(stream, op, reading, prevU) !== 'published') {
      walk.counts.deadLetters++;
      return;
    }
    walk.counts.published++;
    const once = walk.mode.once;
    if (once && stream === this.name) {
      once.add(reading.id);
      this.batch.note(once.notes, reading.id);
    }
  }

  /** The object is gone: a delete, if the pending view still holds it. */
  private remove(id: string, walk: Walk): void {
    const prev = this.lookup(id);
    if (!prev) return;
    this.events.remove(this.name, id, prev.u);
    walk.counts.deleted++;
  }

  private reject(
    stream: StreamName,
    object: Parameters<StreamEvents['reject']>[1],
    walk: Walk,
    error?: Error,
  ): void {
    this.events.reject(stream, object, error);
    walk.counts.deadLetters++;
  }

  /**
   * A reading whose `updated_at` is later than the clock allows (plus the skew bound) is not ordered by
   * it: a future timestamp (clock skew, a bad import) would otherwise move the watermark past every later
   * change and make every later real version look older. Such an object is decided by its content, its
   * state keeps no `updated_at` (the next version is decided by content too), and it is told of.
   */
  private trusted(reading: GoodReading, latest: number): GoodReading {
    if (reading.updatedAtMs === null || reading.updatedAtMs <= latest) return reading;
    this.d.onFutureTimestamp?.(this.name, reading.id, reading.updatedAtMs);
    return untimed(reading);
  }

  /** The latest `updated_at` trusted now: the clock plus the skew bound (taken once per page or fetch). */
  private latestTrusted(): number {
    return this.d.clock() + this.d.maxClockSkewMs;
  }

  private childrenEnabled(): boolean {
    return this.d.childrenEnabled && this.def.children !== undefined;
  }

  /** Whether a read issued after `sequence` found the object gone: an older copy must not bring it back. */
  private goneAfter(id: string, sequence: number): boolean {
    const at = this.gone.get(id);
    return at !== undefined && at > sequence;
  }

  /** A read (issued at `sequence`) found the object gone. */
  private markGone(id: string, sequence: number): void {
    this.gone.set(id, Math.max(sequence, this.gone.get(id) ?? 0));
  }

  /** A read issued after the 404 shows the object again (an unarchived contact): it may come back. */
  private markSeen(id: string, sequence: number): void {
    const at = this.gone.get(id);
    if (at !== undefined && sequence > at) this.gone.delete(id);
  }
}
