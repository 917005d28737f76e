/**
 * Test doubles of the capture core's contracts: an in-memory Intercom (`FakeIntercom`, the
 * IntercomReader the capture asks), a committer that records (and can hold) transactions, and a
 * StreamCapture wired to them with the real batch, events, cursor and codecs.
 */
import * as avro from 'avsc';
import { ChangeBatch } from '../../../src/capture/batch';
import type {
  Committer,
  ConsumedOffsets,
  IntercomReader,
  Read,
  StreamCodec,
  TopicBatch,
} from '../../../src/capture/contracts';
import { prepare, type Preparation } from '../../../src/capture/prepare';
import { StreamCursor } from '../../../src/capture/cursor';
import { StreamEvents } from '../../../src/capture/events';
import { StreamReads } from '../../../src/capture/reads';
import { CaptureEngine, type EngineDeps } from '../../../src/capture/engine';
import { StreamCapture } from '../../../src/capture/stream';
import { readSequence, type Page } from '../../../src/intercom/pagination';
import type { Priority } from '../../../src/intercom/scheduler';
import { StateStore } from '../../../src/kafka/state-store';
import { silentLogger } from '../../../src/logger';
import { EventCodec } from '../../../src/kafka/wire';
import { loadStreamSchemas, type Reading } from '../../../src/normalize';
import { STREAM_DEFS, type StreamDef } from '../../../src/streams/definitions';
import { STREAMS, type StreamName } from '../../../src/streams/names';
import ticket from '../../fixtures/intercom/tickets.json';

type Obj = Record<string, unknown>;

/** A ticket with the given id and times (Unix seconds), the fixture's content otherwise. */
export function aTicket(id: string, createdAt: number, updatedAt: number, extra: Obj = {}): Obj {
  return { ...ticket, id, created_at: createdAt, updated_at: updatedAt, ...extra };
}

interface Filter {
  field?: string;
  operator: string;
  value: unknown;
}

const DAY_S = 86_400;

/** `>` and `<` on Unix seconds; by calendar day (UTC) where the search matches by day, as contacts' does. */
function matches(object: Obj, filter: Filter, byDay: boolean): boolean {
  if (filter.operator === 'AND') return (filter.value as Filter[]).every((f) => matches(object, f, byDay));
  const unit = (s: number) => (byDay ? Math.floor(s / DAY_S) : s);
  const value = unit(object[filter.field!] as number);
  const bound = unit(filter.value as number);
  if (filter.operator === '>') return value > bound;
  if (filter.operator === '<') return value < bound;
  throw new Error(`the fake search has no operator ${filter.operator}`);
}

/** One request the fake answered: which kind, path, priority, and for searches the query. */
export interface Served {
  kind: 'get' | 'search' | 'list';
  path: string;
  priority?: Priority;
  query?: unknown;
}

/**
 * An in-memory Intercom: objects by collection path (`/tickets`), GET of one object (null for 404),
 * searches with `>`/`<`/AND filters, optional `updated_at` sort and `total_count`, and listings, in
 * pages of `pageSize`. Each page carries the read sequence taken when its request was issued. `hold`
 * makes GETs wait until the test releases them. A read that asks for a preparation gets its answer
 * prepared as the client would (inline, from the answer's JSON text).
 */
export class FakeIntercom implements IntercomReader {
  readonly collections = new Map<string, Map<string, Obj>>();
  readonly served: Served[] = [];
  /** Ids that searches and listings skip while GET still serves them (a cursor that missed them). */
  readonly unlisted = new Set<string>();
  /** Thrown by the next search or listing. */
  failNext: Error | undefined;
  /** Listing or search paths that fail while set, and with what. */
  readonly failingLists = new Map<string, Error>();
  /** A `total_count` every search reports whatever it found (an API that lies about it). */
  lyingTotal: number | undefined;
  /** GET paths that fail, and with what (a read that keeps failing). */
  readonly failingGets = new Map<string, Error>();
  pageSize = 3;
  /** GETs on the wire now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  private held: (() => void)[] | undefined;

  put(path: string, object: Obj): void {
    let collection = this.collections.get(path);
    if (!collection) this.collections.set(path, (collection = new Map()));
    collection.set(String(object.id), object);
  }

  delete(path: string, id: string): void {
    this.collections.get(path)?.delete(id);
  }

  /** From now on, GETs wait for `release`. */
  hold(): void {
    this.held = [];
  }

  /** Lets the held GETs answer (with the objects as they are then), and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  async get<T>(path: string, _query?: unknown, opts?: Read): Promise<T | null> {
    this.served.push({ kind: 'get', path, priority: opts?.priority });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
      else await Promise.resolve();
      const failure = this.failingGets.get(path);
      if (failure) throw failure;
      const at = path.lastIndexOf('/');
      const object = this.collections.get(path.slice(0, at))?.get(decodeURIComponent(path.slice(at + 1)));
      if (!object) return null;
      return (opts?.prepare ? prepare(JSON.stringify(object), opts.prepare) : structuredClone(object)) as T;
    } finally {
      this.inFlight -= 1;
    }
  }

  async *searchPages<T>(
    path: string,
    _listKey: string,
    query: unknown,
    opts?: { perPage?: number; sort?: { field: string; order: string } } & Read,
  ): AsyncIterable<Page<T>> {
    this.served.push({ kind: 'search', path, priority: opts?.priority, query });
    this.throwIfFailing(path);
    const sequence = readSequence();
    const collection = this.listed(path.replace(/\/search$/, ''));
    const byDay = path === '/contacts/search';
    const found = collection.filter((o) => matches(o, query as Filter, byDay));
    if (opts?.sort) found.sort((a, b) => (b[opts.sort!.field] as number) - (a[opts.sort!.field] as number));
    yield* this.paged(found, opts?.perPage, sequence, this.lyingTotal, opts?.prepare) as AsyncIterable<
      Page<T>
    >;
  }

  cursorListPages<T>(path: string, _listKey: string, opts?: Read): AsyncIterable<Page<T>> {
    return this.list(path, opts) as AsyncIterable<Page<T>>;
  }

  pagedListPages<T>(path: string, _listKey: string, opts?: Read): AsyncIterable<Page<T>> {
    return this.list(path, opts) as AsyncIterable<Page<T>>;
  }

  scrollPages<T>(path: string, _listKey: string, opts?: Read): AsyncIterable<Page<T>> {
    return this.list(path.replace(/\/scroll$/, ''), opts) as AsyncIterable<Page<T>>;
  }

  async unpaginated<T>(path: string, _listKey: string, _query?: unknown, opts?: Read) {
    this.served.push({ kind: 'list', path, priority: opts?.priority });
    this.throwIfFailing(path);
    await Promise.resolve();
    return preparedItems(
      this.listed(path).map((o) => structuredClone(o)),
      opts?.prepare,
    ) as T[];
  }

  private async *list(path: string, opts?: Read): AsyncIterable<Page<unknown>> {
    this.served.push({ kind: 'list', path, priority: opts?.priority });
    this.throwIfFailing(path);
    const sequence = readSequence();
    yield* this.paged(this.listed(path), undefined, sequence, undefined, opts?.prepare);
  }

  private listed(path: string): Obj[] {
    return [...(this.collections.get(path)?.values() ?? [])].filter((o) => !this.unlisted.has(String(o.id)));
  }

  private throwIfFailing(path: string): void {
    const failure = this.failNext ?? this.failingLists.get(path);
    this.failNext = undefined;
    if (failure) throw failure;
  }

  private async *paged(
    items: unknown[],
    perPage: number | undefined,
    sequence: number,
    totalCount = items.length,
    how?: Preparation,
  ): AsyncIterable<Page<unknown>> {
    const size = perPage ?? this.pageSize;
    if (items.length === 0) yield { items: [], totalCount, sequence };
    for (let i = 0; i < items.length; i += size) {
      await Promise.resolve();
      yield {
        items: preparedItems(items.slice(i, i + size), how),
        totalCount,
        sequence,
      };
    }
  }
}

/** A page's items as the client gives them: prepared when the read asks (from their JSON), else copies. */
export function preparedItems(items: readonly unknown[], how?: Preparation): unknown[] {
  if (!how) return items.map((o) => structuredClone(o));
  if (how.kind !== 'page') throw new Error('a page is prepared as a page');
  const body = prepare(JSON.stringify({ [how.listKey]: items }), how) as Record<string, unknown[]>;
  return body[how.listKey]!;
}

/** Records every transaction; `hold()` makes commits wait for `finish`. */
export class MemoryCommitter implements Committer {
  readonly transactions: TopicBatch[][] = [];
  /** The consumed offsets each committed transaction carried, beside `transactions`. */
  readonly offsets: (ConsumedOffsets | undefined)[] = [];
  /** Commits under way at once (must never be more than one through the engine). */
  overlapping = 0;
  maxOverlapping = 0;
  failNext: Error | undefined;

  async commit(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void> {
    this.overlapping += 1;
    this.maxOverlapping = Math.max(this.maxOverlapping, this.overlapping);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      const failure = this.failNext;
      this.failNext = undefined;
      if (failure) throw failure;
      this.transactions.push(batches);
      this.offsets.push(offsets);
    } finally {
      this.overlapping -= 1;
    }
  }

  /** The messages of `topic`, across all committed transactions. */
  on(topic: string) {
    return this.transactions.flatMap((t) => t.filter((b) => b.topic === topic).flatMap((b) => b.messages));
  }
}

interface CodecEntry {
  codec: StreamCodec;
  key: avro.Type;
  value: avro.Type;
}
const codecCache = new Map<StreamName, CodecEntry>();

/** The stream's codec (wire format with schema ids 1 and 2) and its key and value types, to decode events. */
export function codecOf(stream: StreamName): CodecEntry {
  let entry = codecCache.get(stream);
  if (!entry) {
    const schemas = loadStreamSchemas(stream);
    entry = {
      codec: { stream, topic: `cdc.${stream}`, wire: new EventCodec(schemas, { key: 1, value: 2 }) },
      key: avro.Type.forSchema(schemas.key as avro.Schema),
      value: avro.Type.forSchema(schemas.value as avro.Schema),
    };
    codecCache.set(stream, entry);
  }
  return entry;
}

/** The codecs of every stream. */
export function allCodecs(): Map<StreamName, StreamCodec> {
  return new Map(STREAMS.map((s) => [s, codecOf(s).codec]));
}

/** Decodes the committed events of a stream: op and id (tombstones as op `tombstone`). */
export function eventsOf(committer: MemoryCommitter, stream: StreamName): { op: string; id: string }[] {
  const { key, value } = codecOf(stream);
  return committer.on(`cdc.${stream}`).map((m) => {
    const { id } = key.fromBuffer((m.key as Buffer).subarray(5)) as { id: string };
    if (m.value === null) return { op: 'tombstone', id };
    const envelope = value.fromBuffer((m.value as Buffer).subarray(5)) as { op: string };
    return { op: envelope.op, id };
  });
}

export const CLOCK_MS = 1_750_000_000_000;

/** A StreamCapture of `stream` on the fake, with the real batch, events and cursor over an in-memory store. */
export function captureOf(
  stream: StreamName,
  client: FakeIntercom,
  o: {
    store?: StateStore;
    committer?: MemoryCommitter;
    maxFetches?: number;
    maxBatch?: number;
    maxReadAttempts?: number;
    completeLists?: boolean;
  } = {},
) {
  const def: StreamDef = STREAM_DEFS[stream];
  const store = o.store ?? new StateStore('cdc');
  const committer = o.committer ?? new MemoryCommitter();
  const batch = new ChangeBatch(store, committer, 'cdc._dlq', 'cdc._state', o.maxBatch ?? 1000);
  const events = new StreamEvents({
    batch,
    codecs: allCodecs(),
    emit: { connector: 'cdc', workspaceId: 'ws', apiVersion: '2.14', includeRaw: true, dlqTopic: 'cdc._dlq' },
    tolerance: 'all',
    clock: () => CLOCK_MS,
  });
  const cursor = new StreamCursor(stream, batch, () => store.streamProgress(stream));
  const capture = new StreamCapture({
    def,
    client,
    batch,
    events,
    cursor,
    childrenEnabled: def.children !== undefined,
    maxFetches: o.maxFetches ?? 8,
    clock: () => CLOCK_MS,
    maxClockSkewMs: 600_000,
    completeLists: o.completeLists,
    maxReadAttempts: o.maxReadAttempts ?? 3,
  });
  return { capture, store, committer };
}

/** The reads of a stream on the fake, at CLOCK_MS, with a 10-minute window overlap. */
export function readsOn(client: FakeIntercom, sliceWorkers = 4): StreamReads {
  return new StreamReads({
    client,
    clock: () => CLOCK_MS,
    logger: silentLogger(),
    overlapMs: 600_000,
    sliceWorkers,
    signal: () => undefined,
  });
}

/** A page of `stream` as a read issued now would return it: its items read, as the client prepares them. */
export function readPage(stream: StreamName, items: readonly unknown[]): Page<Reading> {
  const how: Preparation = { kind: 'page', stream, listKey: 'data' };
  return { items: preparedItems(items, how) as Reading[], sequence: readSequence() };
}

/**
 * A CaptureEngine of `streams` on the fake, over an in-memory store and committer (each may be given),
 * polling every 5 ms and reconciling hourly unless `settings` says otherwise; `deps` adds the rest
 * (an observer, an announcer, a clock).
 */
export function engineOf(
  client: FakeIntercom,
  streams: StreamName[],
  o: {
    store?: StateStore;
    committer?: MemoryCommitter;
    settings?: Partial<EngineDeps['settings']>;
    deps?: Partial<Omit<EngineDeps, 'settings'>>;
  } = {},
) {
  const store = o.store ?? new StateStore('cdc');
  const committer = o.committer ?? new MemoryCommitter();
  const engine = new CaptureEngine({
    client,
    committer,
    store,
    codecs: allCodecs(),
    emit: { connector: 'cdc', workspaceId: 'ws', apiVersion: '2.14', includeRaw: true, dlqTopic: 'cdc._dlq' },
    stateTopic: 'cdc._state',
    settings: {
      enabled: new Set(streams),
      overlapMs: 600_000,
      pollIntervalMs: () => 5,
      reconcileIntervalMs: () => 3_600_000,
      tolerance: 'all',
      ...o.settings,
    },
    clock: () => CLOCK_MS,
    logger: silentLogger(),
    ...o.deps,
  });
  return { engine, store, committer };
}
