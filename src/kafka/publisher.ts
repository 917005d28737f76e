import type { Kafka, Message, Producer } from 'kafkajs';
import { CdcError } from '../errors';
import { kafkaError } from './errors';

export interface TopicBatch {
  topic: string;
  messages: Message[];
}

export interface PublisherOptions {
  /**
   * Bytes per produce request. kafkajs puts all messages of one partition in one record batch per
   * request, and a broker refuses a batch over its max.message.bytes (1 MiB by default): a large
   * transaction is sent in several requests. Default 768 KiB.
   */
  maxRequestBytes?: number;
  /** Told how each transaction ended (metrics). */
  onResult?: (result: 'committed' | 'aborted') => void;
}

/**
 * Writes change events and the state records that cover them in ONE Kafka transaction, so that a
 * read_committed consumer sees both or neither. `transactionalId` is `<connector>-<workspace>`:
 * connecting fences any older instance for the same workspace (and aborts its open transaction).
 */
export class TransactionalPublisher {
  private readonly producer: Producer;

  private readonly maxRequestBytes: number;
  private readonly onResult: (result: 'committed' | 'aborted') => void;

  constructor(kafka: Kafka, transactionalId: string, options: PublisherOptions = {}) {
    this.maxRequestBytes = options.maxRequestBytes ?? 768 * 1024;
    this.onResult = options.onResult ?? (() => undefined);
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
    });
  }

  /**
   * Connects and registers the transactional id with the coordinator now (kafkajs would do it lazily at
   * the first transaction): that fences any older instance and aborts its open transaction before the
   * state is restored.
   */
  async connect(): Promise<void> {
    try {
      await this.producer.connect();
      const tx = await this.producer.transaction();
      await tx.abort();
    } catch (error) {
      throw kafkaError('connecting the transactional producer', error);
    }
  }

  /** Commits every batch in one transaction, or aborts and throws (a typed error: fenced, config or system). */
  async commit(batches: TopicBatch[]): Promise<void> {
    const topicMessages = batches.filter((b) => b.messages.length > 0);
    if (topicMessages.length === 0) return;
    const tx = await this.producer.transaction().catch((error: unknown) => {
      // The abort of an earlier transaction failed (the broker went away while it aborted): the
      // producer is stuck in ABORTING until it is rebuilt, which is what a Kafka outage leads to.
      if (/Transaction state exception/i.test((error as Error)?.message ?? ''))
        throw new CdcError(`beginning a transaction: Kafka unavailable (${(error as Error).message})`, {
          code: 'kafka_unavailable',
          kind: 'system',
          cause: error,
        });
      throw kafkaError('beginning a transaction', error);
    });
    try {
      for (const chunk of chunks(topicMessages, this.maxRequestBytes))
        await tx.sendBatch({ topicMessages: chunk });
      await tx.commit();
      this.onResult('committed');
    } catch (error) {
      await tx.abort().catch(() => undefined);
      this.onResult('aborted');
      throw kafkaError('publishing a transaction', error);
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

function size(m: Message): number {
  const len = (v: unknown) =>
    v === null || v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v));
  return len(m.key) + len(m.value) + 64;
}

/** Splits topic batches into requests of at most `limit` bytes (a lone larger message goes alone). */
export function chunks(batches: TopicBatch[], limit: number): TopicBatch[][] {
  const out: TopicBatch[][] = [];
  let current: TopicBatch[] = [];
  let bytes = 0;
  for (const batch of batches) {
    let part: TopicBatch = { topic: batch.topic, messages: [] };
    current.push(part);
    for (const m of batch.messages) {
      const n = size(m);
      if (bytes + n > limit && bytes > 0) {
        out.push(current);
        part = { topic: batch.topic, messages: [] };
        current = [part];
        bytes = 0;
      }
      part.messages.push(m);
      bytes += n;
    }
  }
  const last = current.filter((b) => b.messages.length > 0);
  if (last.length) out.push(last);
  return out.map((c) => c.filter((b) => b.messages.length > 0));
}
