import type { Kafka, Message, Producer } from 'kafkajs';
import { kafkaError } from './errors';

export interface TopicBatch {
  topic: string;
  messages: Message[];
}

/**
 * Writes change events and the state records that cover them in ONE Kafka transaction, so that a
 * read_committed consumer sees both or neither. `transactionalId` is `<connector>-<workspace>`:
 * connecting fences any older instance for the same workspace (and aborts its open transaction).
 */
export class TransactionalPublisher {
  private readonly producer: Producer;

  constructor(kafka: Kafka, transactionalId: string) {
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
    } catch (error) {
      throw kafkaError('connecting the transactional producer', error);
    }
  }

  /** Commits every batch in one transaction, or aborts and throws (a typed error: fenced, config or system). */
  async commit(batches: TopicBatch[]): Promise<void> {
    const topicMessages = batches.filter((b) => b.messages.length > 0);
    if (topicMessages.length === 0) return;
    const tx = await this.producer.transaction().catch((error: unknown) => {
      throw kafkaError('beginning a transaction', error);
    });
    try {
      await tx.sendBatch({ topicMessages });
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw kafkaError('publishing a transaction', error);
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
