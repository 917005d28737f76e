import type { Logger } from 'pino';
import { CdcError } from '../errors';
import type { StateStore, StreamProgress } from '../kafka/state-store';
import type { StreamName } from '../normalize';
import { STREAM_DEFS, idOf, type StreamDef } from '../streams/definitions';
import { ChangeBatch, type BatchCounts, type Committer } from './batch';
import { decide, searchFilterValue, windowStart, type Op } from './diff';
import {
  changeEvent,
  deadLetter,
  deleteEvents,
  read,
  type EmitSettings,
  type Reading,
  type StreamCodec,
} from './emit';
import { listingPages, mayMissObjects, type IntercomReader, type Page } from './source';
import { DescendingWalk } from './walk';
import { sleep } from '../sleep';

type Obj = Record<string, unknown>;

export interface EngineSettings {
  enabled: ReadonlySet<StreamName>;
  overlapMs: number;
  pollIntervalMs(stream: StreamName): number;
  reconcileIntervalMs(stream: StreamName): number;
  /** Messages per transaction before a walk commits what it has (default 2000). */
  maxBatch?: number;
  tolerance: 'all' | 'none';
}

/** Hooks for metrics; all optional. */
export interface EngineObserver {
  committed?(stream: StreamName, counts: BatchCounts): void;
  polled?(stream: StreamName, durationMs: number, ok: boolean): void;
  progress?(stream: StreamName, progress: StreamProgress): void;
  read?(stream: StreamName, objects: number, total?: number): void;
}

export interface EngineDeps {
  client: IntercomReader;
  committer: Committer;
  store: StateStore;
  codecs: ReadonlyMap<StreamName, StreamCodec>;
  emit: EmitSettings;
  stateTopic: string;
  settings: EngineSettings;
  /** Wall clock (ms): event timestamps and the reconciliation schedule. */
  clock: () => number;
  logger: Logger;
  observer?: EngineObserver;
}

export interface PollSummary {
  stream: StreamName;
  kind: 'snapshot' | 'incremental' | 'scan' | 'backfill';
  read: number;
  published: number;
  deleted: number;
  deadLetters: number;
}

interface WalkMode {
  snapshot: boolean;
  force?: boolean;
  /** Backfill: objects older than this are left alone. */
  sinceMs?: number;
}

/**
 * The capture engine: for each enabled stream, reads what changed (DESIGN.md, Streams), diffs it
 * against the state, and commits change events with the state records that cover them in one
 * transaction. A stream's watermark moves only in the transaction that ends a complete walk, so a
 * crash at any instant means the next walk re-reads, and the diff drops what was already published.
 */
export class CaptureEngine {
  private readonly maxBatch: number;
  private commitChain: Promise<unknown> = Promise.resolve();
  private signal?: AbortSignal;
  /** Transactions of all streams go through the one producer, one after the other. */
  private readonly committer: Committer = {
    commit: (batches) => {
      const run = this.commitChain.then(() => this.d.committer.commit(batches));
      this.commitChain = run.catch(() => undefined);
      return run;
    },
  };

  constructor(private readonly d: EngineDeps) {
    this.maxBatch = d.settings.maxBatch ?? 2000;
    if (d.settings.enabled.has('conversation_parts') && !d.settings.enabled.has('conversations')) {
      throw new CdcError(
        'streams: conversation_parts is read from changed conversations; enable conversations too (STREAMS)',
        {
          code: 'config_invalid',
          kind: 'config',
        },
      );
    }
  }

  /** The streams that are polled on their own (conversation parts ride with conversations). */
  polledStreams(): StreamName[] {
    return [...this.d.settings.enabled].filter((s) => STREAM_DEFS[s].strategy !== 'children');
  }

  /** One poll of a stream: snapshot on first sight, then incremental; reconciles deletes when due. */
  async poll(stream: StreamName): Promise<PollSummary> {
    const started = Date.now();
    try {
      const summary = await this.pollInner(STREAM_DEFS[stream]);
      this.d.observer?.polled?.(stream, Date.now() - started, true);
      return summary;
    } catch (error) {
      this.d.observer?.polled?.(stream, Date.now() - started, false);
      throw error;
    }
  }

  private async pollInner(def: StreamDef): Promise<PollSummary> {
    const progress = this.d.store.streamProgress(def.name);
    if (def.strategy === 'full-scan' || def.strategy === 'snapshot') return this.scan(def, progress);
    if (!progress.snapshotDone || progress.watermark === null) return this.snapshot(def);
    const summary = await this.incremental(def, progress);
    if (this.d.clock() - (progress.lastReconcile ?? 0) >= this.d.settings.reconcileIntervalMs(def.name)) {
      const reconciled = await this.reconcile(def.name);
      summary.deleted += reconciled.deleted;
      summary.published += reconciled.published;
    }
    return summary;
  }

  /** First sync of a windowed stream: list everything as `r` events; the watermark starts before the listing. */
  private async snapshot(def: StreamDef): Promise<PollSummary> {
    const startWatermark = await this.currentMaxUpdatedAt(def);
    const batch = await this.newBatch();
    const summary = this.summary(def, 'snapshot');
    let maxSeen: number | null = null;
    for (const listing of def.listings) {
      for await (const page of listingPages(this.d.client, listing)) {
        const seen = await this.observePage(def, page, batch, summary, { snapshot: true });
        maxSeen = max(maxSeen, seen.maxUpdatedAt);
        await this.flushIfFull(def, batch);
      }
    }
    // A listing pages by offset: an object that moves up while it pages (another one deleted or merged
    // before it) is skipped. The windows never see old objects again, so a reconciliation (a second
    // full listing) follows at the next poll, and every RECONCILE_INTERVAL_MS after that.
    this.setProgress(def, batch, { watermark: startWatermark ?? 0, lastReconcile: null, snapshotDone: true });
    await this.flush(def, batch);
    this.d.logger.info(
      { stream: def.name, read: summary.read, published: summary.published, maxSeen },
      'snapshot done',
    );
    return summary;
  }

  /**
   * The newest `updated_at` before a snapshot starts: the first item of a search sorted newest first
   * (searchable streams) or of the newest-first list. An API that ignores the sort gives an older value,
   * which only widens the next window.
   */
  private async currentMaxUpdatedAt(def: StreamDef): Promise<number | null> {
    const pages = def.search
      ? this.d.client.searchPages<Obj>(
          def.search.path,
          def.search.listKey,
          { field: 'updated_at', operator: '>', value: 0 },
          {
            perPage: 1,
            sort: { field: 'updated_at', order: 'descending' },
          },
        )
      : listingPages(this.d.client, def.listings[0]);
    for await (const page of pages) {
      const first = page.items[0];
      const reading = first ? read(def, idOf(def, first), first) : undefined;
      return reading?.ok ? reading.updatedAtMs : null;
    }
    return null;
  }

  /** An incremental poll: the window since the watermark less the overlap, newest first. */
  private async incremental(def: StreamDef, progress: StreamProgress): Promise<PollSummary> {
    const startMs = windowStart(progress.watermark!, this.d.settings.overlapMs);
    const summary = this.summary(def, 'incremental');
    const watermark = await this.walkWindow(def, startMs, summary, { snapshot: false });
    const batch = await this.newBatch();
    this.setProgress(def, batch, { ...progress, watermark: Math.max(progress.watermark!, watermark ?? 0) });
    await this.flush(def, batch);
    return summary;
  }

  /** Walks a window newest first, committing as it goes; returns the newest `updated_at` seen. */
  private async walkWindow(
    def: StreamDef,
    startMs: number,
    summary: PollSummary,
    mode: WalkMode,
  ): Promise<number | null> {
    const walk = new DescendingWalk(startMs);
    const batch = await this.newBatch();
    const pages = def.search
      ? this.d.client.searchPages<Obj>(
          def.search.path,
          def.search.listKey,
          { field: 'updated_at', operator: '>', value: searchFilterValue(startMs, def.search.dayGranular) },
          { perPage: 150, sort: { field: 'updated_at', order: 'descending' } },
        )
      : listingPages(this.d.client, def.listings[0]);
    for await (const page of pages) {
      const seen = await this.observePage(def, page, batch, summary, mode);
      for (const u of seen.updatedAts) walk.see(u);
      await this.flushIfFull(def, batch);
      if (walk.canStop) break;
    }
    await this.flush(def, batch);
    return walk.maxSeen;
  }

  /** Full scans (small or unsearchable streams): everything, every poll; deletes found every poll. */
  private async scan(def: StreamDef, progress: StreamProgress): Promise<PollSummary> {
    const summary = this.summary(def, progress.snapshotDone ? 'scan' : 'snapshot');
    const batch = await this.newBatch();
    const listed = new Set<string>();
    let maxSeen: number | null = null;
    for (const listing of def.listings) {
      for await (const page of listingPages(this.d.client, listing)) {
        const seen = await this.observePage(def, page, batch, summary, { snapshot: !progress.snapshotDone });
        seen.ids.forEach((id) => listed.add(id));
        maxSeen = max(maxSeen, seen.maxUpdatedAt);
        await this.flushIfFull(def, batch);
      }
    }
    await this.deleteMissing(def, listed, batch, summary, def.listings.some(mayMissObjects));
    this.setProgress(def, batch, {
      watermark: max(progress.watermark, maxSeen),
      lastReconcile: this.d.clock(),
      snapshotDone: true,
    });
    await this.flush(def, batch);
    return summary;
  }

  /**
   * Reconciliation of a windowed stream: lists every object (and diffs it: a change the windows missed
   * is caught here too); an id the state knows but the listing lacks is confirmed gone by a 404 on the
   * object itself before it becomes a delete, because a paging cursor can skip a live object.
   */
  async reconcile(stream: StreamName): Promise<PollSummary> {
    const def = STREAM_DEFS[stream];
    const summary = this.summary(def, 'scan');
    const batch = await this.newBatch();
    const listed = new Set<string>();
    for (const listing of def.listings) {
      for await (const page of listingPages(this.d.client, listing)) {
        const seen = await this.observePage(def, page, batch, summary, { snapshot: false });
        seen.ids.forEach((id) => listed.add(id));
        await this.flushIfFull(def, batch);
      }
    }
    await this.deleteMissing(def, listed, batch, summary, true);
    this.setProgress(def, batch, { ...this.d.store.streamProgress(stream), lastReconcile: this.d.clock() });
    await this.flush(def, batch);
    return summary;
  }

  /** Re-reads a stream and publishes `r` events for what differs from the state (everything with force). */
  async backfill(
    stream: StreamName,
    options: { sinceMs?: number; force?: boolean } = {},
  ): Promise<PollSummary> {
    const def = STREAM_DEFS[stream];
    if (def.strategy === 'children') {
      throw new CdcError(
        'conversation_parts are backfilled with their conversations: backfill conversations',
        {
          code: 'config_invalid',
          kind: 'config',
        },
      );
    }
    const summary = this.summary(def, 'backfill');
    const mode: WalkMode = { snapshot: true, force: options.force, sinceMs: options.sinceMs };
    if (options.sinceMs !== undefined && (def.search || def.strategy === 'newest-first')) {
      await this.walkWindow(def, options.sinceMs, summary, mode);
      return summary;
    }
    const batch = await this.newBatch();
    for (const listing of def.listings) {
      for await (const page of listingPages(this.d.client, listing)) {
        await this.observePage(def, page, batch, summary, mode);
        await this.flushIfFull(def, batch);
      }
    }
    await this.flush(def, batch);
    return summary;
  }

  private async deleteMissing(
    def: StreamDef,
    listed: Set<string>,
    batch: ChangeBatch,
    summary: PollSummary,
    confirm: boolean,
  ): Promise<void> {
    const missing = [...this.d.store.ids(def.name)].filter(
      (id) => !listed.has(id) && batch.lookup(def.name, id),
    );
    for (const id of missing) {
      if (confirm && def.objectPath) {
        const object = await this.d.client.get<Obj>(def.objectPath(id), undefined, { allow404: true });
        if (object) {
          await this.observePage(def, { items: [object] }, batch, summary, { snapshot: false });
          continue;
        }
      }
      const prev = batch.lookup(def.name, id);
      const codec = this.codec(def.name);
      batch.addEvents(
        codec.topic,
        def.name,
        'd',
        deleteEvents(this.d.emit, codec, id, prev?.u ?? null, this.d.clock()),
      );
      batch.setObject(def.name, id, null);
      summary.deleted++;
      await this.flushIfFull(def, batch);
    }
  }

  /** Diffs one page into the batch; returns the ids and `updated_at`s it saw. */
  private async observePage(
    def: StreamDef,
    page: Page<Obj>,
    batch: ChangeBatch,
    summary: PollSummary,
    mode: WalkMode,
  ): Promise<{ ids: string[]; updatedAts: (number | null)[]; maxUpdatedAt: number | null }> {
    const ids: string[] = [];
    const updatedAts: (number | null)[] = [];
    let maxUpdatedAt: number | null = null;
    summary.read += page.items.length;
    this.d.observer?.read?.(def.name, page.items.length, page.totalCount);
    for (const object of page.items) {
      const reading = read(def, idOf(def, object), object);
      ids.push(reading.id);
      if (!reading.ok) {
        this.reject(def.name, reading.id, reading.object, reading.error, batch, summary);
        continue;
      }
      updatedAts.push(reading.updatedAtMs);
      maxUpdatedAt = max(maxUpdatedAt, reading.updatedAtMs);
      if (mode.sinceMs !== undefined && reading.updatedAtMs !== null && reading.updatedAtMs < mode.sinceMs)
        continue;
      await this.observe(def, reading, batch, summary, mode);
    }
    return { ids, updatedAts, maxUpdatedAt };
  }

  private async observe(
    def: StreamDef,
    reading: Reading & { ok: true },
    batch: ChangeBatch,
    summary: PollSummary,
    mode: WalkMode,
  ): Promise<void> {
    const prev = batch.lookup(def.name, reading.id);
    const decision = decide(prev, reading, mode);
    if (!decision.publish) return;
    let object = reading.object;
    if (def.name === 'conversations' && this.d.settings.enabled.has('conversation_parts')) {
      const full = await this.d.client.get<Obj>(def.objectPath!(reading.id), undefined, { allow404: true });
      if (!full) return; // deleted since it was listed: reconciliation publishes the delete
      object = await this.observeParts(reading.id, full, batch, summary, mode);
      const fresh = read(def, reading.id, object);
      if (!fresh.ok) return this.reject(def.name, reading.id, object, fresh.error, batch, summary);
      reading = fresh;
    }
    this.publish(def.name, decision.op, reading, prev?.u ?? null, batch, summary);
  }

  /** Publishes the parts of a conversation that changed; returns the conversation without its parts. */
  private async observeParts(
    conversationId: string,
    full: Obj,
    batch: ChangeBatch,
    summary: PollSummary,
    mode: WalkMode,
  ): Promise<Obj> {
    const container = (full.conversation_parts ?? {}) as Obj;
    const parts = Array.isArray(container.conversation_parts) ? (container.conversation_parts as Obj[]) : [];
    for (const part of parts) {
      const withParent = { ...part, conversation_id: conversationId };
      const reading = read(STREAM_DEFS.conversation_parts, String(part.id), withParent);
      if (!reading.ok) {
        this.reject('conversation_parts', reading.id, part, reading.error, batch, summary);
        continue;
      }
      const prev = batch.lookup('conversation_parts', reading.id);
      const decision = decide(prev, reading, { snapshot: mode.snapshot, force: mode.force });
      if (decision.publish)
        this.publish('conversation_parts', decision.op, reading, prev?.u ?? null, batch, summary);
    }
    const { conversation_parts: _parts, ...rest } = full;
    return { ...rest, conversation_parts: { type: container.type, total_count: container.total_count } };
  }

  private publish(
    stream: StreamName,
    op: Op,
    reading: Reading & { ok: true },
    prevU: number | null,
    batch: ChangeBatch,
    summary: PollSummary,
  ): void {
    const codec = this.codec(stream);
    const emitted = changeEvent(
      this.d.emit,
      codec,
      {
        id: reading.id,
        op,
        object: reading.object,
        updatedAtMs: reading.updatedAtMs,
        prevUpdatedAtMs: prevU,
      },
      this.d.clock(),
    );
    if (!emitted.ok)
      return this.reject(stream, reading.id, reading.object, emitted.error, batch, summary, reading);
    batch.addEvents(codec.topic, stream, op, [emitted.message]);
    batch.setObject(stream, reading.id, { u: reading.updatedAtMs, h: reading.hash });
    summary.published++;
  }

  /**
   * A bad object: to the dead-letter topic (its state is recorded so it is not re-sent until it
   * changes), or, under errors.tolerance=none, the stream stops.
   */
  private reject(
    stream: StreamName,
    id: string,
    object: unknown,
    error: Error,
    batch: ChangeBatch,
    summary: PollSummary,
    reading?: Reading & { ok: true },
  ): void {
    if (this.d.settings.tolerance === 'none') {
      throw new CdcError(`${stream} ${id}: ${error.message} (errors.tolerance=none stops the stream)`, {
        code: 'bad_object',
        kind: 'system',
        cause: error,
      });
    }
    this.d.logger.warn({ stream, id, err: error.message }, 'object sent to the dead-letter topic');
    batch.deadLetter(stream, deadLetter(stream, id, object, error, this.d.clock()));
    if (reading) batch.setObject(stream, id, { u: reading.updatedAtMs, h: reading.hash });
    summary.deadLetters++;
  }

  private codec(stream: StreamName): StreamCodec {
    const codec = this.d.codecs.get(stream);
    if (!codec) throw new CdcError(`no codec for stream ${stream}`, { code: 'internal', kind: 'system' });
    return codec;
  }

  /**
   * A batch for a new walk, once every transaction queued so far has ended: a walk that failed may have
   * left a part committing in the background, and the new walk's diff must see its outcome in the store.
   */
  private async newBatch(): Promise<ChangeBatch> {
    await this.commitChain;
    return new ChangeBatch(this.d.store, this.committer, this.d.emit.dlqTopic, this.d.stateTopic);
  }

  private summary(def: StreamDef, kind: PollSummary['kind']): PollSummary {
    return { stream: def.name, kind, read: 0, published: 0, deleted: 0, deadLetters: 0 };
  }

  private setProgress(def: StreamDef, batch: ChangeBatch, progress: StreamProgress): void {
    batch.setProgress(def.name, progress);
    this.d.observer?.progress?.(def.name, progress);
  }

  /** Commits a full batch; between two pages is also where a stop request ends a walk (nothing half-published). */
  private async flushIfFull(def: StreamDef, batch: ChangeBatch): Promise<void> {
    if (batch.size >= this.maxBatch) {
      const { done } = await batch.commitInBackground();
      done.then((counts) => this.d.observer?.committed?.(def.name, counts)).catch(() => undefined);
    }
    if (this.signal?.aborted) {
      await batch.settle(); // the transaction in flight finishes (or fails) before the process stops
      throw new StopRequested();
    }
  }

  /** Commits what a walk has left, after the part in flight. */
  private async flush(def: StreamDef, batch: ChangeBatch): Promise<void> {
    const counts = await batch.commit();
    this.d.observer?.committed?.(def.name, counts);
  }

  /**
   * Polls every enabled stream on its own interval until the signal aborts. Transient failures
   * (Intercom or Kafka unavailable past the client's retries) are logged and retried at the next
   * interval; configuration, fencing and system failures end the run.
   */
  async run(signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    this.signal = both;
    const results = await Promise.allSettled(
      this.polledStreams().map((stream) =>
        this.loop(stream, both).catch((error: unknown) => {
          stop.abort(); // one stream failed: the others stop too, and the process exits with its code
          throw error;
        }),
      ),
    );
    const failure = results.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof StopRequested),
    );
    if (failure) throw failure.reason;
  }

  private async loop(stream: StreamName, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const s = await this.poll(stream);
        this.d.logger.debug({ ...s }, 'poll done');
      } catch (error) {
        if (!(error instanceof CdcError) || error.kind !== 'transient') throw error;
        this.d.logger.warn({ stream, err: error.message }, 'poll failed; retrying at the next interval');
      }
      await sleep(this.d.settings.pollIntervalMs(stream), signal);
    }
  }
}

/** A walk ended between pages because the process is stopping; what it had not committed is dropped. */
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}

function max(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
