/**
 * The Kafka side of signals (README, "Signals"): the running connector's consumer of
 * `<prefix>._signals`, which hands each record to the capture's signals (src/capture/signals.ts), and the
 * producer the `signal` command writes one with. An offset is committed only after the capture committed
 * what the record caused (the signal accepted in the state, or its refusal notified), so a crash in
 * between reads it again, and the state's record of its id makes that replay a no-op.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Reception } from '../capture/signals';
import { kafkaError } from './errors';
import { consumerLifetime } from './lifetime';
import { keyPartitioner } from './partitioner';

/** What takes the records: the capture's signals (Signals.receive). */
export interface SignalReceiver {
  receive(value: Buffer | null, key: Buffer | null, offset: string): Promise<Reception>;
}

export interface SignalConsumerSettings {
  topic: string;
  groupId: string;
  logger: Logger;
  /** Told of each record taken, with how. */
  onSignal?: (reception: Reception) => void;
}

/**
 * Consumes the signal topic until `abort`, then resolves; rejects with the first failure of the consumer
 * (typed: a Kafka outage is retriable) or of the receiver. A new group starts at the beginning of the
 * topic: a signal written before the connector first ran (or while it was down) is executed; one the
 * state already knows is ignored.
 */
export async function consumeSignals(
  kafka: Kafka,
  s: SignalConsumerSettings,
  receiver: SignalReceiver,
  abort: AbortSignal,
): Promise<void> {
  const consumer = kafka.consumer({
    groupId: s.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
  });
  const { ended, fail } = consumerLifetime(abort);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: s.topic, fromBeginning: true });
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, isRunning, isStale, resolveOffset, heartbeat }) => {
        try {
          for (const m of batch.messages) {
            if (!isRunning() || isStale() || abort.aborted) return;
            const reception = await receiver.receive(m.value, m.key, m.offset);
            s.onSignal?.(reception);
            const next = (BigInt(m.offset) + 1n).toString();
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
            resolveOffset(m.offset);
            await heartbeat();
          }
        } catch (error) {
          fail(error);
          throw error;
        }
      },
    });
    await ended;
  } catch (error) {
    throw kafkaError('consuming signals', error);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Writes one signal record (acks from all in-sync replicas); rejects typed when Kafka refuses. */
export async function writeSignal(kafka: Kafka, topic: string, key: string, value: string): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    createPartitioner: keyPartitioner,
  });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  } catch (error) {
    throw kafkaError(`writing a signal to ${topic}`, error);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
