import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafka, createRegistry } from '../../app';
import type { Config } from '../../config';
import type { IntercomClient } from '../../intercom';
import { ContactApplier } from './apply';
import { attributeMapping } from './input';
import { ContactSink, type SinkResult } from './sink';

export { ContactSink, stateKey, type SinkResult } from './sink';
export { ContactApplier, type Outcome } from './apply';
export { parseUpsert, isChangeEvent, RejectedRecord, type ContactUpsert } from './input';

/** Topic names of the sink from configuration (defaults under the topic prefix). */
export function sinkTopics(config: Config): { input: string; dlq: string; state: string } {
  const prefix = config.kafka.topicPrefix;
  return {
    input: config.sink.contacts.topic,
    dlq: config.sink.contacts.dlqTopic || `${prefix}._sink_contacts_dlq`,
    state: `${prefix}._sink_contacts_state`,
  };
}

/**
 * The contact sink from configuration, on a given Intercom client: `run` passes the capture's client
 * so that both share one rate-limit budget; `sink contacts` passes its own.
 */
export function buildContactSink(
  config: Config,
  logger: Logger,
  client: IntercomClient,
  options: {
    kafka?: Kafka;
    onRecord?: (result: SinkResult) => void;
    onReady?: () => void;
    backoffMs?: { min: number; max: number };
  } = {},
): ContactSink {
  const s = config.sink.contacts;
  return new ContactSink({
    kafka: options.kafka ?? createKafka(config, logger),
    applier: new ContactApplier(client, s.defaultRole as 'user' | 'lead'),
    registry: s.format === 'avro' ? createRegistry(config).client : undefined,
    format: s.format as 'avro' | 'json',
    topics: sinkTopics(config),
    groupId: s.groupId || `${config.connector.name}-sink-contacts`,
    parse: {
      attributes: attributeMapping(s.attributes),
      unmapped: s.unmappedAttributes as 'reject' | 'ignore',
    },
    concurrency: s.concurrency,
    sessionTimeoutMs: s.sessionTimeoutMs,
    tolerance: config.errors.tolerance as 'all' | 'none',
    replicationFactor: config.kafka.replicationFactor,
    logger: logger.child({ module: 'sink' }),
    onRecord: options.onRecord,
    onReady: options.onReady,
    backoffMs: options.backoffMs,
  });
}
