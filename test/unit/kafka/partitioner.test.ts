import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { keyPartitioner, murmur2 } from '../../../src/kafka/partitioner';

// kafkajs' own 64-bit implementation: the reference (it matches the Java client's test vectors).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer,
) => number;

function metadata(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
}

describe('murmur2', () => {
  it('equals the Java client on its published vectors', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it("equals kafkajs' implementation on 5,000 random keys of every length up to 64 bytes", () => {
    for (let i = 0; i < 5000; i++) {
      const key = randomBytes(i % 65);
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
    }
  });
});

describe('keyPartitioner', () => {
  it("chooses kafkajs' DefaultPartitioner's partition for keyed records", () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 2, 3, 7, 12]) {
      const partitionMetadata = metadata(count);
      for (let i = 0; i < 500; i++) {
        const key = i % 2 === 0 ? randomBytes(1 + (i % 20)) : `contacts:${i}`;
        const message = { key, value: null };
        expect(ours({ topic: 't', partitionMetadata, message })).toBe(
          theirs({ topic: 't', partitionMetadata, message }),
        );
      }
    }
  });

  it('keeps an explicit partition', () => {
    const message = { key: 'k', value: null, partition: 2 };
    expect(keyPartitioner()({ topic: 't', partitionMetadata: metadata(3), message })).toBe(2);
  });
});
