import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { randomUUID } from 'node:crypto';

/** The stack the global setup resolved. */
export function stackEnv(): { brokers: string[]; registryUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl)
    throw new Error('integration tests need the global setup (jest --selectProjects integration)');
  return { brokers: brokers.split(','), registryUrl };
}

export function testKafka(clientId = 'test'): Kafka {
  return new Kafka({ clientId, brokers: stackEnv().brokers, logLevel: logLevel.NOTHING });
}

export function testRegistry(): SchemaRegistry {
  return new SchemaRegistry({ host: stackEnv().registryUrl });
}

/** A name no other test (or earlier run against a long-lived stack) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A new compacted topic with one partition, its leader known. */
export async function createCompactedTopic(kafka: Kafka, prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** A TCP port free on the loopback interface now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `/readyz` of a connector until it answers 200, or the time is up (then false). */
export async function waitReady(port: number, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
