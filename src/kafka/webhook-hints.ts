/**
 * The connector's side of the webhooks topic (README, "Webhooks"): a consumer group that reads
 * `<prefix>._webhooks` and hands each batch's objects of this workspace to the capture as hints. Offsets
 * are committed only after the capture committed what the hints caused, so a crash in between replays
 * the hints, which costs reads and publishes nothing twice (the capture diffs Intercom's answer against
 * the state).
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { StreamName } from '../streams/names';
import { isRetriable } from '../retry';
import { SeenNotifications, hintsOf } from '../webhooks/hints';
import { kafkaError } from './errors';

/** What takes the hints: the capture engine (CaptureEngine.hint). */
export interface HintTarget {
  hint(stream: StreamName, ids: readonly string[]): Promise<number>;
}

export interface HintSettings {
  topic: string;
  groupId: string;
  workspaceId: string;
  /**
   * How long the broker gathers notifications before it answers a fetch, in ms: a burst about one
   * object within it costs one read.
   */
  gatherMs: number;
  logger: Logger;
  /** Told of each batch of hints of a stream: the objects read and the events they caused. */
  onHints?: (stream: StreamName, objects: number, events: number) => void;
}

/**
 * Consumes the webhooks topic until `signal` aborts, then resolves; rejects with the first failure of
 * the consumer (typed: a Kafka outage is retriable) or the first failure of the capture that is not
 * retriable (configuration, fencing, a bug); a retriable one drops that batch's hints of the stream. A new group starts at the end of
 * the topic: what was filed before it first ran is polling's to find.
 */
export async function consumeHints(
  kafka: Kafka,
  s: HintSettings,
  target: HintTarget,
  signal: AbortSignal,
): Promise<void> {
  const consumer = kafka.consumer({
    groupId: s.groupId,
    allowAutoTopicCreation: false,
    minBytes: 1024 * 1024,
    maxWaitTimeInMs: s.gatherMs,
  });
  const seen = new SeenNotifications();
  let fail: (error: unknown) => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    fail = reject;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: s.topic, fromBeginning: false });
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        try {
          const records = batch.messages.map((m) => ({
            key: m.key?.toString() ?? '',
            notificationId: m.headers?.['intercom-notification-id']?.toString() ?? '',
          }));
          const hints = hintsOf(records, s.workspaceId, seen);
          await Promise.all(
            [...hints].map(async ([stream, ids]) => {
              try {
                const events = await target.hint(stream, ids);
                s.onHints?.(stream, ids.length, events);
              } catch (error) {
                // Intercom unavailable past the client's retries: these hints are dropped (the polls and
                // reconciliation find the changes later). A Kafka outage fails the offsets' commit below.
                if (!isRetriable(error)) throw error;
                s.logger.warn(
                  { stream, objects: ids.length, err: (error as Error).message },
                  'webhook hints dropped: reading the objects failed; the polls will find the changes',
                );
              }
            }),
          );
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        } catch (error) {
          fail(error);
          throw error;
        }
      },
    });
    await ended;
  } catch (error) {
    throw kafkaError('consuming webhook hints', error);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
