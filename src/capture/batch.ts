import type { Message } from 'kafkajs';
import type { TopicBatch } from '../kafka/publisher';
import type { ObjectState, StateStore, StreamProgress } from '../kafka/state-store';
import type { Op } from './diff';

/** Where committed batches go: one Kafka transaction per call. */
export interface Committer {
  commit(batches: TopicBatch[]): Promise<void>;
}

export interface BatchCounts {
  events: Record<string, Partial<Record<Op, number>>>;
  dlq: Record<string, number>;
}

/** What one transaction will hold. */
class Part {
  readonly events = new Map<string, Message[]>();
  readonly state: Message[] = [];
  /** Object states by state key, and progress by stream: applied to the store after the commit. */
  readonly pending = new Map<string, { stream: string; id: string; state: ObjectState | null }>();
  readonly progress = new Map<string, StreamProgress>();
  readonly dlq: Message[] = [];
  readonly counts: BatchCounts = { events: {}, dlq: {} };
  messages = 0;
}

/**
 * The changes of one walk on their way to Kafka: events per topic, dead letters, and the state records
 * that cover them, one transaction per part. While one part commits in the background
 * (`commitInBackground`), the walk fills the next, so fetching and committing overlap; at most one part
 * is in flight. The diff looks into both parts before the store (`lookup`), so an object read twice
 * before its commit (a cursor that repeats) is published once. The store learns a part's state only
 * after its transaction committed.
 */
export class ChangeBatch {
  private part = new Part();
  private inFlight?: { part: Part; done: Promise<BatchCounts> };

  constructor(
    private readonly store: StateStore,
    private readonly committer: Committer,
    private readonly dlqTopic: string,
    private readonly stateTopic: string,
  ) {}

  lookup(stream: string, id: string): ObjectState | undefined {
    const key = this.store.objectKey(stream, id);
    const pending = this.part.pending.get(key) ?? this.inFlight?.part.pending.get(key);
    if (pending) return pending.state ?? undefined;
    return this.store.object(stream, id);
  }

  addEvents(topic: string, stream: string, op: Op, messages: Message[]): void {
    const list = this.part.events.get(topic) ?? [];
    list.push(...messages);
    this.part.events.set(topic, list);
    const byOp = (this.part.counts.events[stream] ??= {});
    byOp[op] = (byOp[op] ?? 0) + 1;
    this.part.messages += messages.length;
  }

  setObject(stream: string, id: string, state: ObjectState | null): void {
    this.part.pending.set(this.store.objectKey(stream, id), { stream, id, state });
    this.part.state.push(this.store.objectRecord(stream, id, state));
    this.part.messages++;
  }

  setProgress(stream: string, progress: StreamProgress): void {
    this.part.progress.set(stream, progress);
    this.part.state.push(this.store.progressRecord(stream, progress));
    this.part.messages++;
  }

  deadLetter(stream: string, message: Message): void {
    this.part.dlq.push(message);
    this.part.counts.dlq[stream] = (this.part.counts.dlq[stream] ?? 0) + 1;
    this.part.messages++;
  }

  /** Messages waiting in the part being filled. */
  get size(): number {
    return this.part.messages;
  }

  /**
   * Waits for the part in flight (throwing its failure), then starts committing the current part and
   * returns at once with a promise of what it committed (wrapped: an async function would wait for it).
   * The walk goes on filling a new part.
   */
  async commitInBackground(): Promise<{ done: Promise<BatchCounts> }> {
    await this.settle();
    const part = this.part;
    this.part = new Part();
    const done = this.commitPart(part);
    done.catch(() => undefined); // observed by the next settle()
    this.inFlight = { part, done };
    return { done };
  }

  /** Waits for the part in flight, if any; throws its failure. */
  async settle(): Promise<void> {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    try {
      await inFlight.done;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Waits for the part in flight, then commits the current part; returns what that part committed. */
  async commit(): Promise<BatchCounts> {
    await this.settle();
    const part = this.part;
    this.part = new Part();
    return this.commitPart(part);
  }

  private async commitPart(part: Part): Promise<BatchCounts> {
    if (part.messages === 0) return part.counts;
    const batches: TopicBatch[] = [...part.events].map(([topic, messages]) => ({ topic, messages }));
    batches.push(
      { topic: this.dlqTopic, messages: part.dlq },
      { topic: this.stateTopic, messages: part.state },
    );
    await this.committer.commit(batches);
    for (const { stream, id, state } of part.pending.values()) this.store.setObject(stream, id, state);
    for (const [stream, progress] of part.progress) this.store.setProgress(stream, progress);
    return part.counts;
  }
}
