import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CdcError, ConfigError } from '../errors';
import { isRebalance, kafkaError } from './errors';
import { readToEnd, retryingKafka } from './read-to-end';
import { ensureTopics } from './topics';
import { retry, type RetryPolicy } from '../retry';
import { decodeValue, type InputFormat } from '../sink/decode';
import type { SinkHandler } from '../sink/handler';
import { RejectedRecord } from '../sink/rejected';

export interface SinkTopics {
  input: string;
  dlq: string;
  /** Compacted: per key, the input position last applied (the replay guard). */
  state: string;
}

/** What the runner itself decides about a record, besides the handler's results. */
export type RunnerResult = 'dead_letter' | 'skipped_tombstone' | 'already_applied';

export interface SinkRunnerOptions<Item, Result extends string> {
  /** The sink's name in logs: `contact` ("contact sink running"). */
  name: string;
  kafka: Kafka;
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
  private producer?: Producer;
  private fatal?: unknown;

  constructor(private readonly o: SinkRunnerOptions<Item, Result>) {}

  /** Runs until `signal` aborts (resolves) or a fatal error (rejects). */
  async run(signal: AbortSignal): Promise<void> {
    await this.prepare();
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      readUncommitted: false,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.o.sessionTimeoutMs / 10)),
      // A fatal error (auth, a rejected record under tolerance none, a bug) ends the sink; kafkajs'
      // restarts are for its own retriable failures.
      retry: { restartOnFailure: () => Promise.resolve(this.fatal === undefined) },
    });
    const producer = this.o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = producer;
    let crashed: (error: unknown) => void = () => undefined;
    const crash = new Promise<void>((_, reject) => (crashed = reject));
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: this.o.topics.input, fromBeginning: true });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (this.fatal !== undefined || !payload.restart) crashed(this.fatal ?? payload.error);
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.o.concurrency,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          let last: string | undefined;
          try {
            for (const message of batch.messages) {
              if (!isRunning() || isStale() || signal.aborted) break;
              const at = { topic: batch.topic, partition: batch.partition, offset: message.offset };
              await this.handle(at, message, signal, heartbeat);
              resolveOffset(message.offset);
              last = message.offset;
              await heartbeat();
            }
          } finally {
            if (last !== undefined) {
              const offset = (BigInt(last) + 1n).toString();
              await consumer
                .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }])
                .catch((error: unknown) => {
                  // The group moved on (a member joined or left) while this batch ran: the partition's
                  // next owner reads these records again and finds them applied. Nothing to stop for.
                  if (!isRebalance(error)) throw error;
                  this.o.logger.info(
                    { topic: batch.topic, partition: batch.partition, offset, err: (error as Error).message },
                    'offset not committed: the group is rebalancing; the records will be found applied',
                  );
                });
            }
          }
        },
      });
      this.o.logger.info(
        { topic: this.o.topics.input, group: this.o.groupId, known: this.applied.size },
        `${this.o.name} sink running`,
      );
      this.o.onReady?.();
      await Promise.race([
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
        crash,
      ]);
      if (this.fatal) throw this.fatal;
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** Topics: the input must exist; the dead-letter and state topics are created when missing. */
  private async prepare(): Promise<void> {
    const admin = this.o.kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      if (!existing.has(this.o.topics.input)) {
        throw new ConfigError(
          `input topic ${this.o.topics.input} does not exist: create it, or set ${this.o.topicSetting.env} to the topic your producers write`,
          [this.o.topicSetting.key],
        );
      }
      // Created when missing; the state topic is checked like the capture's (compacted, one partition).
      const rf = this.o.replicationFactor;
      const topic = (name: string, policy: string) => ({
        topic: name,
        numPartitions: 1,
        replicationFactor: rf,
        configEntries: [{ name: 'cleanup.policy', value: policy }],
      });
      await ensureTopics(
        admin,
        [topic(this.o.topics.dlq, 'delete'), topic(this.o.topics.state, 'compact')],
        this.o.topics.state,
      );
    } catch (error) {
      if (error instanceof CdcError) throw error;
      throw kafkaError(`preparing the ${this.o.name} sink topics`, error);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await retryingKafka(() =>
      readToEnd(this.o.kafka, [this.o.topics.state], `${this.o.groupId}-restore`, (_topic, messages) => {
        for (const m of messages) {
          const key = m.key?.toString();
          if (!key) continue;
          if (m.value === null) this.applied.delete(key);
          else this.applied.set(key, JSON.parse(m.value.toString()) as Position);
        }
      }),
    );
  }

  /** One record, until it is applied, rejected or skipped; retriable failures are retried with backoff. */
  private async handle(
    at: Position,
    message: KafkaMessage,
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
          return this.handleOnce(at, message, decoded, attempt);
        },
        {
          policy,
          signal,
          onRetry: ({ error, delayMs }) =>
            this.o.logger.warn(
              { err: error, topic: at.topic, partition: at.partition, offset: at.offset, retryInMs: delayMs },
              'record not applied yet; retrying',
            ),
        },
      );
      this.o.onRecord?.(result);
    } catch (error) {
      if (error instanceof RejectedRecord && this.o.tolerance === 'all') {
        await this.deadLetter(at, message, error, decoded);
        this.o.onRecord?.('dead_letter');
        return;
      }
      this.fatal = error;
      throw error;
    }
  }

  private async handleOnce(
    at: Position,
    message: KafkaMessage,
    decoded: Decoded,
    attempt: number,
  ): Promise<Result | RunnerResult> {
    if (message.value === null) return 'skipped_tombstone';
    if (!('value' in decoded)) decoded.value = await decodeValue(message.value, this.o.input);
    const parsed = this.o.handler.parse(decoded.value);
    if ('skip' in parsed) return parsed.skip;
    const key = this.o.handler.key(parsed.item);
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
      await this.producer!.send({
        topic: this.o.topics.state,
        acks: -1,
        messages: [{ key, value: JSON.stringify(at) }],
      });
      this.applied.set(key, at);
    }
    return result;
  }

  /** The record goes to the dead-letter topic as decoded (or as base64 when it could not be decoded). */
  private async deadLetter(
    at: Position,
    message: KafkaMessage,
    error: RejectedRecord,
    decoded: Decoded,
  ): Promise<void> {
    const body = {
      topic: at.topic,
      partition: at.partition,
      offset: at.offset,
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
        : { value_base64: message.value ? message.value.toString('base64') : null }),
    };
    await this.producer!.send({
      topic: this.o.topics.dlq,
      acks: -1,
      messages: [{ key: message.key, value: JSON.stringify(body) }],
    });
    this.o.logger.warn(
      { topic: at.topic, partition: at.partition, offset: at.offset, code: error.code, error: error.message },
      'record rejected: sent to the dead-letter topic',
    );
  }
}
