import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { CompressionCodecs, CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { compressFrame as lz4Compress, decompressFrame as lz4Decompress } from 'lz4-napi';
import { CdcError } from '../errors';
import { kafkaError } from './errors';
import { keyPartitioner } from './partitioner';

/** The record-batch compressions the publisher offers (config `kafka.compression`). */
export const COMPRESSIONS = ['none', 'gzip', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

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
  /** Compression of every record batch (events and state alike). Default none. */
  compression?: Compression;
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
  private readonly compression: CompressionTypes;

  constructor(kafka: Kafka, transactionalId: string, options: PublisherOptions = {}) {
    this.maxRequestBytes = options.maxRequestBytes ?? 768 * 1024;
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
          kind: 'transient',
          cause: error,
        });
      throw kafkaError('beginning a transaction', error);
    });
    try {
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
