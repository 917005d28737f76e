/** The Publisher (src/kafka/types.ts) on kafkajs, with the lz4 and zstd codecs registered for the process. */
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { CompressionCodecs, CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { compressFrame as lz4Compress, decompressFrame as lz4Decompress } from 'lz4-napi';
import { CdcError } from '../errors';
import { kafkaError } from './errors';
import { chunks, MAX_REQUEST_BYTES } from './chunks';
import { keyPartitioner } from './partitioner';
import type { Compression, ConsumedOffsets, Publisher, PublisherOptions, TopicBatch } from './types';

const COMPRESSION_TYPES: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/**
 * kafkajs ships gzip only; lz4 and zstd are codecs registered in its process-wide table, here from
 * packages whose native binaries come from the npm registry (no build step): LZ4 frame format and
 * zstd, as the Kafka protocol defines them. Registered when this module loads, so every kafkajs
 * consumer of the process (state restore, tail, the sink) also decodes batches compressed so.
 */
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => lz4Compress(encoder.buffer),
  decompress: async (buffer: Buffer) => lz4Decompress(buffer),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstdCompress(encoder.buffer, 3),
  decompress: async (buffer: Buffer) => zstdDecompress(buffer),
});

/**
 * The Publisher (src/kafka/types.ts) on kafkajs: change events and the state records that cover them
 * in ONE Kafka transaction. `transactionalId` is `<connector>-<workspace>`: connecting fences any older
 * instance for the same workspace (and aborts its open transaction).
 */
export class TransactionalPublisher implements Publisher {
  private readonly producer: Producer;

  private readonly maxRequestBytes: number;
  private readonly onResult: (result: 'committed' | 'aborted') => void;
  private readonly compression: CompressionTypes;

  constructor(kafka: Kafka, transactionalId: string, options: PublisherOptions = {}) {
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.onResult = options.onResult ?? (() => undefined);
    this.compression = COMPRESSION_TYPES[options.compression ?? 'none'];
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      // The default partitioner's choice, computed without kafkajs' 64-bit Long arithmetic.
      createPartitioner: keyPartitioner,
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

  /**
   * Commits every batch, and `offsets` when given, in one transaction, or aborts and throws (a typed
   * error: fenced, config or system).
   */
  async commit(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void> {
    const topicMessages = batches.filter((b) => b.messages.length > 0);
    const consumed = offsets && offsets.offsets.length > 0 ? offsets : undefined;
    if (topicMessages.length === 0 && !consumed) return;
    const tx = await this.producer.transaction().catch((error: unknown) => {
      // The abort of an earlier transaction failed (the broker went away while it aborted): the
      // producer is stuck in ABORTING until it is rebuilt, which is what a Kafka outage leads to.
      if (/Transaction state exception/i.test((error as Error)?.message ?? ''))
        throw new CdcError(`beginning a transaction: Kafka unavailable (${(error as Error).message})`, {
          code: 'kafka_unavailable',
          kind: 'transient',
          cause: error,
        });
      throw kafkaError('beginning a transaction', error);
    });
    try {
      // Offsets first: a transaction that fails later (a batch refused) aborts them with the events.
      if (consumed)
        await tx.sendOffsets({ consumerGroupId: consumed.groupId, topics: offsetTopics(consumed) });
      for (const chunk of chunks(topicMessages, this.maxRequestBytes))
        await tx.sendBatch({ topicMessages: chunk, compression: this.compression });
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

/** Offsets as kafkajs' sendOffsets takes them: per topic, each partition's next offset to read. */
function offsetTopics(
  consumed: ConsumedOffsets,
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of consumed.offsets) {
    const partitions = byTopic.get(topic) ?? [];
    partitions.push({ partition, offset });
    byTopic.set(topic, partitions);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
