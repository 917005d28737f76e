/**
 * The sinks' generic runner: applies an input topic to an API through a handler (src/sink/handler.ts),
 * knowing offsets and nothing of the API, and Kafka only through SinkKafka (src/kafka/sink-kafka.ts).
 */
import type { Logger } from 'pino';
import type { InputRecord, SinkKafka } from '../kafka/sink-kafka';
import type { SinkTopics } from '../kafka/topics';
import { deadLetterCopy } from '../normalize/bounded-json';
import { isRetriable, retry, type RetryPolicy } from '../retry';
import { checkDepth, decodeValue, type InputFormat } from './decode';
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
  /**
   * How long one record is retried, from its first try (default {@link DEFAULT_MAX_RETRY_MS}); then it
   * is given up as `retries_exhausted`: to the dead-letter topic, or a stop under tolerance none.
   */
  maxRetryMs?: number;
  /** The setting of `maxRetryMs`, named when a record is given up (`SINK_CONTACTS_MAX_RETRY_MS`). */
  maxRetrySetting?: string;
}

/** Default of {@link SinkRunnerOptions.maxRetryMs}: 15 minutes. */
export const DEFAULT_MAX_RETRY_MS = 15 * 60_000;

/** Characters of an error message a dead letter carries. */
const DLQ_MAX_ERROR_CHARS = 2_000;
/** Bytes of an undecodable value a dead letter carries (as base64: 4/3 of it). */
const DLQ_MAX_VALUE_BYTES = 384 * 1024;
/** Bytes of an input key a dead letter keeps as its own key; a longer key is dropped (and said so). */
const DLQ_MAX_KEY_BYTES = 16 * 1024;

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
   * One record, until it is applied, rejected or skipped; retriable failures are retried with backoff
   * for at most `maxRetryMs`, then the record is given up as a RejectedRecord `retries_exhausted`.
   * Throws (a fatal error: the sink stops) what is neither retriable nor a rejection the tolerance lets
   * go to the dead-letter topic.
   */
  private async handle(
    record: InputRecord,
    signal: AbortSignal,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const backoff = this.o.backoffMs ?? { min: 1_000, max: 60_000 };
    const maxRetryMs = this.o.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
    const policy: RetryPolicy = { minMs: backoff.min, maxMs: backoff.max, deadlineMs: maxRetryMs };
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
      ).catch((error: unknown) => {
        throw signal.aborted ? error : this.givenUp(record, error, maxRetryMs);
      });
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

  /** A retriable failure that outlived `maxRetryMs` becomes a `retries_exhausted` rejection; others pass. */
  private givenUp(record: InputRecord, error: unknown, maxRetryMs: number): unknown {
    if (!isRetriable(error)) return error;
    const setting = this.o.maxRetrySetting ?? 'maxRetryMs';
    return new RejectedRecord(
      'retries_exhausted',
      `${record.topic}/${record.partition}@${record.offset}: still failing after ${maxRetryMs} ms of retries (${setting}); last error (${error.code}): ${error.message}`,
    );
  }

  private async handleOnce(
    record: InputRecord,
    decoded: Decoded,
    attempt: number,
  ): Promise<Result | RunnerResult> {
    if (record.value === null) return 'skipped_tombstone';
    if (!('value' in decoded)) {
      decoded.value = await decodeValue(record.value, this.o.input);
      checkDepth(decoded.value); // kept as decoded: the dead letter carries it
    }
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

  /**
   * The record goes to the dead-letter topic as decoded (or as base64 when it could not be decoded), in
   * a record that fits in a Kafka message: the copy is cut past 512 KiB of JSON (`record_truncated`,
   * `record_bytes`), an undecodable value past 384 KiB (`value_truncated`, `value_bytes`), the error
   * message past 2,000 characters, and a key over 16 KiB is not kept (`key_dropped`, `key_bytes`).
   */
  private async deadLetter(record: InputRecord, error: RejectedRecord, decoded: Decoded): Promise<void> {
    const { topic, partition, offset } = record;
    const keyBytes = record.key?.length ?? 0;
    const dropKey = keyBytes > DLQ_MAX_KEY_BYTES;
    const value = record.value;
    const head = {
      topic,
      partition,
      offset,
      code: error.code,
      error: cut(error.message, DLQ_MAX_ERROR_CHARS),
      ...(error.intercom
        ? {
            intercom: {
              status: error.intercom.status,
              code: error.intercom.code && cut(error.intercom.code, 200),
              request_id: error.intercom.requestId && cut(error.intercom.requestId, 200),
            },
          }
        : {}),
      ts_ms: Date.now(),
      ...(dropKey ? { key_dropped: true, key_bytes: keyBytes } : {}),
    };
    let tail: string;
    if ('value' in decoded) {
      const copy = deadLetterCopy(decoded.value);
      const flags =
        copy.cutFrom === undefined ? '' : `,"record_truncated":true,"record_bytes":${copy.cutFrom}`;
      tail = `${flags},"record":${copy.json}`;
    } else if (value && value.length > DLQ_MAX_VALUE_BYTES) {
      const start = value.subarray(0, DLQ_MAX_VALUE_BYTES).toString('base64');
      tail = `,"value_truncated":true,"value_bytes":${value.length},"value_base64":"${start}"`;
    } else tail = `,"value_base64":${value ? `"${value.toString('base64')}"` : 'null'}`;
    // The copy is spliced in as JSON text (JSON.stringify could not write a very deep value).
    const body = `${JSON.stringify(head).slice(0, -1)}${tail}}`;
    await this.o.kafka.send(this.o.topics.dlq, dropKey ? null : record.key, body);
    this.o.logger.warn(
      { topic, partition, offset, code: error.code, error: cut(error.message, DLQ_MAX_ERROR_CHARS) },
      'record rejected: sent to the dead-letter topic',
    );
  }
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}
