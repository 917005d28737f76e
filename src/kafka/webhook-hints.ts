/**
 * The connector's side of the webhooks topic (README, "Webhooks"): a consumer group that reads the
 * webhooks topic and hands each batch's objects of this workspace to the capture as hints. The consumed
 * offsets commit in the capture's transaction that holds the last events the batch caused (TxnOffsetCommit
 * through the capture's transactional producer, either Kafka client), never before it: a crash replays at
 * most the hints of transactions that did not commit, which costs reads and publishes nothing twice (the
 * capture diffs Intercom's answer against the state).
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConsumedOffsets } from '../capture/contracts';
import { mergeOffsets } from '../capture/batch';
import type { StreamName } from '../streams/names';
import { isRetriable } from '../retry';
import { SeenNotifications, hintKey, hintsOf } from '../webhooks/hints';
import { kafkaError } from './errors';
import { consumerLifetime } from './lifetime';

/** What takes the hints: the capture engine (CaptureEngine.hint, CaptureEngine.commitOffsets). */
export interface HintTarget {
  /**
   * Reads `ids` of `stream` and commits what they caused; `offsets`, when given, is called once the reads
   * are decided and before that commit, and what it resolves to commits in the same transaction.
   * Resolves to the events caused.
   */
  hint(
    stream: StreamName,
    ids: readonly string[],
    offsets?: () => Promise<ConsumedOffsets | undefined>,
  ): Promise<number>;
  /** Commits offsets whose records caused no event, in a transaction of their own. */
  commitOffsets(offsets: ConsumedOffsets): Promise<void>;
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
  /**
   * Offsets of records that caused no event (other workspaces', duplicates, ignored hints) wait for the
   * next transaction of hints; once none carried them for this long (ms), they commit in one of their own
   * (default 5 s).
   */
  idleCommitMs?: number;
  logger: Logger;
  /**
   * Told of each batch of hints of a stream once what it caused committed: the objects read, the events
   * they caused, and when the receiver filed the oldest of its notifications (epoch ms; undefined when no
   * record says).
   */
  onHints?: (stream: StreamName, objects: number, events: number, oldestFiledAtMs?: number) => void;
  /** Wall clock (ms). */
  clock?: () => number;
}

/** A failure of the capture's transaction (not of a read): the consumer fails, the offsets stay behind. */
function isKafkaFailure(error: unknown): boolean {
  return isRetriable(error) && error.code.startsWith('kafka');
}

/**
 * Consumes the webhooks topic until `signal` aborts, then resolves; rejects with the first failure of the
 * consumer (typed: a Kafka outage is retriable), of a transaction, or of the capture that is not
 * retriable (configuration, fencing, a bug). A read that fails retriably (Intercom unavailable) drops
 * that batch's hints of the stream. A new group starts at the end of the topic: what was filed before it
 * first ran is polling's to find.
 *
 * Per fetched batch (one partition), the hints of each stream are read at once; the last stream's
 * transaction carries the consumed offsets (of this batch and of earlier ones that caused nothing), once
 * every other stream's transaction committed. When the batch caused no read, or a hint was dropped or
 * ignored, its offsets wait for the next carrier, or commit alone once idle for `idleCommitMs`.
 */
export async function consumeHints(
  kafka: Kafka,
  s: HintSettings,
  target: HintTarget,
  signal: AbortSignal,
): Promise<void> {
  const clock = s.clock ?? Date.now;
  const idleCommitMs = s.idleCommitMs ?? 5000;
  const consumer = kafka.consumer({
    groupId: s.groupId,
    allowAutoTopicCreation: false,
    minBytes: 1024 * 1024,
    maxWaitTimeInMs: s.gatherMs,
  });
  const seen = new SeenNotifications();
  /** Offsets consumed and not yet committed (batches are handled one at a time). */
  let pending: ConsumedOffsets | undefined;
  let lastCommit = clock();
  /** A batch is being handled; the commit of idle offsets under way (a batch waits for it). */
  let busy = false;
  let idleCommit: Promise<void> = Promise.resolve();
  const { ended, fail } = consumerLifetime(signal);

  /** One stream's hints: true once committed, false when dropped (a read failed retriably). */
  const read = async (
    stream: StreamName,
    ids: string[],
    filedAtMs: number | undefined,
    offsets?: () => Promise<ConsumedOffsets | undefined>,
  ): Promise<boolean> => {
    try {
      const events = await target.hint(stream, ids, offsets);
      s.onHints?.(stream, ids.length, events, filedAtMs);
      return true;
    } catch (error) {
      if (!isRetriable(error) || isKafkaFailure(error)) throw error;
      // Intercom unavailable past the client's retries: these hints are dropped (the polls and
      // reconciliation find the changes later); what the other reads decided was committed.
      s.logger.warn(
        { stream, objects: ids.length, err: (error as Error).message },
        'webhook hints dropped: reading the objects failed; the polls will find the changes',
      );
      return false;
    }
  };

  // Offsets that no transaction of hints carried commit on their own once idle: never while a batch is
  // handled, so that the positions committed only move forward.
  const idleTimer = setInterval(
    () => {
      const offsets = pending;
      if (busy || offsets === undefined || clock() - lastCommit < idleCommitMs) return;
      pending = undefined;
      idleCommit = target.commitOffsets(offsets).then(
        () => {
          lastCommit = clock();
        },
        (error: unknown) => {
          pending = mergeOffsets(offsets, pending ?? offsets);
          fail(error);
        },
      );
    },
    Math.max(10, Math.floor(idleCommitMs / 4)),
  );
  idleTimer.unref();

  try {
    await consumer.connect();
    await consumer.subscribe({ topic: s.topic, fromBeginning: false });
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        busy = true;
        try {
          await idleCommit;
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          pending = mergeOffsets(pending, {
            groupId: s.groupId,
            offsets: [{ topic: batch.topic, partition: batch.partition, offset: next }],
          });
          const records = batch.messages.map((m) => ({
            key: m.key?.toString() ?? '',
            notificationId: m.headers?.['intercom-notification-id']?.toString() ?? '',
            filedAtMs: Number(m.headers?.['received-at-ms']?.toString() ?? NaN),
          }));
          const hints = [...hintsOf(records, s.workspaceId, seen)];
          const filedAt = (stream: StreamName, ids: readonly string[]) =>
            oldestFiling(records, s.workspaceId, stream, ids);
          let carried: ConsumedOffsets | undefined;
          if (hints.length > 0) {
            const [last, ...firstOnes] = hints.reverse() as [
              [StreamName, string[]],
              ...[StreamName, string[]][],
            ];
            const others = firstOnes.map(([stream, ids]) => read(stream, ids, filedAt(stream, ids)));
            const offsets = pending;
            const carrier = read(last[0], last[1], filedAt(last[0], last[1]), async () => {
              // Only once every other stream's events committed, and none was dropped half-way.
              const settled = await Promise.allSettled(others);
              if (!settled.every((r) => r.status === 'fulfilled' && r.value)) return undefined;
              carried = offsets;
              return offsets;
            });
            const results = await Promise.allSettled([...others, carrier]);
            const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            if (failed) throw failed.reason;
            if (carried && (results.at(-1) as PromiseFulfilledResult<boolean>).value) {
              pending = undefined;
              lastCommit = clock();
            }
          }
          // The consumer reads on from here; its group's position is what the transactions committed.
          resolveOffset(batch.lastOffset());
        } catch (error) {
          fail(error);
          throw error;
        } finally {
          busy = false;
        }
      },
    });
    await ended;
  } catch (error) {
    throw kafkaError('consuming webhook hints', error);
  } finally {
    clearInterval(idleTimer);
    await idleCommit;
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * When the receiver filed the oldest notification in `records` of `ids` of `stream` (epoch ms), if any
 * says (keys read by hintKey, as hintsOf reads them).
 */
function oldestFiling(
  records: readonly { key: string; filedAtMs: number }[],
  workspaceId: string,
  stream: StreamName,
  ids: readonly string[],
): number | undefined {
  const wanted = new Set(ids);
  let oldest: number | undefined;
  for (const { key, filedAtMs } of records) {
    if (!Number.isFinite(filedAtMs)) continue;
    const hint = hintKey(key, workspaceId);
    if (hint?.stream !== stream || !wanted.has(hint.id)) continue;
    if (oldest === undefined || filedAtMs < oldest) oldest = filedAtMs;
  }
  return oldest;
}
