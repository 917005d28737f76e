/**
 * The Kafka side of the webhook receiver: the webhooks topic (its name, `<prefix>._webhooks` or
 * WEBHOOKS_TOPIC, and its shape) and the producer that files verified notifications in it with acks=all (README, "Webhooks").
 * Not transactional: each notification is one record, acknowledged by every in-sync replica before the
 * receiver answers 200.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { NotificationRecord, NotificationWriter } from '../webhooks/receiver';
import { keyPartitioner } from './partitioner';
import { withAdmin } from './topics';

/**
 * The webhooks topic, a contract: `topic` when given (WEBHOOKS_TOPIC, shared by the workspaces of one
 * receiver), else `<prefix>._webhooks`.
 */
export function webhooksTopic(prefix: string, topic = ''): string {
  return topic || `${prefix}._webhooks`;
}

/**
 * Creates the webhooks topic when it is missing: `partitions` partitions (every notification of one
 * object in one of them, by key), cleanup.policy delete with a retention of 7 days (hints are worth
 * nothing after the next reconciliation; a week covers a long outage of the connector).
 */
export async function ensureWebhooksTopic(
  kafka: Kafka,
  topic: string,
  settings: { partitions: number; replicationFactor: number },
): Promise<void> {
  await withAdmin(kafka, 'preparing the webhooks topic', async (admin) => {
    if ((await admin.listTopics()).includes(topic)) return;
    const spec = {
      topic,
      numPartitions: settings.partitions,
      replicationFactor: settings.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(7 * 24 * 3600 * 1000) },
      ],
    };
    // Several replicas may start at once: the topic another one created first is as good.
    await admin.createTopics({ topics: [spec], waitForLeaders: true }).catch((error: Error) => {
      if (!/already exists/i.test(error.message)) throw error;
    });
  });
}

/**
 * Resolves when Kafka answers for the webhooks topic again: its metadata, with a leader for every
 * partition; rejects otherwise (the receiver is not ready meanwhile).
 */
export async function probeWebhooksTopic(kafka: Kafka, topic: string): Promise<void> {
  await withAdmin(kafka, 'probing the webhooks topic', async (admin) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length === 0 || partitions.some((p) => p.leader < 0))
      throw new Error(`the webhooks topic ${topic} has a partition without a leader`);
  });
}

/**
 * A NotificationWriter on a kafkajs producer with acks=all (a record is acknowledged only once every
 * in-sync replica has it), keys partitioned as every other topic of the connector (Kafka's default
 * partitioner). Not idempotent: a retry may write a record twice, which the topic allows anyway (it is
 * at least once, deduplicated by notification id downstream), and records of different requests need
 * no order among themselves. It connects on first use and again after a failure, so a receiver started
 * while Kafka is away answers 503 until Kafka is back; kafkajs' own retries are short, the receiver's
 * answer timeout bounds the wait anyway.
 */
export class KafkaNotificationWriter implements NotificationWriter {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({
      createPartitioner: keyPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** Connects the producer now (else the first write does); a failure is thrown, the next call tries again. */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async write(record: NotificationRecord): Promise<void> {
    await this.connect();
    await this.producer.send({ topic: this.topic, acks: -1, messages: [record] });
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
