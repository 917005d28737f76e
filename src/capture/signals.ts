/**
 * Signals (README, "Signals"): what an operator asks of the running connector through the signal topic,
 * in the shape of Debezium's signals. This file reads a signal (`parseSignal`: accepted, or refused with
 * a reason) and runs the accepted ones inside the capture (`Signals`): a re-snapshot of streams, of
 * listed ids, or of an `updated_at` window, by the engine's reads, each object republished as `r` once,
 * resumed after a crash from the state topic and acknowledged on the notifications topic. The Kafka side
 * (the consumer of the topic) is src/kafka/signals.ts.
 */
import type { Logger } from 'pino';
import { CdcError } from '../errors';
import { isRetriable } from '../retry';
import { sleep } from '../sleep';
import { STREAM_DEFS } from '../streams/definitions';
import { isStreamName, type StreamName } from '../streams/names';
import type { PartNotes } from './batch';
import type { Message } from './contracts';
import type { PollSummary } from './reads';
import { IdSet } from './id-set';
import type { Once } from './stream';
import { StopRequested } from './walk';

/** The one signal type this connector executes (Debezium's name for an ad hoc snapshot). */
export const EXECUTE_SNAPSHOT = 'execute-snapshot';

/** Most ids one signal may list. */
export const MAX_SIGNAL_IDS = 10_000;

/** Longest signal id (it is part of state keys). */
export const MAX_SIGNAL_ID_LENGTH = 200;

/** What a signal asks for, once read and checked. */
export interface SignalSpec {
  type: typeof EXECUTE_SNAPSHOT;
  /** The streams to snapshot again, in the order given. */
  streams: StreamName[];
  /** Only these objects (of the one stream), each fetched by id. */
  ids?: string[];
  /** Only objects whose `updated_at` is at or after this (epoch ms). */
  sinceMs?: number;
  /** Only objects whose `updated_at` is at or before this (epoch ms). */
  untilMs?: number;
}

/** What a signalled snapshot did to one stream. */
export interface SignalCounts {
  /** Objects republished as `r` (across restarts: each once). */
  republished: number;
  /** Objects read by the last run of it (a restart reads again what it must). */
  read: number;
  deleted: number;
  dead_letters: number;
}

/** A signal as the state topic keeps it (`<connector>:signal:<id>`). */
export interface SignalRecord {
  status: 'running' | 'done';
  signal: SignalSpec;
  /** When it was accepted (epoch ms). */
  receivedMs: number;
  /** Streams of it finished, in order. */
  streamsDone: string[];
  counts?: Record<string, SignalCounts>;
}

/** A signal part: the objects of one stream a signalled snapshot republished in one transaction. */
export interface SignalPart {
  stream: string;
  ids: string[];
}

/**
 * The signals' side of the state (src/kafka/state-store.ts implements it): the committed records, and
 * the records to write. Like the state contract, `setSignal`/`setSignalPart` are called only once the
 * records that say so committed.
 */
export interface SignalStore {
  signal(id: string): SignalRecord | undefined;
  signals(): [string, SignalRecord][];
  setSignal(id: string, record: SignalRecord): void;
  signalRecord(id: string, record: SignalRecord): Message;
  /** The ids of `stream` the signal's committed parts name. */
  republished(id: string, stream: string): string[];
  /**
   * The signal holds the ids of `stream` from now on (its `once`): the store keeps only the numbers of
   * their parts (to delete them at the end), not a second copy of every id.
   */
  releaseRepublished(id: string, stream: string): void;
  signalPartNumbers(id: string): number[];
  signalPartRecord(id: string, n: number, part: SignalPart | null): Message;
  setSignalPart(id: string, n: number, part: SignalPart | null): void;
}

/** A signal record read: accepted with its spec, or refused with why (its id when it had one). */
export type ParsedSignal =
  { ok: true; id: string; spec: SignalSpec } | { ok: false; id: string; type: string; reason: string };

const DATA_FIELDS = ['data-collections', 'type', 'ids', 'updated-at', 'additional-conditions'];

/**
 * Reads one record value of the signal topic: `{"id", "type": "execute-snapshot", "data": {…}}` with
 * `data-collections` (enabled streams polled on their own), and optionally `ids` (of one stream) or
 * `updated-at` (`since`/`until`, ISO 8601 or epoch ms). A record without `id` takes `defaultId` (the
 * consumer's: its offset, as Debezium's Kafka channel does, so that a replay has the same id). Never
 * throws: anything else is refused with a reason an operator can act on.
 */
export function parseSignal(
  value: Buffer | string | null,
  enabled: ReadonlySet<StreamName>,
  defaultId?: string,
): ParsedSignal {
  let id = '';
  let type = '';
  const refuse = (reason: string): ParsedSignal => ({ ok: false, id, type, reason });
  if (value === null || value.length === 0) return refuse('empty record: a signal is a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return refuse('not JSON: a signal is a JSON object {"id", "type", "data"}');
  }
  if (!isObject(parsed)) return refuse('not a JSON object: a signal is {"id", "type", "data"}');
  if (parsed.id === undefined && defaultId !== undefined) parsed.id = defaultId;
  if (typeof parsed.id === 'string') id = parsed.id.slice(0, MAX_SIGNAL_ID_LENGTH);
  if (typeof parsed.type === 'string') type = parsed.type.slice(0, 100);
  if (typeof parsed.id !== 'string' || parsed.id === '') return refuse('"id" must be a non-empty string');
  if (parsed.id.length > MAX_SIGNAL_ID_LENGTH)
    return refuse(`"id" is longer than ${MAX_SIGNAL_ID_LENGTH} characters`);
  if (parsed.type !== EXECUTE_SNAPSHOT)
    return refuse(
      `unknown signal type ${JSON.stringify(parsed.type)}: this connector executes "${EXECUTE_SNAPSHOT}"`,
    );
  const data = parsed.data;
  if (!isObject(data)) return refuse('"data" must be an object with "data-collections"');
  const unknown = Object.keys(data).filter((k) => !DATA_FIELDS.includes(k));
  if (unknown.length > 0)
    return refuse(`unknown field(s) ${unknown.join(', ')} in "data" (known: ${DATA_FIELDS.join(', ')})`);
  if (data.type !== undefined && String(data.type).toLowerCase() !== 'incremental')
    return refuse(
      `snapshot type ${JSON.stringify(data.type)}: only "incremental" (the snapshot runs beside the polls)`,
    );
  const conditions = data['additional-conditions'];
  if (conditions !== undefined && !(Array.isArray(conditions) && conditions.length === 0))
    return refuse('"additional-conditions" are not supported: use "ids" or "updated-at"');
  const collections = data['data-collections'];
  if (!Array.isArray(collections) || collections.length === 0)
    return refuse('"data-collections" must be a non-empty array of stream names');
  const streams: StreamName[] = [];
  for (const name of collections) {
    if (!isStreamName(name)) return refuse(`${JSON.stringify(name)} is not a stream`);
    const parent = STREAM_DEFS[name].parent;
    if (parent) return refuse(`${name} are snapshotted with their ${parent}: signal ${parent}`);
    if (!enabled.has(name)) return refuse(`${name} is not enabled (STREAMS)`);
    if (!streams.includes(name)) streams.push(name);
  }
  const spec: SignalSpec = { type: EXECUTE_SNAPSHOT, streams };
  if (data.ids !== undefined) {
    if (data['updated-at'] !== undefined) return refuse('"ids" or "updated-at", not both');
    const ids = data.ids;
    if (!Array.isArray(ids) || ids.length === 0) return refuse('"ids" must be a non-empty array of strings');
    if (ids.length > MAX_SIGNAL_IDS) return refuse(`"ids" lists more than ${MAX_SIGNAL_IDS} ids: split it`);
    if (!ids.every((x) => (typeof x === 'string' && x !== '') || Number.isSafeInteger(x)))
      return refuse('"ids" must be non-empty strings');
    if (streams.length !== 1)
      return refuse('"ids" are of one stream: name exactly one in "data-collections"');
    if (!STREAM_DEFS[streams[0]!].objectPath)
      return refuse(`${streams[0]} cannot be read by id: snapshot the whole stream or a window`);
    spec.ids = [...new Set(ids.map(String))];
  }
  const window = data['updated-at'];
  if (window !== undefined) {
    if (!isObject(window)) return refuse('"updated-at" must be an object with "since" and/or "until"');
    const extra = Object.keys(window).filter((k) => k !== 'since' && k !== 'until');
    if (extra.length > 0) return refuse(`unknown field(s) ${extra.join(', ')} in "updated-at"`);
    const since = timeOf(window.since);
    const until = timeOf(window.until);
    if (since === null) return refuse('"updated-at.since" is not a date (ISO 8601 or epoch ms)');
    if (until === null) return refuse('"updated-at.until" is not a date (ISO 8601 or epoch ms)');
    if (since === undefined && until === undefined)
      return refuse('"updated-at" needs "since", "until" or both');
    if (since !== undefined && until !== undefined && since > until)
      return refuse('"updated-at.since" is after "updated-at.until"');
    const untimed = streams.filter((s) => !STREAM_DEFS[s].timestamped);
    if (untimed.length > 0) return refuse(`${untimed.join(', ')} have no updated_at: leave out "updated-at"`);
    if (since !== undefined) spec.sinceMs = since;
    if (until !== undefined) spec.untilMs = until;
  }
  return { ok: true, id: parsed.id, spec };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A time given as epoch ms or an ISO 8601 date or date-time (UTC when no offset); undefined: absent; null: unreadable. */
function timeOf(x: unknown): number | undefined | null {
  if (x === undefined) return undefined;
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x !== 'string') return null;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(x) ? `${x}T00:00:00Z` : x);
  return Number.isNaN(ms) ? null : ms;
}

/** What a signal asks of the capture engine (CaptureEngine implements it). */
export interface SignalEngine {
  /**
   * Reads `stream` again (all of it, a window of it, or `ids` fetched one by one), publishing every
   * object it reads as `r` once (`once`), and commits; resolves with what it did.
   */
  resnapshot(
    stream: StreamName,
    options: { ids?: readonly string[]; sinceMs?: number; untilMs?: number; once: Once },
  ): Promise<PollSummary>;
  /** Commits state records in one transaction of their own, with the notifications queued so far. */
  commitState(messages: Message[]): Promise<void>;
  /** Queues a notification `Signal`/`type` for the next transaction. */
  notify(type: string, data: Record<string, string | number | undefined>): void;
}

export interface SignalsDeps {
  engine: SignalEngine;
  /** CONNECTOR_NAME: a record keyed by another name is another connector's (Debezium's convention). */
  connector: string;
  store: SignalStore;
  enabled: ReadonlySet<StreamName>;
  clock: () => number;
  logger: Logger;
  /** Least time between two IN_PROGRESS notifications of one signal (ms). */
  progressIntervalMs: number;
  /** Waits before a signal that failed is tried again (ms; doubling, at most 10 minutes). */
  retryMs?: number;
}

/** How a record of the signal topic was taken. */
export type Reception = 'accepted' | 'refused' | 'known' | 'other';

/**
 * The signals of one life of `run`. Contract:
 * - `receive` takes each record of the signal topic: one keyed by another connector's name is left to
 *   it (`other`, logged at debug); a refusal is a `REFUSED` notification and a warn
 *   line; a signal whose id the state knows (running or done) is ignored (logged: a replay or a resend);
 *   an accepted one is written to the state (`running`) with an `ACCEPTED` notification in one
 *   transaction, before `receive` resolves. Only then may its offset be committed.
 * - `run` executes accepted signals one after the other, those the restored state says are running
 *   first (a crash resumes them): each stream in turn by the engine's reads, every object republished as
 *   `r` once (the objects it republished are written in the transactions of their events, so a restart
 *   skips exactly those), then the stream is recorded done; at the end the signal is recorded `done`
 *   with a `DONE` notification (counts per stream) in one transaction, and its parts are deleted.
 * - A failure of a signal that is not the run's end (Intercom unavailable, a stream's own failure) is
 *   logged and the signal tried again after a wait; what must end the run is thrown.
 */
export class Signals {
  private readonly queue: string[] = [];
  private wake: () => void = () => undefined;
  /** Per signal and stream, the objects republished (committed or pending). */
  private readonly onceSets = new Map<string, IdSet>();
  /** Per signal id, the number of its next part record (`#<n>`). */
  private readonly nextPart = new Map<string, number>();

  constructor(private readonly d: SignalsDeps) {}

  /** Takes one record of the signal topic (see the class contract). */
  async receive(
    value: Buffer | string | null,
    key: Buffer | string | null = null,
    offset?: string,
  ): Promise<Reception> {
    const name = key === null ? '' : key.toString();
    if (name !== '' && name !== this.d.connector) {
      this.d.logger.debug({ key: name.slice(0, 200) }, 'signal for another connector ignored');
      return 'other';
    }
    const parsed = parseSignal(value, this.d.enabled, offset === undefined ? undefined : `offset-${offset}`);
    if (!parsed.ok) {
      this.d.logger.warn({ signal: parsed.id, type: parsed.type, reason: parsed.reason }, 'signal refused');
      this.d.engine.notify('REFUSED', {
        signal_id: parsed.id,
        signal_type: parsed.type,
        reason: parsed.reason,
      });
      await this.d.engine.commitState([]);
      return 'refused';
    }
    const known = this.d.store.signal(parsed.id);
    if (known) {
      this.d.logger.info(
        { signal: parsed.id, status: known.status },
        'signal ignored: its id was received before',
      );
      return 'known';
    }
    const record: SignalRecord = {
      status: 'running',
      signal: parsed.spec,
      receivedMs: this.d.clock(),
      streamsDone: [],
    };
    this.d.engine.notify('ACCEPTED', {
      signal_id: parsed.id,
      signal_type: EXECUTE_SNAPSHOT,
      ...signalFields(parsed.spec),
    });
    await this.d.engine.commitState([this.d.store.signalRecord(parsed.id, record)]);
    this.d.store.setSignal(parsed.id, record);
    this.d.logger.info({ signal: parsed.id, ...signalFields(parsed.spec) }, 'signal accepted');
    this.queue.push(parsed.id);
    this.wake();
    return 'accepted';
  }

  /** Executes accepted signals until `abort` (see the class contract); throws what must end the run. */
  async run(abort: AbortSignal): Promise<void> {
    const running = this.d.store
      .signals()
      .filter(([, r]) => r.status === 'running')
      .sort((a, b) => a[1].receivedMs - b[1].receivedMs)
      .map(([id]) => id);
    this.queue.unshift(...running.filter((id) => !this.queue.includes(id)));
    let failures = 0;
    while (!abort.aborted) {
      const id = this.queue[0];
      if (id === undefined) {
        await new Promise<void>((resolve) => {
          const done = () => {
            abort.removeEventListener('abort', done);
            this.wake = () => undefined;
            resolve();
          };
          this.wake = done;
          abort.addEventListener('abort', done, { once: true });
        });
        continue;
      }
      try {
        await this.execute(id);
        this.queue.shift();
        failures = 0;
      } catch (error) {
        if (error instanceof StopRequested || abort.aborted) return;
        if (!isRetriable(error) && !(error instanceof CdcError && error.kind === 'system')) throw error;
        failures += 1;
        const waitMs = Math.min(600_000, (this.d.retryMs ?? 10_000) * 2 ** (failures - 1));
        this.d.logger.warn(
          { signal: id, err: (error as Error).message, retryInMs: waitMs },
          'signal failed; tried again after a wait',
        );
        await sleep(waitMs, abort).catch(() => undefined);
      }
    }
  }

  private async execute(id: string): Promise<void> {
    const { store, engine } = this.d;
    let record = store.signal(id);
    if (!record || record.status === 'done') return;
    const spec = record.signal;
    const resumed = record.streamsDone.length > 0 || store.signalPartNumbers(id).length > 0;
    engine.notify('STARTED', { signal_id: id, ...signalFields(spec), resumed: String(resumed) });
    this.d.logger.info({ signal: id, resumed, ...signalFields(spec) }, 'signalled snapshot started');
    for (const stream of spec.streams) {
      if (record.streamsDone.includes(stream)) continue;
      if (!this.d.enabled.has(stream)) {
        // Accepted by an earlier start with other STREAMS: nothing of it can be read now.
        this.d.logger.warn(
          { signal: id, stream },
          'signalled snapshot: the stream is no longer enabled; skipped',
        );
        engine.notify('IN_PROGRESS', { signal_id: id, data_collections: stream, skipped: 'not enabled' });
        record = { ...record, streamsDone: [...record.streamsDone, stream] };
        continue;
      }
      const once = this.onceOf(id, stream);
      const summary = await engine.resnapshot(stream, {
        ids: spec.ids,
        sinceMs: spec.sinceMs,
        untilMs: spec.untilMs,
        once,
      });
      const counts: SignalCounts = {
        republished: this.onceSets.get(onceKey(id, stream))!.size,
        read: summary.read,
        deleted: summary.deleted,
        dead_letters: summary.deadLetters,
      };
      record = {
        ...record,
        streamsDone: [...record.streamsDone, stream],
        counts: { ...record.counts, [stream]: counts },
      };
      engine.notify('IN_PROGRESS', {
        signal_id: id,
        data_collections: stream,
        stream_done: 'true',
        ...countsData(counts),
      });
      await engine.commitState([store.signalRecord(id, record)]);
      store.setSignal(id, record);
    }
    const done: SignalRecord = { ...record, status: 'done' };
    const parts = new Set([...store.signalPartNumbers(id), ...range(this.nextPart.get(id) ?? 0)]);
    const total = Object.values(done.counts ?? {}).reduce((n, c) => n + c.republished, 0);
    engine.notify('DONE', {
      signal_id: id,
      ...signalFields(spec),
      republished: total,
      ...Object.fromEntries(
        Object.entries(done.counts ?? {}).map(([stream, c]) => [`republished.${stream}`, c.republished]),
      ),
    });
    await engine.commitState([
      store.signalRecord(id, done),
      ...[...parts].map((n) => store.signalPartRecord(id, n, null)),
    ]);
    store.setSignal(id, done);
    for (const n of parts) store.setSignalPart(id, n, null);
    for (const stream of spec.streams) this.onceSets.delete(onceKey(id, stream));
    this.d.logger.info({ signal: id, republished: total, counts: done.counts }, 'signalled snapshot done');
  }

  /**
   * The objects of `stream` the signal republished, as the walks' `once` (WalkMode): the committed
   * parts' ids, then each one published, noted in the transaction of its event. Kept across tries of
   * the signal within this life (pending parts commit later with their events).
   */
  private onceOf(id: string, stream: StreamName): Once {
    const key = onceKey(id, stream);
    let set = this.onceSets.get(key);
    if (!set) {
      this.onceSets.set(key, (set = new IdSet(this.d.store.republished(id, stream))));
      this.d.store.releaseRepublished(id, stream);
    }
    if (!this.nextPart.has(id))
      this.nextPart.set(id, Math.max(-1, ...this.d.store.signalPartNumbers(id)) + 1);
    const written = new Map<Message, number>();
    let lastProgress = this.d.clock();
    const notes: PartNotes = {
      record: (ids) => {
        const n = this.nextPart.get(id)!;
        this.nextPart.set(id, n + 1);
        const message = this.d.store.signalPartRecord(id, n, { stream, ids });
        written.set(message, n);
        return message;
      },
      committed: (_ids, message) => {
        const n = written.get(message);
        written.delete(message);
        // The part's ids are in `republished` already: the store keeps its number only.
        if (n !== undefined) this.d.store.setSignalPart(id, n, { stream, ids: [] });
      },
    };
    const republished = set;
    return {
      has: (x) => republished.has(x),
      add: (x) => {
        republished.add(x);
        const now = this.d.clock();
        if (now - lastProgress < this.d.progressIntervalMs) return;
        lastProgress = now;
        this.d.engine.notify('IN_PROGRESS', {
          signal_id: id,
          data_collections: stream,
          republished: republished.size,
        });
      },
      notes,
    };
  }
}

function onceKey(id: string, stream: string): string {
  return `${id}\u0000${stream}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A signal's spec as notification and log fields. */
export function signalFields(spec: SignalSpec): Record<string, string | number | undefined> {
  return {
    data_collections: spec.streams.join(','),
    ids: spec.ids?.length,
    since: spec.sinceMs === undefined ? undefined : new Date(spec.sinceMs).toISOString(),
    until: spec.untilMs === undefined ? undefined : new Date(spec.untilMs).toISOString(),
  };
}

function countsData(c: SignalCounts): Record<string, number> {
  return { republished: c.republished, read: c.read, deleted: c.deleted, dead_letters: c.dead_letters };
}
