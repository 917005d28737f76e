import zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { COMPRESSIONS, type Compression } from '../../../src/kafka/types';
import { KAFKA_CLIENTS, testPublisher } from '../../helpers/clients';
import { waitFor } from '../../stack/cli';
import { createCompactedTopic, testKafka, uniqueName } from '../../stack/env';

/**
 * Every compression the publishers offer (KAFKA_COMPRESSION), on each client (KAFKA_CLIENT), is accepted
 * by the broker (which decompresses a batch to validate it) and read back by a read_committed consumer
 * (kafkajs, as state restore and tail read), and the batches on the broker really carry that codec: the
 * consumer had to decompress them with it. zstd on @platformatic/kafka needs node:zlib's zstd (Node
 * 22.15+): on an older Node the configuration is refused at start instead.
 */
const TYPES: Partial<Record<Compression, CompressionTypes>> = {
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Batches each codec decompressed in this process, counted by wrapping kafkajs' codec table. */
const decompressed = new Map<CompressionTypes, number>();
const codecs = CompressionCodecs as Record<
  number,
  () => {
    compress: (encoder: { buffer: Buffer }) => Promise<Buffer>;
    decompress: (b: Buffer) => Promise<Buffer>;
  }
>;
for (const type of Object.values(TYPES)) {
  const factory = codecs[type];
  codecs[type] = () => {
    const codec = factory();
    return {
      compress: codec.compress,
      decompress: async (buffer: Buffer) => {
        decompressed.set(type, (decompressed.get(type) ?? 0) + 1);
        return codec.decompress(buffer);
      },
    };
  };
}

/** An Avro-like binary value of about 1 KB that compresses (repeated field names, small numbers). */
function value(i: number): Buffer {
  return Buffer.from(`${i}`.padStart(8, '0').repeat(128) + `\u0001\u0002${i}`, 'latin1');
}

const zlibZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

describe.each(KAFKA_CLIENTS)('KAFKA_COMPRESSION (KAFKA_CLIENT=%s)', (client) => {
  it.each(COMPRESSIONS.map((c) => [c]))(
    '%s: a transaction is published, and read back read_committed with the same keys and values (or refused at start where this Node lacks the codec)',
    async (compression) => {
      const kafka = testKafka('compression-test');
      const topic = await createCompactedTopic(kafka, `compression-${compression}`);
      const open = () => testPublisher(client, uniqueName(`compression-${compression}`), { compression });
      if (client === 'platformatic' && compression === 'zstd' && !zlibZstd) {
        expect(open).toThrow(
          /kafka\.compression: zstd with KAFKA_CLIENT=platformatic needs zstd in node:zlib/,
        );
        return;
      }
      const publisher = open();
      await publisher.connect();
      const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: value(i) }));
      try {
        await publisher.commit([{ topic, messages }]);
      } finally {
        await publisher.disconnect();
      }
      const before = new Map(decompressed);

      // The commit has returned, but the broker writes the transaction's markers just after: until then
      // the partition's last stable offset (the end a read_committed read goes to) is still 0.
      let read: { key: string; value: Buffer }[] = [];
      await waitFor(
        async () => {
          read = [];
          await readToEnd(kafka, [topic], 'compression-test', (_, batch) => {
            for (const m of batch) read.push({ key: m.key!.toString(), value: m.value! });
          });
          return read.length >= messages.length;
        },
        5_000,
        100,
      );

      expect(read.map((m) => m.key)).toEqual(messages.map((m) => m.key));
      expect(read.every((m, i) => m.value.equals(messages[i].value))).toBe(true);
      // The chosen codec decoded batches of this topic. (Other codecs are not checked: a consumer of an
      // earlier case may still decode a fetch that was in flight when it disconnected.)
      const type = TYPES[compression];
      const used = (t: CompressionTypes) => (decompressed.get(t) ?? 0) - (before.get(t) ?? 0);
      if (type !== undefined) expect(used(type)).toBeGreaterThan(0);
      else expect(Object.values(TYPES).map(used)).toEqual([0, 0, 0]);
    },
  );
});
