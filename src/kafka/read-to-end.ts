import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { retry } from '../retry';
import { kafkaError } from './errors';

/**
 * Reads the committed records (read_committed) of some topics from the beginning up to the end offsets
 * they have when the call starts, then returns. The end is detected from kafkajs' END_BATCH_PROCESS
 * event, which also fires for fetches that held only aborted records or transaction markers; those never
 * reach `eachBatch`, so a log that ends with an aborted transaction (an instance killed mid-transaction)
 * would otherwise never be seen to end. An error thrown by `onBatch` ends the read with that error.
 */
export async function readToEnd(
  kafka: Kafka,
  topics: string[],
  groupPrefix: string,
  onBatch: (topic: string, messages: KafkaMessage[], partition: number) => void | Promise<void>,
): Promise<void> {
  const ends = new Map<string, bigint>();
  const admin = kafka.admin();
  try {
    await admin.connect();
    for (const topic of topics) {
      for (const p of await retryingKafka(() => admin.fetchTopicOffsets(topic))) {
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (ends.size === 0) return;

  const consumer = kafka.consumer({
    groupId: `${groupPrefix}-${randomUUID()}`,
    readUncommitted: false,
    // Large enough for fast reads, small enough that fetch buffers do not dominate the process's memory.
    maxBytes: 16 * 1024 * 1024,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  try {
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const key = `${payload.topic}:${payload.partition}`;
        const end = ends.get(key);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) ends.delete(key);
        if (ends.size === 0) resolve();
      });
      consumer
        .run({
          autoCommit: false,
          // A failing callback ends the read with its error (kafkajs would retry the batch forever).
          eachBatch: async ({ batch }) => {
            try {
              await onBatch(batch.topic, batch.messages, batch.partition);
            } catch (error) {
              reject(error as Error);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Retries a Kafka call that failed for a reason kafkajs calls retriable (a leader not yet known right
 * after a topic was created, say) or because Kafka was away: at most `attempts` tries in all, with
 * backoff. Anything else is thrown at once. kafkajs' failures come out typed (kafkaError).
 */
export function retryingKafka<T>(call: () => Promise<T>, attempts = 8): Promise<T> {
  return retry(
    () =>
      call().catch((error: unknown) => {
        // kafkajs' errors carry `retriable`; anything else (a bug in a callback) stays as it is.
        throw typeof (error as { retriable?: unknown })?.retriable === 'boolean'
          ? kafkaError('Kafka call', error)
          : error;
      }),
    { policy: { minMs: 200, maxMs: 2_000, retries: attempts - 1 } },
  );
}
