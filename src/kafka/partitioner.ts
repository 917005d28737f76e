import type { ICustomPartitioner } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, seed 0x9747b28c) in 32-bit integer arithmetic.
 * kafkajs computes the same value with 64-bit Long objects, which costs several allocations per key;
 * the low 32 bits of each product depend only on the low 32 bits of its operands, so the result is
 * the same (a unit test compares them).
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The positive murmur2 of a key (the Java client's `toPositive(murmur2(key))`): a keyed record's
 * partition is this modulo the partition count, with either Kafka client.
 */
export function keyHash(key: Buffer): number {
  return murmur2(key) & 0x7fffffff;
}

/**
 * The partition of a keyed record as the Java client's default partitioner (and kafkajs'
 * DefaultPartitioner) chooses it: positive murmur2 of the key bytes modulo the partition count, so that
 * records of one object land where any other Kafka producer would put them. A record with an explicit
 * partition keeps it. Every record the connector writes has a key; a keyless one goes to partition 0.
 */
export const keyPartitioner: ICustomPartitioner =
  () =>
  ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const count = partitionMetadata.length;
    if (count <= 1 || message.key === null || message.key === undefined) return 0;
    const key = Buffer.isBuffer(message.key) ? message.key : Buffer.from(message.key);
    return keyHash(key) % count;
  };
