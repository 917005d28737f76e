import type { Op } from '../normalize';
import type {
  Committer,
  ConsumedOffsets,
  Message,
  ObjectState,
  StateStore,
  StreamProgress,
  TopicBatch,
} from './contracts';

/**
 * The batch: what one stream has decided and not yet committed, cut into parts of one transaction each,
 * and the pending view every walk of the stream diffs against.
 */

export interface BatchCounts {
  events: Record<string, Partial<Record<Op, number>>>;
  dlq: Record<string, number>;
}

/**
 * Sealed parts a batch keeps before its walks wait. Every stream's parts commit through one
 * transactional producer, one transaction at a time, so a stream's part often waits behind other
 * streams' transactions: with only two, the walks of a first sync at 300 ms per answer stopped often
 * enough to cost about 5 % of its time (bench/latency.ts: 1.47–1.55 × the least time with 2, 1.42–1.43 ×
 * with 4, no better with 8). A part holds up to `maxMessages` messages (2,000 by default).
 */
export const MAX_SEALED_PARTS = 4;

/**
 * The bytes of change events, dead letters and state records decided and not yet committed, shared by
 * every stream's batch: what the walks may hold in memory before they wait for commits. A batch seals a
 * part once it holds `partBytes` (a quarter of the budget) or its message count, and a batch with parts
 * waiting to commit holds its walks back while the budget is spent (one with none may always seal its
 * part, so that no stream waits on another's commits for ever). So pending bytes stay within the budget
 * plus a part per stream.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes a part seals at. */
  get partBytes(): number {
    return Math.max(1, Math.floor(this.limit / (MAX_SEALED_PARTS + 1)));
  }

  get spent(): boolean {
    return this.used >= this.limit;
  }

  /** Bytes pending now (all batches). */
  get bytes(): number {
    return this.used;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** Default budget of pending bytes: 64 MiB (parts of 12.8 MiB). */
export const DEFAULT_PENDING_BYTES = 64 * 1024 * 1024;

/** Bytes of a message's key and value (a string counted by its length: near enough for a budget). */
function sizeOf(m: Message): number {
  return lengthOf(m.key) + lengthOf(m.value);
}

function lengthOf(x: Buffer | string | null): number {
  return x === null ? 0 : x.length;
}

/**
 * Ids noted in the parts of a batch, each part's written as one record of its own in that part's
 * transaction (a signalled snapshot's republished objects, src/capture/signals.ts): so the record commits
 * exactly with the events it names.
 */
export interface PartNotes {
  /**
   * The record of ids noted in one part, called as its transaction is put together: once per part, or
   * once per run of {@link MAX_NOTED_IDS} ids when it noted more.
   */
  record(ids: string[]): Message;
  /** That part's transaction committed. */
  committed?(ids: string[], record: Message): void;
}

/**
 * Most ids in one record of notes: a part of small objects may note tens of thousands, and a record must
 * stay far below the broker's max.message.bytes (1 MiB by default): 10,000 ids of up to 36 characters
 * come to about 400 KB. More ids make several records, each with its own `record` call.
 */
export const MAX_NOTED_IDS = 10_000;

/** `items` in runs of at most `size`. */
function slices<T>(items: T[], size: number): T[][] {
  if (items.length <= size) return [items];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What one transaction will hold. */
class Part {
  /** Ids noted in this part, by what writes their record (see `note`). */
  readonly notes = new Map<PartNotes, string[]>();
  readonly events = new Map<string, Message[]>();
  readonly state: Message[] = [];
  /** Object states by stream and id (null: deleted), and progress by stream: applied to the store after
   * the commit. */
  readonly pending = new Map<string, Map<string, ObjectState | null>>();
  readonly progress = new Map<string, StreamProgress>();
  readonly dlq: Message[] = [];
  readonly counts: BatchCounts = { events: {}, dlq: {} };
  /** Consumed offsets committed in this part's transaction (addOffsets). */
  offsets: ConsumedOffsets | undefined;
  messages = 0;
  /** Bytes of its messages (what seals it), and those taken from the budget until its commit ended. */
  bytes = 0;
  taken = 0;
  /** Settles once this part's commit ended, either way (set when it is sealed). */
  ended: Promise<void> = Promise.resolve();
}

/**
 * Everything one stream (with its children) has decided and not yet committed: events per topic, dead
 * letters, and the state records that cover them, cut into parts of one transaction each. Every walk
 * of the stream (incremental poll, snapshot slices, reconciliation, fetches of single objects) adds to
 * the same batch, so they all diff against one view of what is pending (`lookup`: the part being filled,
 * then parts waiting to commit, newest first, then the store).
 *
 * Contract:
 * - Parts commit one after the other, in the order they were sealed; a record added before another
 *   is committed in the same or an earlier transaction (so progress added after the events it covers
 *   never commits before them).
 * - The store learns a part's state only after its transaction committed.
 * - A failed commit poisons the batch: every later `flush`/`flushIfFull` throws that failure, and the
 *   parts not yet committed are never sent (the engine stops and starts over from the store).
 * - A part is full at `maxMessages` messages or the budget's `partBytes` bytes (ByteBudget). While
 *   {@link MAX_SEALED_PARTS} parts wait to commit (the first of them committing), or while the shared
 *   budget of pending bytes is spent and this batch has a part waiting, `flushIfFull` waits for the
 *   oldest (back-pressure on the walks, in messages and in bytes).
 */
export class ChangeBatch {
  private part = new Part();
  /** Sealed parts not yet committed, oldest first (the first may be committing). */
  private readonly sealed: Part[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly committer: Committer,
    private readonly dlqTopic: string,
    private readonly stateTopic: string,
    private readonly maxMessages: number,
    private readonly onCommitted?: (counts: BatchCounts) => void,
    private readonly budget: ByteBudget = new ByteBudget(DEFAULT_PENDING_BYTES),
  ) {}

  lookup(stream: string, id: string): ObjectState | undefined {
    let pending = this.part.pending.get(stream)?.get(id);
    for (let i = this.sealed.length - 1; pending === undefined && i >= 0; i--)
      pending = this.sealed[i]!.pending.get(stream)?.get(id);
    if (pending !== undefined) return pending ?? undefined;
    return this.store.object(stream, id);
  }

  /** Ids of a stream that are live in the pending view: the store's, plus pending creates, less pending deletes. */
  liveIds(stream: string): string[] {
    const ids = new Set(this.store.ids(stream));
    for (const part of [...this.sealed, this.part]) {
      for (const [id, state] of part.pending.get(stream) ?? []) {
        if (state) ids.add(id);
        else ids.delete(id);
      }
    }
    return [...ids];
  }

  addEvents(topic: string, stream: string, op: Op, messages: Message[]): void {
    const list = this.part.events.get(topic) ?? [];
    list.push(...messages);
    this.part.events.set(topic, list);
    const byOp = (this.part.counts.events[stream] ??= {});
    byOp[op] = (byOp[op] ?? 0) + 1;
    this.part.messages += messages.length;
    for (const m of messages) this.count(m);
  }

  setObject(stream: string, id: string, state: ObjectState | null): void {
    let table = this.part.pending.get(stream);
    if (table === undefined) this.part.pending.set(stream, (table = new Map()));
    table.set(id, state);
    const record = this.store.objectRecord(stream, id, state);
    this.part.state.push(record);
    this.part.messages++;
    this.count(record);
  }

  setProgress(stream: string, progress: StreamProgress): void {
    this.part.progress.set(stream, progress);
    const record = this.store.progressRecord(stream, progress);
    this.part.state.push(record);
    this.part.messages++;
    this.count(record);
  }

  /**
   * Consumed offsets to commit in the transaction of the part being filled, so with everything added
   * before them (the events a hint caused); merged with offsets added earlier to the part, the later
   * position of each partition kept. A part with offsets and no message still commits (flush).
   */
  addOffsets(offsets: ConsumedOffsets): void {
    this.part.offsets = mergeOffsets(this.part.offsets, offsets);
  }

  /** Notes `id` in the part being filled: written at its commit by `notes` (see PartNotes). */
  note(notes: PartNotes, id: string): void {
    const ids = this.part.notes.get(notes);
    if (ids) ids.push(id);
    else this.part.notes.set(notes, [id]);
  }

  deadLetter(stream: string, message: Message): void {
    this.part.dlq.push(message);
    this.part.counts.dlq[stream] = (this.part.counts.dlq[stream] ?? 0) + 1;
    this.part.messages++;
    this.count(message);
  }

  private count(m: Message): void {
    const bytes = sizeOf(m);
    this.part.bytes += bytes;
    if (this.failure) return; // a failed batch holds nothing of the budget (see seal)
    this.part.taken += bytes;
    this.budget.take(bytes);
  }

  /** Messages waiting in the part being filled. */
  get size(): number {
    return this.part.messages;
  }

  /**
   * Starts committing the current part once it is full, and returns without waiting for it, unless
   * {@link MAX_SEALED_PARTS} parts already wait: then it waits for the oldest first. Throws the failure
   * of an earlier commit.
   */
  async flushIfFull(): Promise<void> {
    this.throwIfFailed();
    while (
      this.full &&
      this.sealed.length > 0 &&
      (this.sealed.length >= MAX_SEALED_PARTS || this.budget.spent)
    ) {
      await this.sealed[0]!.ended;
      this.throwIfFailed();
    }
    if (this.full) void this.seal().catch(() => undefined);
  }

  /** Whether the part being filled holds its messages or its bytes (see ByteBudget). */
  private get full(): boolean {
    return this.part.messages >= this.maxMessages || this.part.bytes >= this.budget.partBytes;
  }

  /** Commits everything added so far; resolves once it is committed, throws if a commit failed. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    await this.seal();
    this.throwIfFailed();
  }

  /** Waits for the commits under way, without sealing the current part; never throws. */
  async settle(): Promise<void> {
    await this.tail;
  }

  /** Whether a commit failed (see the contract). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private seal(): Promise<void> {
    const part = this.part;
    this.part = new Part();
    if (part.messages === 0 && part.offsets === undefined && part.notes.size === 0)
      return this.tail.then(() => this.throwIfFailed());
    this.sealed.push(part);
    const run = this.tail.then(() => this.commitPart(part));
    this.tail = run.catch((error: unknown) => {
      this.failure ??= { error };
      // Never committed now: the part being filled gives its bytes back (sealed ones do as they end).
      this.budget.give(this.part.taken);
      this.part.taken = 0;
    });
    part.ended = this.tail.then(() => undefined);
    return run;
  }

  private async commitPart(part: Part): Promise<void> {
    try {
      this.throwIfFailed();
      const batches: TopicBatch[] = [...part.events].map(([topic, messages]) => ({ topic, messages }));
      const noted = [...part.notes].flatMap(([notes, ids]) =>
        slices(ids, MAX_NOTED_IDS).map((some) => ({ notes, ids: some, record: notes.record(some) })),
      );
      batches.push(
        { topic: this.dlqTopic, messages: part.dlq },
        { topic: this.stateTopic, messages: [...part.state, ...noted.map((n) => n.record)] },
      );
      await this.committer.commit(batches, part.offsets);
      for (const n of noted) n.notes.committed?.(n.ids, n.record);
      for (const [stream, table] of part.pending)
        for (const [id, state] of table) this.store.setObject(stream, id, state);
      for (const [stream, progress] of part.progress) this.store.setProgress(stream, progress);
    } finally {
      this.sealed.splice(this.sealed.indexOf(part), 1);
      this.budget.give(part.taken);
      part.taken = 0;
    }
    this.onCommitted?.(part.counts);
  }
}

/**
 * `a` and `b` as one set of offsets to commit: per partition the later position (they are positions
 * of one group, and a commit never moves a group back). `b`'s group when both are given.
 */
export function mergeOffsets(a: ConsumedOffsets | undefined, b: ConsumedOffsets): ConsumedOffsets {
  const next = new Map<string, ConsumedOffsets['offsets'][number]>();
  for (const o of [...(a?.offsets ?? []), ...b.offsets]) {
    const key = `${o.partition}:${o.topic}`;
    const known = next.get(key);
    if (known === undefined || BigInt(o.offset) > BigInt(known.offset)) next.set(key, o);
  }
  return { groupId: b.groupId, offsets: [...next.values()] };
}
