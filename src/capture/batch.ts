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

/**
 * The changes of one stream waiting for their transaction: events per topic, dead letters, and the
 * state records that cover them. The diff looks here first (`lookup`), so an object read twice before
 * a commit (a cursor that repeats) is published once. The store learns the new state only after the
 * transaction committed.
 */
export class ChangeBatch {
  private readonly events = new Map<string, Message[]>();
  private readonly state: Message[] = [];
  /** Object states and progress this batch will commit, by state key; applied to the store after the commit. */
  private readonly pending = new Map<string, { stream: string; id: string; state: ObjectState | null }>();
  private readonly progress = new Map<string, StreamProgress>();
  private readonly dlq: Message[] = [];
  private counts: BatchCounts = { events: {}, dlq: {} };
  private messages = 0;

  constructor(
    private readonly store: StateStore,
    private readonly dlqTopic: string,
    private readonly stateTopic: string,
  ) {}

  lookup(stream: string, id: string): ObjectState | undefined {
    const key = this.store.objectKey(stream, id);
    const pending = this.pending.get(key);
    if (pending) return pending.state ?? undefined;
    return this.store.object(stream, id);
  }

  addEvents(topic: string, stream: string, op: Op, messages: Message[]): void {
    const list = this.events.get(topic) ?? [];
    list.push(...messages);
    this.events.set(topic, list);
    const byOp = (this.counts.events[stream] ??= {});
    byOp[op] = (byOp[op] ?? 0) + 1;
    this.messages += messages.length;
  }

  setObject(stream: string, id: string, state: ObjectState | null): void {
    this.pending.set(this.store.objectKey(stream, id), { stream, id, state });
    this.state.push(this.store.objectRecord(stream, id, state));
    this.messages++;
  }

  setProgress(stream: string, progress: StreamProgress): void {
    this.progress.set(stream, progress);
    this.state.push(this.store.progressRecord(stream, progress));
    this.messages++;
  }

  deadLetter(stream: string, message: Message): void {
    this.dlq.push(message);
    this.counts.dlq[stream] = (this.counts.dlq[stream] ?? 0) + 1;
    this.messages++;
  }

  get size(): number {
    return this.messages;
  }

  /** Commits everything in one transaction, then applies the state; returns what was committed. */
  async commit(committer: Committer): Promise<BatchCounts> {
    const counts = this.counts;
    if (this.messages === 0) return counts;
    const batches: TopicBatch[] = [...this.events].map(([topic, messages]) => ({ topic, messages }));
    batches.push(
      { topic: this.dlqTopic, messages: this.dlq },
      { topic: this.stateTopic, messages: this.state },
    );
    await committer.commit(batches);
    for (const { stream, id, state } of this.pending.values()) this.store.setObject(stream, id, state);
    for (const [stream, progress] of this.progress) this.store.setProgress(stream, progress);
    this.events.clear();
    this.state.length = 0;
    this.dlq.length = 0;
    this.pending.clear();
    this.progress.clear();
    this.counts = { events: {}, dlq: {} };
    this.messages = 0;
    return counts;
  }
}
