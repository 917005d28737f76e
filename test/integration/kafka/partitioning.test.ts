import { randomBytes } from 'node:crypto';
import { keyPartitioner } from '../../../src/kafka/partitioner';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { KAFKA_CLIENTS, testPublisher } from '../../helpers/clients';
import { testKafka, uniqueName } from '../../stack/env';

const PARTITIONS = 7;

/**
 * Both clients put a keyed record in the partition Kafka's default partitioner (the Java client's, and
 * kafkajs') chooses: switching KAFKA_CLIENT keeps every object's events in one partition, in order.
 * Half the keys are random bytes, so that keys with a negative murmur2 are among them.
 */
describe('partition of a key', () => {
  it(`is the same with ${KAFKA_CLIENTS.join(' and ')}, and the Java client's default`, async () => {
    const kafka = testKafka('partitioning-test');
    const topic = uniqueName('partitioning');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const keys = Array.from({ length: 300 }, (_, i) =>
      i % 2 === 0 ? Buffer.from(`cdc/contacts/${i}`) : randomBytes(1 + (i % 24)),
    );
    for (const client of KAFKA_CLIENTS) {
      const publisher = testPublisher(client, uniqueName(`partitioning-${client}`));
      await publisher.connect();
      await publisher.commit([{ topic, messages: keys.map((key) => ({ key, value: client })) }]);
      await publisher.disconnect();
    }

    const seen = new Map<string, Map<string, number>>(); // key (hex) → client → partition
    await readToEnd(kafka, [topic], 'partitioning-test', (_topic, messages, partition) => {
      for (const m of messages) {
        const key = m.key!.toString('hex');
        const byClient = seen.get(key) ?? new Map<string, number>();
        byClient.set(m.value!.toString(), partition);
        seen.set(key, byClient);
      }
    });
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }));
    const expected = (key: Buffer) =>
      keyPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
    const wrong = keys.flatMap((key) =>
      KAFKA_CLIENTS.filter((c) => seen.get(key.toString('hex'))?.get(c) !== expected(key)).map(
        (c) => `${c}: ${key.toString('hex')}`,
      ),
    );
    expect(seen.size).toBe(keys.length);
    expect(wrong).toEqual([]);
  });
});
