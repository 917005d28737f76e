import type { Page } from '../intercom/pagination';
import type { Priority } from '../intercom/scheduler';
import type { EventArgs } from '../normalize';
import type { Preparation } from './prepare';
import type { StreamName } from '../streams/names';

/**
 * The capture core's contracts: what it keeps of each object and of each stream's progress, what it
 * needs of Intercom, of the state store and of the transactional writer. `src/intercom` and
 * `src/kafka` implement them; the capture core imports no Kafka module. (Debezium's roles, by name:
 * the progress is the offset context, `StreamCursor` its one writer, the committer the producer side.)
 */

/** What the state knows of one object: its last published `updated_at` (epoch ms) and content hash. */
export interface ObjectState {
  u: number | null;
  h: string;
}

/** Progress of one stream: where its next incremental window starts, and its first sync and reconciliation. */
export interface StreamProgress {
  /** The newest `updated_at` (epoch ms) of which everything up to it was committed; null before a first sync. */
  watermark: number | null;
  /** When the stream was last reconciled (epoch ms). */
  lastReconcile: number | null;
  snapshotDone: boolean;
  /** A first sync under way: its slices done so far (resumed after a restart). */
  snapshot?: SnapshotProgress;
}

/**
 * A first sync split into slices of `created_at` (slices.ts): the watermark the stream starts from once
 * every slice is done, and the ranges `(a, b]` of slice units already committed.
 */
export interface SnapshotProgress {
  watermark: number;
  unit: 'day' | 'second';
  done: [number, number][];
}

/** The progress of a stream never seen. */
export const NO_PROGRESS: StreamProgress = Object.freeze({
  watermark: null,
  lastReconcile: null,
  snapshotDone: false,
});

/** One record to publish. A string key or value is sent as its UTF-8 bytes; a null value is a tombstone. */
export interface Message {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
}

/** Messages for one topic, in the order they are to be written (per partition). */
export interface TopicBatch {
  topic: string;
  messages: Message[];
}

/**
 * Positions a consumer group has consumed up to, to commit in a transaction (TxnOffsetCommit): for each
 * partition, the offset of the next record to read. The webhook hints' consumer hands them to the
 * capture so that they commit in the transaction of the events their records caused (README, "Webhooks").
 */
export interface ConsumedOffsets {
  groupId: string;
  offsets: { topic: string; partition: number; offset: string }[];
}

/**
 * Where committed batches go: one transaction per call (events and the state records that cover them,
 * and `offsets` when given: committed with them or not at all). A call with offsets and no message is a
 * transaction of the offsets alone.
 */
export interface Committer {
  commit(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void>;
}

/**
 * The state as committed: restored at start from the state topic (src/kafka/state-store.ts), told of
 * every transaction once it committed, and the writer of the state topic's records. Contract:
 * - `object`, `ids` and `streamProgress` answer what the committed records say (nothing pending);
 * - `setObject` / `setProgress` are called only after the records that say so committed;
 * - `objectRecord` / `progressRecord` are the state-topic records that restore to the same values.
 */
export interface StateStore {
  object(stream: string, id: string): ObjectState | undefined;
  ids(stream: string): Iterable<string>;
  streamProgress(stream: string): StreamProgress;
  setObject(stream: string, id: string, state: ObjectState | null): void;
  setProgress(stream: string, progress: StreamProgress): void;
  objectRecord(stream: string, id: string, state: ObjectState | null): Message;
  progressRecord(stream: string, progress: StreamProgress): Message;
}

/** Writes one stream's change events in its wire format (src/kafka/wire.ts). */
export interface EventEncoder {
  key(id: string): Buffer;
  /** The value of an event. */
  event(args: EventArgs): Buffer;
}

/** Everything needed to turn objects of one stream into Kafka messages. */
export interface StreamCodec {
  stream: StreamName;
  topic: string;
  /** Keys and values of the stream's events, in the Confluent wire format. */
  wire: EventEncoder;
}

/**
 * Options every read carries: who goes first when requests queue (src/intercom/scheduler.ts), and how
 * its answers are prepared (prepare.ts: on the capture's worker threads); without `prepare`, the
 * answers come as parsed JSON.
 */
export type Read = { priority?: Priority; prepare?: Preparation };

/** What the capture needs of the Intercom client (src/intercom/client.ts implements it). */
export interface IntercomReader {
  get<T>(
    path: string,
    query?: Record<string, string | number | undefined>,
    opts?: { allow404?: boolean } & Read,
  ): Promise<T | null>;
  searchPages<T>(
    path: string,
    listKey: string,
    query: unknown,
    opts?: { perPage?: number; sort?: { field: string; order: 'ascending' | 'descending' } } & Read,
  ): AsyncIterable<Page<T>>;
  cursorListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> } & Read,
  ): AsyncIterable<Page<T>>;
  pagedListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> } & Read,
  ): AsyncIterable<Page<T>>;
  scrollPages<T>(path: string, listKey: string, opts?: Read): AsyncIterable<Page<T>>;
  unpaginated<T>(path: string, listKey: string, query?: Record<string, string>, opts?: Read): Promise<T[]>;
  /** Requests the client keeps in flight now (its scheduler's bound), when it says. */
  concurrency?(): number;
}
