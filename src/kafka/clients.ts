/**
 * The client factories, each from its settings (the sections of the configuration): the process's
 * kafkajs client, the capture's transactional publisher on the client `kafka.client` names, and the
 * schema registry client. The composition root (src/app.ts) and the commands call these; nothing else
 * builds a Kafka client.
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaConnection, registryTls, type KafkaSettings, type RegistryFiles } from './connection';
import { kafkajsLog } from './kafkajs-log';
import { PlatformaticPublisher } from './platformatic';
import { TransactionalPublisher } from './publisher';
import { Registry, type RegistrySettings } from './registry';
import type { Compression, KafkaClientName, Publisher, PublisherOptions } from './types';

/** Connection tuning a command may change (`check` wants short timeouts and few retries). */
export type KafkaTuning = Pick<KafkaConfig, 'connectionTimeout' | 'requestTimeout' | 'retry'> & {
  /** Told of each CONCURRENT_TRANSACTIONS retry kafkajs makes (a metric). */
  onConcurrentTransactionRetry?: () => void;
  /** Told of each other protocol error kafkajs retries itself, with its type (a metric). */
  onRetriedError?: (type: string) => void;
};

/** The kafkajs client (TLS, SASL), logging through pino at warn and above (src/kafka/kafkajs-log.ts). */
export function createKafka(settings: KafkaSettings, logger: Logger, tuning: KafkaTuning = {}): Kafka {
  const { onConcurrentTransactionRetry, onRetriedError, ...connection } = tuning;
  const { clientId, brokers, tls, sasl } = kafkaConnection(settings);
  return new Kafka({
    clientId,
    brokers,
    ssl: tls,
    // kafkajs types its SASL options one mechanism at a time; ours is one of those three.
    sasl: sasl as SASLOptions | undefined,
    ...connection,
    logLevel: logLevel.WARN,
    logCreator: kafkajsLog(logger, onConcurrentTransactionRetry, onRetriedError),
  });
}

/** The settings of the capture's publisher: the connection, the client and the compression. */
export interface PublisherSettings extends KafkaSettings {
  client: KafkaClientName;
  compression: Compression;
}

/**
 * The capture's transactional publisher on the client `settings.client` names: kafkajs (on `kafka`, the
 * process's kafkajs client) or @platformatic/kafka (its own connections, from the same settings).
 */
export function createPublisher(
  settings: PublisherSettings,
  kafka: Kafka,
  transactionalId: string,
  options: Omit<PublisherOptions, 'compression'> = {},
): Publisher {
  const publisher = { ...options, compression: settings.compression };
  return settings.client === 'platformatic'
    ? new PlatformaticPublisher(kafkaConnection(settings), transactionalId, publisher)
    : new TransactionalPublisher(kafka, transactionalId, publisher);
}

/** The settings the registry is reached with (configuration's `schemaRegistry` section has this shape). */
export interface RegistryConfig extends RegistryFiles {
  url: string;
  username: string;
  password: string;
}

/** The registry client; `onRetry` hears of each wait while the registry is unreachable (see Registry). */
export function createRegistry(
  settings: RegistryConfig,
  onRetry?: RegistrySettings['onRetry'],
  tuning: Pick<RegistrySettings, 'timeoutMs'> = {},
): Registry {
  return new Registry({
    ...tuning,
    url: settings.url,
    username: settings.username,
    password: settings.password,
    tls: registryTls(settings),
    onRetry,
  });
}
