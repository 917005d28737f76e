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
