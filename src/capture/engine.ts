import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { CdcError } from '../errors';
import type { StreamName } from '../streams/names';
import { STREAM_DEFS, isWindowed, type StreamDef } from '../streams/definitions';
import { backoffDelay, isRetriable } from '../retry';
import { sleep } from '../sleep';
import { ByteBudget, ChangeBatch, DEFAULT_PENDING_BYTES, type BatchCounts } from './batch';
import type {
  Committer,
  ConsumedOffsets,
  IntercomReader,
  Message,
  StateStore,
  StreamCodec,
  StreamProgress,
  TopicBatch,
} from './contracts';
import { StreamCursor } from './cursor';
import { StreamEvents, type EmitSettings } from './events';
import { StreamReads, summaryOf, type PollSummary, type ReadObserver } from './reads';
import type { SignalEngine } from './signals';
import type { Preparation } from './prepare';
import type { Announcer } from './announce';
import {
  PartsLedger,
  completenessData,
  countedByListing,
  completenessOf,
  countedParts,
  isComplete,
  reportedCount,
  type Completeness,
} from './completeness';
import { StreamCapture, Walk, type Once } from './stream';
import { StopRequested } from './walk';

export { StopRequested } from './walk';
export type { PollSummary } from './reads';

/**
 * The capture engine: the tasks that read every enabled stream, on their schedules, through one
 * transactional committer.
 */

export interface EngineSettings {
  enabled: ReadonlySet<StreamName>;
  overlapMs: number;
  pollIntervalMs(stream: StreamName): number;
  reconcileIntervalMs(stream: StreamName): number;
  /** Messages per transaction before a walk commits what it has (default 2000). */
  maxBatch?: number;
  /**
   * Bytes decided and not yet committed, all streams together, before walks wait for commits (default
   * 64 MiB; a transaction holds at most a fifth of it). See ByteBudget.
   */
  maxPendingBytes?: number;
  tolerance: 'all' | 'none';
  /** Slices of a snapshot, reconciliation or backfill walked at once, per stream (default 48). */
  sliceWorkers?: number;
  /** Fetches of single objects (conversation parts, confirmations) under way at once, per stream (default 256). */
  maxFetches?: number;
  /** How far past the clock an `updated_at` may be and still order an object, in ms (default 10 minutes). */
  maxClockSkewMs?: number;
  /** Failed reads of one object in a row before it goes to the dead-letter topic (default 3). */
  maxReadAttempts?: number;
  /** Compare what Intercom reports with the state after each first sync and reconciliation (default false). */
  completeness?: boolean;
  /** Read in full the embedded lists that say `has_more` (default true). */
  completeLists?: boolean;
}

/** Hooks for metrics; all optional. */
export interface EngineObserver extends ReadObserver {
  committed?(stream: StreamName, counts: BatchCounts): void;
  polled?(stream: StreamName, durationMs: number, ok: boolean): void;
  progress?(stream: StreamName, progress: StreamProgress): void;
  /** An object's `updated_at` was too far in the future to order it by (see StreamCapture). */
  futureTimestamp?(stream: StreamName): void;
  /** A request for the rest of an embedded list of an object (one page of `list`; see StreamCapture). */
  embeddedListRequest?(stream: StreamName, list: string): void;
  /** A stream stopped after a failure of its own; it is tried again with backoff. */
  streamFailed?(stream: StreamName, error: unknown): void;
  /** A stream that had failed read again. */
  streamRecovered?(stream: StreamName): void;
  /** A stream's completeness was measured (after a first sync or a reconciliation). */
  completeness?(report: Completeness): void;
  /** Deletes committed, by what found them: a webhook hint, a reconciliation, or a poll. */
  deletesSeen?(stream: StreamName, by: 'webhook' | 'reconciliation' | 'poll', count: number): void;
}

/** Waits before a stream that failed on its own is tried again: from 10 s, doubling, at most 10 minutes. */
export const STREAM_RETRY = { minMs: 10_000, maxMs: 600_000 };

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
  /**
   * Prepares what the capture holds and must read again (an object with its embedded lists completed)
   * on the threads that prepare the client's answers; default: inline.
   */
  prepare?: (text: string, how: Preparation) => Promise<object | undefined>;
  /**
   * Heartbeats and notifications (announce.ts): added to the transactions as they go, and written in
   * a small transaction of their own when none goes (`run` only).
   */
  announcer?: Announcer;
}

/**
 * The capture engine: for each enabled stream, reads what changed (README, "How it captures"), diffs it
 * against the state, and commits change events with the state records that cover them in one
 * transaction. Its roles:
 * - tasks (here): per stream a poll loop (snapshot on first sight, then incremental windows or full
 *   scans) and, for windowed streams, a reconciliation loop beside it, so that a long reconciliation
 *   never holds up the polls;
 * - reads (reads.ts): a stream's snapshot, incremental window, full scan, reconciliation and backfill,
 *   made of walks (walk.ts) over sources (sources.ts), sliced by `created_at` where the stream is
 *   searchable (slices.ts);
 * - each stream's capture (stream.ts) decides on each object (diff.ts) and fetches what a listing cannot
 *   settle; its events (events.ts) go into the stream's one batch (batch.ts), and its cursor (cursor.ts)
 *   is the one writer of its progress;
 * - requests are scheduled by the client (src/intercom) by the priority each read gives them.
 * A stream's watermark moves only in a transaction after everything its walk read was decided on, and a
 * snapshot records each slice as it completes, so a crash at any instant means the next walk re-reads
 * what was not committed, and the diff drops what was.
 */
export class CaptureEngine implements SignalEngine {
  private readonly maxBatch: number;
  /** The pending bytes of every stream's batch. */
  private readonly budget: ByteBudget;
  private commitChain: Promise<unknown> = Promise.resolve();
  private readonly captures = new Map<StreamName, { capture: StreamCapture; walks: number }>();
  private readonly reads: StreamReads;
  private signal?: AbortSignal;
  /** A failed transaction: the producer must be rebuilt, which only a new life of `run` does. */
  private commitFailure?: unknown;
  /** Streams stopped by a failure of their own, and how often in a row (see afterFailure). */
  private readonly failing = new Map<StreamName, { failures: number; error: unknown }>();
  /** Transactions of all streams go through the one producer, one after the other. */
  private readonly committer: Committer = {
    commit: (batches, offsets) => {
      const run = this.commitChain.then(() => this.commitWithAnnouncements(batches, offsets));
      this.commitChain = run.catch((error: unknown) => (this.commitFailure ??= error));
      return run;
    },
  };

  /** The `total_count` the pages of a stream's one listing reported last (completeness, unsearchable streams). */
  private readonly listed = new Map<StreamName, number>();
  /** The transaction of the announcements made last (see announce). */
  private announcing: Promise<void> = Promise.resolve();
  /** Per parent stream, the parents fetched with fewer children than Intercom counts (completeness.ts). */
  private readonly parts = new Map<StreamName, PartsLedger>();

  constructor(private readonly d: EngineDeps) {
    this.maxBatch = d.settings.maxBatch ?? 2000;
    this.budget = new ByteBudget(d.settings.maxPendingBytes ?? DEFAULT_PENDING_BYTES);
    this.reads = new StreamReads({
      client: d.client,
      clock: d.clock,
      logger: d.logger,
      observer: this.readObserver(),
      overlapMs: d.settings.overlapMs,
      sliceWorkers: this.sliceWorkers,
      signal: () => this.signal,
    });
    for (const stream of d.settings.enabled) {
      const parent = STREAM_DEFS[stream].parent;
      if (parent && !d.settings.enabled.has(parent)) {
        throw new CdcError(
          `streams: ${stream} is read from changed ${parent}; enable ${parent} too (STREAMS)`,
          {
            code: 'config_invalid',
            kind: 'config',
          },
        );
      }
    }
  }

  /** The streams that are polled on their own (children ride with their parent). */
  polledStreams(): StreamName[] {
    return [...this.d.settings.enabled].filter((s) => STREAM_DEFS[s].parent === undefined);
  }

  /**
   * One poll of a stream: snapshot on first sight, then incremental; then a reconciliation when one is
   * due (`run` reconciles in a task of its own instead).
   */
  async poll(stream: StreamName): Promise<PollSummary> {
    try {
      const summary = await this.pollOnce(stream);
      const def = STREAM_DEFS[stream];
      if (summary.kind === 'incremental' && this.reconcileDue(def)) {
        const reconciled = await this.reconcileOnce(stream);
        summary.deleted += reconciled.deleted;
        summary.published += reconciled.published;
      }
      return summary;
    } finally {
      await this.announcing;
    }
  }

  /**
   * Reconciliation of a windowed stream (see StreamReads.reconcile); then its completeness, when
   * measured. Resolves once what it announced is written too.
   */
  async reconcile(stream: StreamName): Promise<PollSummary> {
    try {
      return await this.reconcileOnce(stream);
    } finally {
      await this.announcing;
    }
  }

  private async reconcileOnce(stream: StreamName): Promise<PollSummary> {
    const summary = await this.withCapture(stream, (sc) => this.reads.reconcile(sc));
    if (summary.deleted > 0) this.d.observer?.deletesSeen?.(stream, 'reconciliation', summary.deleted);
    if (this.d.settings.completeness) await this.measureCompleteness(stream);
    return summary;
  }

  /**
   * A stream's completeness now (completeness.ts): Intercom's count against the committed state's, and
   * its parents with parts no read carried.
   */
  private async completeness(stream: StreamName): Promise<Completeness> {
    const def = STREAM_DEFS[stream];
    // A listing's count came with the pages the read just walked; a search is asked once.
    const reported = def.search
      ? await reportedCount(this.d.client, def)
      : countedByListing(def)
        ? (this.listed.get(stream) ?? null)
        : null;
    let held = 0;
    for (const _ of this.d.store.ids(stream)) held++;
    const gaps = this.parts.get(stream)?.list((id) => this.d.store.object(stream, id) !== undefined) ?? [];
    return completenessOf(stream, reported, held, gaps);
  }

  /**
   * Measures a stream's completeness and tells it (observer, a notification, a log line at warn when
   * something is missing). A failure to measure is logged and ends nothing: the capture goes on.
   */
  private async measureCompleteness(stream: StreamName): Promise<void> {
    let report: Completeness;
    try {
      report = await this.completeness(stream);
    } catch (error) {
      if (!this.survivable(error) && this.endsRun(error)) throw error;
      this.d.logger.warn({ stream, err: (error as Error).message }, 'completeness could not be measured');
      return;
    }
    const complete = isComplete(report);
    this.d.observer?.completeness?.(report);
    const data = completenessData(report);
    if (complete) this.d.logger.info(data, 'completeness: nothing missing');
    else this.d.logger.warn(data, 'completeness: Intercom holds more than was captured');
    this.announce((a) => a.notify('Completeness', complete ? 'COMPLETE' : 'GAP', data));
  }

  /** The reads' observer: the engine's observer, and the first syncs' notifications. */
  private readObserver(): ReadObserver {
    const o = this.d.observer;
    const a = this.d.announcer;
    const read = (stream: StreamName, objects: number, total?: number): void => {
      o?.read?.(stream, objects, total);
      if (total !== undefined && !STREAM_DEFS[stream].search) this.listed.set(stream, total);
    };
    if (!a) return { read, slices: o?.slices?.bind(o), snapshot: o?.snapshot?.bind(o) };
    const phase = { started: 'STARTED', completed: 'COMPLETED', aborted: 'ABORTED' } as const;
    return {
      read,
      slices: (stream, kind, p) => {
        o?.slices?.(stream, kind, p);
        if (kind !== 'snapshot') return;
        this.announce((an) =>
          an.snapshot(stream, 'IN_PROGRESS', {
            slices_done: p.slicesDone,
            slices_total: p.slicesTotal,
            objects_read: p.objectsRead,
            objects_total: p.objectsTotal,
          }),
        );
      },
      snapshot: (stream, which, details) => {
        o?.snapshot?.(stream, which, details);
        this.announce((an) => an.snapshot(stream, phase[which], details));
      },
    };
  }

  /**
   * Queues an announcement and has it written soon: with the next transaction of any stream, or in one of
   * its own (which nothing else waits for; a failure of it ends `run` as any failed transaction does).
   */
  private announce(add: (announcer: Announcer) => void): void {
    const announcer = this.d.announcer;
    if (!announcer) return;
    add(announcer);
    this.announcing = this.sendAnnouncements();
  }

  /** A transaction of its own for what the announcer holds, when it still holds anything by then. */
  private sendAnnouncements(): Promise<void> {
    return this.committer.commit([]).catch(() => undefined);
  }

  /**
   * One transaction: `batches` with the announcer's heartbeat and notifications (announce.ts); called in
   * the commit chain, once every earlier transaction ended. A transaction with nothing in it is not sent.
   */
  private async commitWithAnnouncements(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void> {
    const announced = this.d.announcer?.take() ?? [];
    if (batches.length === 0 && announced.length === 0 && offsets === undefined) return;
    await this.d.committer.commit([...batches, ...announced], offsets);
  }

  /** Writes a heartbeat whenever one is due, until the signal aborts (run). */
  private async heartbeatLoop(signal: AbortSignal): Promise<void> {
    const announcer = this.d.announcer;
    if (!announcer || announcer.heartbeatInMs() === Infinity) return;
    while (!signal.aborted) {
      if (announcer.pending) await this.committer.commit([]);
      await sleep(announcer.heartbeatInMs(), signal);
    }
  }

  /**
   * A hint that these objects of `stream` may have changed (webhook notifications, README "Webhooks"):
   * each is fetched through the stream's capture, one read in flight per object, and decided like any
   * fetch (a 404 of an object the state knows is a `d` and its tombstone), each id once; then everything decided is
   * committed. The data published is always Intercom's answer, diffed against the state, so a
   * duplicate, late or replayed hint publishes nothing wrong. Resolves once committed; returns how many
   * events it caused. Ignored (0) for a stream that is not enabled, is read with its parent, has no GET by
   * id, or has not finished its first snapshot (the snapshot will see the object).
   *
   * `offsets`, when given, is called once every read is decided and before the commit (not when the hint
   * is ignored or a read failed): the consumed offsets it resolves to commit in the transaction that
   * holds the last of the hint's events, or in one of their own when it caused none.
   */
  async hint(
    stream: StreamName,
    ids: readonly string[],
    offsets?: () => Promise<ConsumedOffsets | undefined>,
  ): Promise<number> {
    const def = STREAM_DEFS[stream];
    if (!this.d.settings.enabled.has(stream) || def.parent || !def.objectPath || ids.length === 0) return 0;
    return this.withCapture(stream, async (sc) => {
      if (!sc.cursor.progress.snapshotDone) return 0;
      const walk = new Walk({ snapshot: false });
      // Each id once: the capture would read an object again after a read in flight (see fetch).
      for (const id of new Set(ids)) walk.tasks.add(sc.fetch(id, walk));
      // A read that failed fails the hint, once what the others decided committed: no offset that a
      // later transaction commits is ever ahead of those events.
      await walk.tasks.drain().catch(async (error: unknown) => {
        await sc.flush();
        throw error;
      });
      const consumed = await offsets?.();
      if (consumed) sc.addOffsets(consumed);
      await sc.flush();
      if (walk.counts.deleted > 0) this.d.observer?.deletesSeen?.(stream, 'webhook', walk.counts.deleted);
      return walk.counts.published + walk.counts.deleted;
    });
  }

  /**
   * Commits consumed offsets whose records caused no event (a transaction of their own, after every
   * transaction queued before it). Resolves once committed.
   */
  async commitOffsets(offsets: ConsumedOffsets): Promise<void> {
    await this.committer.commit([], offsets);
  }

  /** Re-reads a stream and publishes `r` events for what differs from the state (everything with force). */
  async backfill(
    stream: StreamName,
    options: { sinceMs?: number; force?: boolean } = {},
  ): Promise<PollSummary> {
    const def = STREAM_DEFS[stream];
    if (def.parent) {
      throw new CdcError(`${stream} are backfilled with their ${def.parent}: backfill ${def.parent}`, {
        code: 'config_invalid',
        kind: 'config',
      });
    }
    return this.withCapture(stream, (sc) => this.reads.backfill(sc, options));
  }

  /**
   * A signalled snapshot of one stream (signals.ts): every object read is published as `r` once (`once`):
   * with `ids`, each fetched by id like a hint (at the fetches' priority, 256 at a time), else the
   * stream, or the objects of its `updated_at` window, re-read like a backfill (its slices, at bulk
   * priority). Resolves once everything it decided is committed.
   */
  async resnapshot(
    stream: StreamName,
    o: { ids?: readonly string[]; sinceMs?: number; untilMs?: number; once: Once },
  ): Promise<PollSummary> {
    const ids = o.ids;
    if (ids === undefined)
      return this.withCapture(stream, (sc) =>
        this.reads.backfill(sc, { sinceMs: o.sinceMs, untilMs: o.untilMs, force: true, once: o.once }),
      );
    return this.withCapture(stream, async (sc) => {
      const summary = summaryOf(stream, 'backfill');
      const walk = new Walk({ snapshot: true, force: true, once: o.once }, summary);
      for (let i = 0; i < ids.length; i += 256) {
        // Twice: a fetch of an object already queued by a poll is decided under the walk that asked last,
        // so one the poll took over is fetched once more (what is gone or unreadable is fetched twice).
        for (let pass = 0; pass < 2; pass++) {
          if (this.signal?.aborted) throw new StopRequested();
          for (const id of ids.slice(i, i + 256)) {
            if (o.once.has(id)) continue;
            if (pass === 0) summary.read += 1;
            walk.tasks.add(sc.fetch(id, walk));
          }
          await walk.tasks.drain();
        }
        await sc.flushIfFull();
      }
      await sc.flush();
      return summary;
    });
  }

  /** State records in one transaction of their own, with the announcements queued (signals.ts). */
  async commitState(messages: Message[]): Promise<void> {
    await this.committer.commit(messages.length ? [{ topic: this.d.stateTopic, messages }] : []);
  }

  /** Queues a notification about a signal (signals.ts), written with the next transaction. */
  notify(type: string, data: Record<string, string | number | undefined>): void {
    this.announce((a) => a.notify('Signal', type, data));
  }

  /**
   * Polls every enabled stream on its own interval, and reconciles windowed streams on theirs, until
   * the signal aborts. Retriable failures (Intercom unavailable past the client's retries) are logged
   * and retried at the next interval; any other failure of one stream stops that stream alone, tried
   * again with backoff (see afterFailure); a failed transaction, a configuration or authorization
   * failure, fencing and a bug end the run. The transactions under way finish (or fail) before it
   * returns.
   */
  async run(signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    // Every poll and reconciliation loop (two per windowed stream) waits on it at once: more than the
    // default warning threshold of 10 listeners is expected, and each sleep removes its own.
    setMaxListeners(0, both);
    this.signal = both;
    const loops = this.polledStreams().flatMap((stream) => {
      const tasks = [
        this.loop(stream, both, () => this.pollOnce(stream), this.d.settings.pollIntervalMs(stream)),
      ];
      if (isWindowed(STREAM_DEFS[stream])) tasks.push(this.reconcileLoop(stream, both));
      return tasks;
    });
    loops.push(this.heartbeatLoop(both));
    const results = await Promise.allSettled(
      loops.map((task) =>
        task.catch((error: unknown) => {
          stop.abort(); // one task failed: the others stop too, and the process exits with its code
          throw error;
        }),
      ),
    );
    await Promise.all([...this.captures.values()].map((c) => c.capture.settle()));
    await this.commitChain;
    const failure = results.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof StopRequested),
    );
    if (failure) throw failure.reason;
  }

  private get sliceWorkers(): number {
    return this.d.settings.sliceWorkers ?? 48;
  }

  private reconcileDue(def: StreamDef): boolean {
    const progress = this.captureOf(def.name).cursor.progress;
    return (
      progress.snapshotDone &&
      this.d.clock() - (progress.lastReconcile ?? 0) >= this.d.settings.reconcileIntervalMs(def.name)
    );
  }

  private async pollOnce(stream: StreamName): Promise<PollSummary> {
    const started = this.d.clock();
    try {
      const summary = await this.withCapture(stream, (sc) => this.pollInner(sc));
      this.d.observer?.polled?.(stream, this.d.clock() - started, true);
      if (summary.deleted > 0) this.d.observer?.deletesSeen?.(stream, 'poll', summary.deleted);
      if (summary.kind === 'snapshot' && this.d.settings.completeness) await this.measureCompleteness(stream);
      return summary;
    } catch (error) {
      this.d.observer?.polled?.(stream, this.d.clock() - started, false);
      throw error;
    }
  }

  private async pollInner(sc: StreamCapture): Promise<PollSummary> {
    const progress = sc.cursor.progress;
    if (!isWindowed(sc.def)) return this.reads.scan(sc);
    if (!progress.snapshotDone || progress.watermark === null) return this.reads.snapshot(sc);
    return this.reads.incremental(sc);
  }

  private async loop(
    stream: StreamName,
    signal: AbortSignal,
    once: () => Promise<PollSummary>,
    intervalMs: number,
  ): Promise<void> {
    while (!signal.aborted) {
      const started = this.d.clock();
      let waitMs = 0;
      try {
        const s = await once();
        this.recovered(stream);
        this.d.logger.debug({ ...s }, 'poll done');
      } catch (error) {
        waitMs = this.afterFailure(stream, error, 'poll');
      }
      // Polls start every interval (a poll that took longer is followed at once): the time a poll
      // takes does not add to how late a change is seen.
      await sleep(Math.max(waitMs, intervalMs - (this.d.clock() - started)), signal);
    }
  }

  /**
   * What a failed poll or reconciliation of one stream does, as the wait before its next try; throws
   * what must end `run` (see the class contract). A retriable failure (Intercom unavailable past the
   * client's retries) is tried again at the next interval. Any other failure of the stream's own (an
   * answer it cannot read, errors.tolerance=none) stops that stream alone: it is reported (metric, log,
   * `/readyz`) and tried again with backoff, up to {@link STREAM_RETRY}'s cap, while every other stream
   * goes on.
   */
  private afterFailure(stream: StreamName, error: unknown, what: 'poll' | 'reconciliation'): number {
    if (error instanceof StopRequested) throw error;
    if (this.survivable(error)) {
      this.d.logger.warn({ stream, err: error.message }, `${what} failed; retrying at the next interval`);
      return 0;
    }
    if (this.endsRun(error)) throw error;
    const failures = (this.failing.get(stream)?.failures ?? 0) + 1;
    this.failing.set(stream, { failures, error });
    const waitMs = Math.max(STREAM_RETRY.minMs, backoffDelay(failures, STREAM_RETRY, Math.random));
    this.d.logger.error(
      { stream, err: error, failures, retryInMs: waitMs },
      `${what} failed; the stream stops and is tried again after a backoff, the others go on`,
    );
    this.d.observer?.streamFailed?.(stream, error);
    return waitMs;
  }

  /** A stream that had failed read again: it is reported as running. */
  private recovered(stream: StreamName): void {
    if (!this.failing.delete(stream)) return;
    this.d.logger.info({ stream }, 'the stream runs again');
    this.d.observer?.streamRecovered?.(stream);
  }

  /**
   * Failures that no stream can go on after: a failed transaction (the producer must be rebuilt), a
   * configuration or authorization failure, fencing, and a bug of ours (not a CdcError).
   */
  private endsRun(error: unknown): boolean {
    return (
      this.commitFailure !== undefined ||
      !(error instanceof CdcError) ||
      error.kind === 'config' ||
      error.kind === 'fenced'
    );
  }

  /**
   * Whether the next poll may succeed where this one failed: a retriable failure (Intercom past the
   * client's retries), unless a transaction failed, since the producer then needs rebuilding (a Kafka
   * outage ends the engine, and `run` starts over).
   */
  private survivable(error: unknown): error is CdcError {
    return isRetriable(error) && this.commitFailure === undefined;
  }

  /** Reconciles a windowed stream whenever it is due, beside its polls. */
  private async reconcileLoop(stream: StreamName, signal: AbortSignal): Promise<void> {
    const def = STREAM_DEFS[stream];
    const check = Math.min(
      this.d.settings.pollIntervalMs(stream),
      this.d.settings.reconcileIntervalMs(stream),
    );
    while (!signal.aborted) {
      if (this.reconcileDue(def)) {
        try {
          const s = await this.reconcile(stream);
          this.d.logger.debug({ ...s }, 'reconciliation done');
        } catch (error) {
          await sleep(this.afterFailure(stream, error, 'reconciliation'), signal);
        }
      }
      await sleep(check, signal);
    }
  }

  /** Runs `fn` with the stream's capture; a capture whose batch failed is replaced once no walk uses it. */
  private async withCapture<T>(stream: StreamName, fn: (sc: StreamCapture) => Promise<T>): Promise<T> {
    const entry = this.entryOf(stream);
    entry.walks += 1;
    try {
      return await fn(entry.capture);
    } finally {
      entry.walks -= 1;
    }
  }

  private captureOf(stream: StreamName): StreamCapture {
    return this.entryOf(stream).capture;
  }

  private entryOf(stream: StreamName): { capture: StreamCapture; walks: number } {
    const existing = this.captures.get(stream);
    if (existing && !(existing.walks === 0 && existing.capture.failed)) return existing;
    const entry = { capture: this.newCapture(STREAM_DEFS[stream]), walks: 0 };
    this.captures.set(stream, entry);
    return entry;
  }

  private newCapture(def: StreamDef): StreamCapture {
    const batch = new ChangeBatch(
      this.d.store,
      this.committer,
      this.d.emit.dlqTopic,
      this.d.stateTopic,
      this.maxBatch,
      (counts) => this.d.observer?.committed?.(def.name, counts),
      this.budget,
    );
    const events = new StreamEvents({
      batch,
      codecs: this.d.codecs,
      emit: this.d.emit,
      tolerance: this.d.settings.tolerance,
      clock: this.d.clock,
      onDeadLetter: (stream, id, error) =>
        this.d.logger.warn({ stream, id, err: error.message }, 'object sent to the dead-letter topic'),
    });
    const cursor = new StreamCursor(
      def.name,
      batch,
      () => this.d.store.streamProgress(def.name),
      (p) => this.d.observer?.progress?.(def.name, p),
    );
    return new StreamCapture({
      def,
      client: this.d.client,
      batch,
      events,
      cursor,
      childrenEnabled: def.children !== undefined && this.d.settings.enabled.has(def.children.stream),
      maxFetches: this.d.settings.maxFetches ?? 256,
      clock: this.d.clock,
      maxClockSkewMs: this.d.settings.maxClockSkewMs ?? 600_000,
      maxReadAttempts: this.d.settings.maxReadAttempts ?? 3,
      completeLists: this.d.settings.completeLists ?? true,
      onParentRead: (own, children) => {
        if (!own.ok) return;
        let ledger = this.parts.get(def.name);
        if (ledger === undefined) this.parts.set(def.name, (ledger = new PartsLedger()));
        ledger.seen(own.id, countedParts(own.json), children);
      },
      onFutureTimestamp: (stream, id, updatedAtMs) => {
        this.d.logger.warn(
          { stream, id, updatedAt: new Date(updatedAtMs).toISOString() },
          'updated_at is in the future: the object is decided by its content and moves no watermark',
        );
        this.d.observer?.futureTimestamp?.(stream);
      },
      prepare: this.d.prepare,
      onEmbeddedListRequest: (stream, list) => this.d.observer?.embeddedListRequest?.(stream, list),
    });
  }
}
