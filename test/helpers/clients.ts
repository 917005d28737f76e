import { createPublisher } from '../../src/kafka/clients';
import { loadConfig } from '../../src/config';
import {
  KAFKA_CLIENTS,
  type KafkaClientName,
  type Publisher,
  type PublisherOptions,
} from '../../src/kafka/types';
import { stackEnv, testKafka } from '../stack/env';

/**
 * The Kafka clients the connector offers (KAFKA_CLIENT), for the tests that must pass on each: the
 * exactly-once, crash, fencing, broker-restart, state-restore, compression and partitioning tests run
 * once per client with `describe.each(KAFKA_CLIENTS)`, each case named after its client (`jest -t
 * platformatic` runs one while developing).
 */
export { KAFKA_CLIENTS, type KafkaClientName };

/** A publisher on the test stack, built by the factory `run` uses (src/kafka/clients.ts), for that client. */
export function testPublisher(
  client: KafkaClientName,
  transactionalId: string,
  options: PublisherOptions = {},
): Publisher {
  const config = loadConfig({
    env: {
      KAFKA_BROKERS: stackEnv().brokers.join(','),
      KAFKA_CLIENT: client,
      KAFKA_COMPRESSION: options.compression ?? 'none',
    },
  });
  return createPublisher(config.kafka, testKafka('test-publisher'), transactionalId, options);
}
