/**
 * The Kafka side of a sink (src/sink/runner.ts), on kafkajs: the sink's topics, its replay-guard state,
 * a consumer group that hands records over in order per partition and commits an offset only after its
 * record was handled, and an idempotent producer for the state and dead-letter records. The runner
 * knows this through the SinkKafka interface only, so no Kafka client type reaches src/sink.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError } from '../errors';
import { isRebalance } from './errors';
import { readToEnd, retryingKafka } from './read-to-end';
import { ensureTopics, logTopic, withAdmin, type SinkTopics } from './topics';

/** One input record: where it sits (partitions keep order) and its bytes. */
export interface InputRecord {
  topic: string;
  partition: number;
  /** The offset, a decimal string (Kafka's offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  /** null: a tombstone. */
  value: Buffer | null;
}

/** How a sink's topics are prepared. */
export interface SinkTopicSettings {
  topics: SinkTopics;
  /** The configuration key and environment variable of the input topic, named when it is missing. */
  topicSetting: { key: string; env: string };
  replicationFactor: number;
  /** The sink's name in messages (`contact`: "preparing the contact sink topics"). */
  name: string;
  /** The sink's consumer group: the state is read by a group of its own, `<groupId>-restore-<uuid>`. */
  groupId: string;
}

/** How a sink consumes its input. */
export interface SinkGroupSettings {
  topic: string;
  groupId: string;
  /** Partitions processed at once (records of one partition stay in order). */
  concurrency: number;
  sessionTimeoutMs: number;
}

/** Handles one record; `heartbeat` tells the group the member is alive while a record takes long. */
export type RecordHandler = (record: InputRecord, heartbeat: () => Promise<void>) => Promise<void>;

/** What a sink runner needs of Kafka. */
export interface SinkKafka {
  /**
   * The input topic must exist (else a ConfigError naming `topicSetting`); the dead-letter topic and the
   * compacted one-partition state topic are created when missing (an unusable state topic is a config
   * error). Then the state topic is read to its end: `onState` hears each keyed record's key and value
   * (null: a tombstone), in order. Other failures are typed Kafka errors (src/kafka/errors.ts).
   */
  prepare(settings: SinkTopicSettings, onState: (key: string, value: string | null) => void): Promise<void>;
  /**
   * Consumes the input topic from the group's committed offsets (from the beginning for a new group),
   * read_committed, until `signal` aborts (resolves) or `handle` throws (rejects with that error; the
   * group does not restart). Per partition in order, each record is handed to `handle`; after a batch,
   * the offset after its last handled record is committed. A commit the group refuses because it is
   * rebalancing is logged and dropped: the next owner reads those records again. kafkajs restarts the
   * consumer after its own retriable failures. `onRunning` is called once the consumer runs.
   */
  consume(
    group: SinkGroupSettings,
    handle: RecordHandler,
    signal: AbortSignal,
    onRunning: () => void,
  ): Promise<void>;
  /** Writes one record, acknowledged by all in-sync replicas. Only while `consume` runs. */
  send(topic: string, key: Buffer | string | null, value: string): Promise<void>;
}

/** The SinkKafka on a kafkajs client; `logger` hears of commits dropped in a rebalance. */
export function createSinkKafka(kafka: Kafka, logger: Logger): SinkKafka {
  return new KafkajsSink(kafka, logger);
}

class KafkajsSink implements SinkKafka {
  private producer?: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
  ) {}

  async prepare(s: SinkTopicSettings, onState: (key: string, value: string | null) => void): Promise<void> {
    await withAdmin(this.kafka, `preparing the ${s.name} sink topics`, async (admin) => {
      const existing = new Set(await admin.listTopics());
      if (!existing.has(s.topics.input)) {
        throw new ConfigError(
          `input topic ${s.topics.input} does not exist: create it, or set ${s.topicSetting.env} to the topic your producers write`,
          [s.topicSetting.key],
        );
      }
      // Created when missing; the state topic is checked like the capture's (compacted, one partition).
      const rf = s.replicationFactor;
      const specs = [logTopic(s.topics.dlq, 'delete', rf), logTopic(s.topics.state, 'compact', rf)];
      await ensureTopics(admin, specs, s.topics.state);
    });
    await retryingKafka(() =>
      readToEnd(this.kafka, [s.topics.state], `${s.groupId}-restore`, (_topic, messages) => {
        for (const m of messages) {
          const key = m.key?.toString();
          if (key) onState(key, m.value === null ? null : m.value.toString());
        }
      }),
    );
  }

  async consume(
    group: SinkGroupSettings,
    handle: RecordHandler,
    signal: AbortSignal,
    onRunning: () => void,
  ): Promise<void> {
    /** What `handle` threw: it ends the consumer, kafkajs does not restart it. */
    let fatal: { error: unknown } | undefined;
    const consumer = this.kafka.consumer({
      groupId: group.groupId,
      readUncommitted: false,
      sessionTimeout: group.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(group.sessionTimeoutMs / 10)),
      // kafkajs' restarts are for its own retriable failures.
      retry: { restartOnFailure: () => Promise.resolve(fatal === undefined) },
    });
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = producer;
    let crashed: (error: unknown) => void = () => undefined;
    const crash = new Promise<void>((_, reject) => (crashed = reject));
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: group.topic, fromBeginning: true });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (fatal !== undefined || !payload.restart) crashed(fatal ? fatal.error : payload.error);
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: group.concurrency,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          let last: string | undefined;
          try {
            for (const message of batch.messages) {
              if (!isRunning() || isStale() || signal.aborted) break;
              const record = {
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
              };
              await handle(record, heartbeat).catch((error: unknown) => {
                fatal = { error };
                throw error;
              });
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
                  this.logger.info(
                    { topic: batch.topic, partition: batch.partition, offset, err: (error as Error).message },
                    'offset not committed: the group is rebalancing; the records will be found applied',
                  );
                });
            }
          }
        },
      });
      onRunning();
      await Promise.race([
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
        crash,
      ]);
      if (fatal) throw fatal.error;
    } finally {
      this.producer = undefined;
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  }

  async send(topic: string, key: Buffer | string | null, value: string): Promise<void> {
    if (!this.producer) throw new Error('SinkKafka.send: the sink is not consuming');
    await this.producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }
}
