import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CdcError, ConfigError } from '../../errors';
import { isRebalance, kafkaError } from '../../kafka/errors';
import { readToEnd, retryingKafka } from '../../kafka/read-to-end';
import { ensureTopics } from '../../kafka/topics';
import type { ContactApplier, Outcome } from './apply';
import { RejectedRecord, isChangeEvent, parseUpsert, type ContactUpsert, type ParseOptions } from './input';
import { sleep } from '../../sleep';

export interface SinkTopics {
  input: string;
  dlq: string;
  /** Compacted: per contact, the input position last applied (the replay guard). */
  state: string;
}

export interface ContactSinkOptions {
  kafka: Kafka;
  applier: ContactApplier;
  /** Decodes Avro in the registry wire format (format avro). */
  registry?: SchemaRegistry;
  format: 'avro' | 'json';
  topics: SinkTopics;
  groupId: string;
  parse: ParseOptions;
  concurrency: number;
  sessionTimeoutMs: number;
  /** all: a rejected record goes to the dead-letter topic; none: it stops the sink. */
  tolerance: 'all' | 'none';
  replicationFactor: number;
  logger: Logger;
  /** Told once the consumer runs (topics prepared, state restored, subscribed). */
  onReady?: () => void;
  /** Told the result of every input record. */
  onRecord?: (result: SinkResult) => void;
  /** Waits between two tries of a record that failed for a transient reason. */
  backoffMs?: { min: number; max: number };
}

/** What became of one input record. */
export type SinkResult = Outcome | 'dead_letter' | 'skipped_event' | 'skipped_tombstone' | 'already_applied';

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
 * `sink contacts`: applies a topic of contact upserts to Intercom. Per partition, in order: decode, check,
 * match, write what differs, remember the position applied for that contact (compacted state topic), and
 * commit the consumer offset only after Intercom accepted the write. A crash replays at most the records
 * after the last commit; each of them is either found applied in the state (skipped) or diffed against
 * Intercom (nothing sent when Intercom holds the values), so nothing is written twice.
 */
export class ContactSink {
  private readonly applied = new Map<string, Position>();
  private producer?: Producer;
  private fatal?: unknown;

  constructor(private readonly o: ContactSinkOptions) {}

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
        'contact sink running',
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
          `input topic ${this.o.topics.input} does not exist: create it, or set SINK_CONTACTS_TOPIC to the topic your producers write`,
          ['sink.contacts.topic'],
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
      throw kafkaError('preparing the sink topics', error);
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

  /** One record, until it is applied, rejected or skipped; transient failures are retried with backoff. */
  private async handle(
    at: Position,
    message: KafkaMessage,
    signal: AbortSignal,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const backoff = this.o.backoffMs ?? { min: 1_000, max: 60_000 };
    const decoded: Decoded = {};
    for (let wait = backoff.min; ; wait = Math.min(wait * 2, backoff.max)) {
      try {
        this.o.onRecord?.(await this.handleOnce(at, message, decoded));
        return;
      } catch (error) {
        if (error instanceof RejectedRecord) {
          if (this.o.tolerance === 'none') {
            this.fatal = error;
            throw error;
          }
          await this.deadLetter(at, message, error, decoded);
          this.o.onRecord?.('dead_letter');
          return;
        }
        const retriable = error instanceof CdcError ? error.retriable : false;
        if (!retriable || signal.aborted) {
          this.fatal = error;
          throw error;
        }
        this.o.logger.warn(
          { err: error, topic: at.topic, partition: at.partition, offset: at.offset, retryInMs: wait },
          'record not applied yet; retrying',
        );
        await sleep(wait, signal);
        await heartbeat();
      }
    }
  }

  private async handleOnce(at: Position, message: KafkaMessage, decoded: Decoded): Promise<SinkResult> {
    if (message.value === null) return 'skipped_tombstone';
    if (!('value' in decoded)) decoded.value = await this.decode(message.value);
    const value = decoded.value;
    if (isChangeEvent(value)) return 'skipped_event';
    const upsert = parseUpsert(value, this.o.parse);
    const key = stateKey(upsert);
    const done = this.applied.get(key);
    if (
      done &&
      done.topic === at.topic &&
      done.partition === at.partition &&
      BigInt(done.offset) >= BigInt(at.offset)
    )
      return 'already_applied';
    const result = await this.o.applier.apply(upsert);
    if (result.writes > 0) {
      await this.producer!.send({
        topic: this.o.topics.state,
        acks: -1,
        messages: [{ key, value: JSON.stringify(at) }],
      });
      this.applied.set(key, at);
    }
    return result.outcome;
  }

  private async decode(value: Buffer): Promise<unknown> {
    if (this.o.format === 'json') {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(value);
      } catch {
        throw new RejectedRecord('undecodable', 'the value is not UTF-8 text (SINK_CONTACTS_FORMAT=json)');
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new RejectedRecord(
          'undecodable',
          `the value is not JSON (${(error as Error).message}); is the topic Avro? Set SINK_CONTACTS_FORMAT=avro`,
        );
      }
    }
    if (value.length < 5 || value[0] !== 0)
      throw new RejectedRecord(
        'undecodable',
        'the value is not in the schema registry wire format (magic byte 0 + schema id); is the topic JSON? Set SINK_CONTACTS_FORMAT=json',
      );
    try {
      return await this.o.registry!.decode(value);
    } catch (error) {
      const text = (error as Error).message ?? String(error);
      // The registry being away is transient; a schema id it does not know, or bytes that do not fit the
      // schema, are the record's fault.
      if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|5\d\d/.test(text))
        throw new CdcError(`schema registry unavailable while decoding: ${text}`, {
          code: 'registry_unavailable',
          kind: 'transient',
        });
      throw new RejectedRecord('undecodable', `Avro decoding failed: ${text}`);
    }
  }

  /** The record goes to the dead-letter topic as decoded (or as base64 when it could not be decoded). */
  private async deadLetter(
    at: Position,
    message: KafkaMessage,
    error: RejectedRecord,
    decoded: Decoded,
  ): Promise<void> {
    const record = decoded.value;
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
        ? { record }
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

/** The contact a record is about, as the state knows it: its external_id, else its email. */
export function stateKey(upsert: ContactUpsert): string {
  return upsert.externalId !== undefined ? `x:${upsert.externalId}` : `e:${upsert.email!.toLowerCase()}`;
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind on the signal. */
