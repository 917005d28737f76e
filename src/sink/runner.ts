/**
 * The sinks' generic runner: applies an input topic to an API through a handler (src/sink/handler.ts),
 * knowing offsets and nothing of the API, and Kafka only through SinkKafka (src/kafka/sink-kafka.ts).
 */
import type { Logger } from 'pino';
import type { InputRecord, SinkKafka } from '../kafka/sink-kafka';
import type { SinkTopics } from '../kafka/topics';
import { retry, type RetryPolicy } from '../retry';
import { decodeValue, type InputFormat } from './decode';
import type { SinkHandler } from './handler';
import { RejectedRecord } from './rejected';

/** What the runner itself decides about a record, besides the handler's results. */
export type RunnerResult = 'dead_letter' | 'skipped_tombstone' | 'already_applied';

export interface SinkRunnerOptions<Item, Result extends string> {
  /** The sink's name in logs: `contact` ("contact sink running"). */
  name: string;
  kafka: SinkKafka;
  handler: SinkHandler<Item, Result>;
  input: InputFormat;
  topics: SinkTopics;
  /** The configuration key and environment variable of the input topic, named when it is missing. */
  topicSetting: { key: string; env: string };
  groupId: string;
  /** Partitions processed at once (records of one partition stay in order). */
  concurrency: number;
  sessionTimeoutMs: number;
  /** all: a rejected record goes to the dead-letter topic; none: it stops the sink. */
  tolerance: 'all' | 'none';
  replicationFactor: number;
  logger: Logger;
  /** Told once the consumer runs (topics prepared, state restored, subscribed). */
  onReady?: () => void;
  /** Told the result of every input record. */
  onRecord?: (result: Result | RunnerResult) => void;
  /** Waits between two tries of a record that failed for a retriable reason (default 1 s to 1 min). */
  backoffMs?: { min: number; max: number };
}

/** A record's value once decoded: decoded once, kept across retries and for the dead-letter topic. */
interface Decoded {
  value?: unknown;
}

/** Where an input record sits: partitions keep order, so a position is comparable to another of the same partition. */
interface Position {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Applies an input topic to an API through a handler, knowing Kafka and nothing of the API. Per
 * partition, in order: decode, let the handler parse, skip what the replay guard shows applied, let the
 * handler apply, remember the position applied for the record's key (compacted state topic), and commit
 * the consumer offset only after the handler resolved. A crash replays at most the records after the
 * last commit; each is either found applied in the state (skipped) or handed to the handler again, which
 * writes only what the API does not hold. A rebalance that refuses a commit is not a failure: the next
 * owner of the partition reads those records again and finds them applied.
 */
export class SinkRunner<Item, Result extends string> {
  private readonly applied = new Map<string, Position>();

  constructor(private readonly o: SinkRunnerOptions<Item, Result>) {}

  /** Runs until `signal` aborts (resolves) or a fatal error (rejects). */
  async run(signal: AbortSignal): Promise<void> {
    const { kafka, topics, groupId } = this.o;
    await kafka.prepare(
      {
        topics,
        topicSetting: this.o.topicSetting,
        replicationFactor: this.o.replicationFactor,
        name: this.o.name,
        groupId,
      },
      (key, value) => {
        if (value === null) this.applied.delete(key);
        else this.applied.set(key, JSON.parse(value) as Position);
      },
    );
    await kafka.consume(
      {
        topic: topics.input,
        groupId,
        concurrency: this.o.concurrency,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
      },
      (record, heartbeat) => this.handle(record, signal, heartbeat),
      signal,
      () => {
        this.o.logger.info(
          { topic: topics.input, group: groupId, known: this.applied.size },
          `${this.o.name} sink running`,
        );
        this.o.onReady?.();
      },
    );
  }

  /**
   * One record, until it is applied, rejected or skipped; retriable failures are retried with backoff.
   * Throws (a fatal error: the sink stops) what is neither retriable nor a rejection the tolerance lets
   * go to the dead-letter topic.
   */
  private async handle(
    record: InputRecord,
    signal: AbortSignal,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const backoff = this.o.backoffMs ?? { min: 1_000, max: 60_000 };
    const policy: RetryPolicy = { minMs: backoff.min, maxMs: backoff.max };
    const decoded: Decoded = {};
    try {
      const result = await retry(
        async (attempt) => {
          if (attempt > 1) await heartbeat();
          return this.handleOnce(record, decoded, attempt);
        },
        {
          policy,
          signal,
          onRetry: ({ error, delayMs }) =>
            this.o.logger.warn(
              {
                err: error,
                topic: record.topic,
                partition: record.partition,
                offset: record.offset,
                retryInMs: delayMs,
              },
              'record not applied yet; retrying',
            ),
        },
      );
      this.o.onRecord?.(result);
    } catch (error) {
      if (error instanceof RejectedRecord && this.o.tolerance === 'all') {
        await this.deadLetter(record, error, decoded);
        this.o.onRecord?.('dead_letter');
        return;
      }
      throw error;
    }
  }

  private async handleOnce(
    record: InputRecord,
    decoded: Decoded,
    attempt: number,
  ): Promise<Result | RunnerResult> {
    if (record.value === null) return 'skipped_tombstone';
    if (!('value' in decoded)) decoded.value = await decodeValue(record.value, this.o.input);
    const parsed = this.o.handler.parse(decoded.value);
    if ('skip' in parsed) return parsed.skip;
    const key = this.o.handler.key(parsed.item);
    const at: Position = { topic: record.topic, partition: record.partition, offset: record.offset };
    const done = this.applied.get(key);
    if (
      done &&
      done.topic === at.topic &&
      done.partition === at.partition &&
      BigInt(done.offset) >= BigInt(at.offset)
    )
      return 'already_applied';
    const { result, writes } = await this.o.handler.apply(parsed.item, attempt);
    if (writes > 0) {
      await this.o.kafka.send(this.o.topics.state, key, JSON.stringify(at));
      this.applied.set(key, at);
    }
    return result;
  }

  /** The record goes to the dead-letter topic as decoded (or as base64 when it could not be decoded). */
  private async deadLetter(record: InputRecord, error: RejectedRecord, decoded: Decoded): Promise<void> {
    const { topic, partition, offset } = record;
    const body = {
      topic,
      partition,
      offset,
      code: error.code,
      error: error.message,
      ...(error.intercom
        ? {
            intercom: {
              status: error.intercom.status,
              code: error.intercom.code,
              request_id: error.intercom.requestId,
            },
          }
        : {}),
      ts_ms: Date.now(),
      ...('value' in decoded
        ? { record: decoded.value }
        : { value_base64: record.value ? record.value.toString('base64') : null }),
    };
    await this.o.kafka.send(this.o.topics.dlq, record.key, JSON.stringify(body));
    this.o.logger.warn(
      { topic, partition, offset, code: error.code, error: error.message },
      'record rejected: sent to the dead-letter topic',
    );
  }
}
