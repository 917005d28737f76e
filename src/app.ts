import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { CaptureEngine, type EngineObserver } from './capture/engine';
import type { StreamCodec } from './capture/contracts';
import type { Config } from './config';
import { ConfigError } from './errors';
import {
  IntercomClient,
  OAuthTokenProvider,
  StaticTokenProvider,
  baseUrlFor,
  parseTokenFile,
  writeTokenFile,
  type ClientObserver,
  type Region,
  type TokenProvider,
} from './intercom';
import { kafkaError } from './kafka/errors';
import { PlatformaticPublisher } from './kafka/platformatic';
import { TransactionalPublisher } from './kafka/publisher';
import { Registry, type RegistrySettings } from './kafka/registry';
import { restoreState, type StateStore } from './kafka/state-store';
import {
  ensureTopics,
  subjectsOf,
  topicNames,
  topicSpecs,
  transactionalId,
  type TopicNames,
} from './kafka/topics';
import type { Compression, KafkaConnection, Publisher, PublisherOptions } from './kafka/types';
import { EventCodec } from './kafka/wire';
import { loadStreamSchemas } from './normalize';
import type { StreamName } from './streams';
import { SinkRunner, type RunnerResult, type SinkTopics } from './sink';
import {
  ContactApplier,
  ContactHandler,
  attributeMapping,
  type ContactResult,
  type ContactUpsert,
} from './sink/contacts';

/** The Intercom client from configuration; a missing token is a config error naming the settings. */
export function createIntercomClient(
  config: Config,
  logger: Logger,
  observer?: ClientObserver,
): IntercomClient {
  return new IntercomClient({
    baseUrl: config.intercom.baseUrl || baseUrlFor(config.intercom.region as Region),
    apiVersion: config.intercom.apiVersion,
    auth: tokenProvider(config, logger),
    timeoutMs: config.intercom.timeoutMs,
    maxConcurrency: config.intercom.maxConcurrency,
    maxRequestsPerMinute: config.intercom.maxRequestsPerMinute || undefined,
    // The client names its own module: a child here would write the key twice.
    logger,
    observer,
  });
}

function tokenProvider(config: Config, logger: Logger): TokenProvider {
  const raw = config.intercom.token;
  if (!raw) {
    throw new ConfigError(
      'no Intercom token: set INTERCOM_TOKEN or INTERCOM_TOKEN_FILE (an access token, or the file `intercom-cdc auth login` writes)',
      ['intercom.token'],
    );
  }
  const tokens = parseTokenFile(raw, process.env.INTERCOM_TOKEN_FILE ?? 'INTERCOM_TOKEN');
  if (!tokens.refreshToken) return new StaticTokenProvider(tokens.accessToken);
  const { clientId, clientSecret, tokenUrl } = config.intercom.oauth;
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      'the token can be refreshed only with INTERCOM_OAUTH_CLIENT_ID and INTERCOM_OAUTH_CLIENT_SECRET(_FILE)',
      ['intercom.oauth.clientId'],
    );
  }
  const file = process.env.INTERCOM_TOKEN_FILE;
  return new OAuthTokenProvider({
    tokenUrl,
    clientId,
    clientSecret,
    initial: tokens,
    persist: file ? (t) => writeTokenFile(file, t) : undefined,
    logger: logger.child({ module: 'oauth' }),
  });
}

/** Connection tuning a command may change (`check` wants short timeouts and few retries). */
export type KafkaTuning = Pick<KafkaConfig, 'connectionTimeout' | 'requestTimeout' | 'retry'> & {
  /** Told of each CONCURRENT_TRANSACTIONS retry kafkajs makes (a metric). */
  onConcurrentTransactionRetry?: () => void;
};

/**
 * Whether a kafkajs log entry is its retry of a request the broker answered CONCURRENT_TRANSACTIONS: a
 * transaction begun while the broker still completes the previous one. kafkajs retries it itself (about
 * 300 ms later) and logs it at error as "Failed to send messages: The producer attempted to update a
 * transaction while another concurrent operation on the same transaction was ongoing": the broker's
 * text is in the entry's message, not in its other fields.
 */
export function isConcurrentTransactionRetry(log: { message?: unknown; [k: string]: unknown }): boolean {
  return /CONCURRENT_TRANSACTIONS|another concurrent operation on the same transaction/.test(
    `${String(log.message ?? '')} ${JSON.stringify(log)}`,
  );
}

/** Where and how to reach Kafka (brokers, TLS, SASL), from configuration: the same for both clients. */
export function kafkaConnection(config: Config): KafkaConnection {
  const k = config.kafka;
  return {
    clientId: k.clientId,
    brokers: [...k.brokers],
    ...(k.ssl.enabled
      ? {
          tls: {
            rejectUnauthorized: true,
            ...(k.ssl.caFile ? { ca: [readSetting(k.ssl.caFile, 'KAFKA_SSL_CA_FILE')] } : {}),
            ...(k.ssl.certFile
              ? {
                  cert: readSetting(k.ssl.certFile, 'KAFKA_SSL_CERT_FILE'),
                  key: readSetting(k.ssl.keyFile, 'KAFKA_SSL_KEY_FILE'),
                }
              : {}),
          },
        }
      : {}),
    ...(k.sasl.mechanism === 'none'
      ? {}
      : {
          sasl: {
            mechanism: k.sasl.mechanism as NonNullable<KafkaConnection['sasl']>['mechanism'],
            username: k.sasl.username,
            password: k.sasl.password,
          },
        }),
  };
}

/** The kafkajs client from configuration (TLS, SASL), logging through pino at warn and above. */
export function createKafka(config: Config, logger: Logger, tuning: KafkaTuning = {}): Kafka {
  const { onConcurrentTransactionRetry, ...connection } = tuning;
  const { clientId, brokers, tls, sasl } = kafkaConnection(config);
  const log = logger.child({ module: 'kafka' });
  const cfg: KafkaConfig = {
    clientId,
    brokers,
    ssl: tls,
    sasl: sasl as SASLOptions | undefined,
    ...connection,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      // Expected between back-to-back transactions, and retried by kafkajs: counted, logged at debug.
      if (isConcurrentTransactionRetry(entry.log)) {
        onConcurrentTransactionRetry?.();
        log.debug({ kafkajs: entry.namespace, ...extra }, message);
        return;
      }
      const fn = entry.level <= logLevel.ERROR ? log.error.bind(log) : log.warn.bind(log);
      fn({ kafkajs: entry.namespace, ...extra }, message);
    },
  };
  return new Kafka(cfg);
}

/**
 * The capture's transactional publisher on the client `kafka.client` names: kafkajs (on `kafka`, the
 * process's kafkajs client) or @platformatic/kafka (its own connections, from the same settings).
 */
export function createPublisher(
  config: Config,
  kafka: Kafka,
  transactionalId: string,
  options: Omit<PublisherOptions, 'compression'> = {},
): Publisher {
  const settings = { ...options, compression: config.kafka.compression as Compression };
  return config.kafka.client === 'platformatic'
    ? new PlatformaticPublisher(kafkaConnection(config), transactionalId, settings)
    : new TransactionalPublisher(kafka, transactionalId, settings);
}

/** What became of one input record of the contact sink. */
export type SinkResult = ContactResult | RunnerResult;

/** Topic names of the contact sink from configuration (defaults under the topic prefix). */
export function sinkTopics(config: Config): SinkTopics {
  const prefix = config.kafka.topicPrefix;
  return {
    input: config.sink.contacts.topic,
    dlq: config.sink.contacts.dlqTopic || `${prefix}._sink_contacts_dlq`,
    state: `${prefix}._sink_contacts_state`,
  };
}

/**
 * The contact sink from configuration: the generic runner around the contact handler, on a given
 * Intercom client (`run` passes the capture's client so that both share one rate-limit budget; `sink
 * contacts` passes its own).
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
): SinkRunner<ContactUpsert, ContactResult> {
  const s = config.sink.contacts;
  const handler = new ContactHandler(new ContactApplier(client, s.defaultRole as 'user' | 'lead'), {
    attributes: attributeMapping(s.attributes),
    unmapped: s.unmappedAttributes as 'reject' | 'ignore',
  });
  return new SinkRunner({
    name: 'contact',
    kafka: options.kafka ?? createKafka(config, logger),
    handler,
    input: {
      format: s.format as 'avro' | 'json',
      registry: s.format === 'avro' ? createRegistry(config).client : undefined,
      setting: 'SINK_CONTACTS_FORMAT',
    },
    topics: sinkTopics(config),
    topicSetting: { key: 'sink.contacts.topic', env: 'SINK_CONTACTS_TOPIC' },
    groupId: s.groupId || `${config.connector.name}-sink-contacts`,
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

/** The registry client; `onRetry` hears of each wait while the registry is unreachable (see Registry). */
export function createRegistry(
  config: Config,
  onRetry?: RegistrySettings['onRetry'],
  tuning: Pick<RegistrySettings, 'timeoutMs'> = {},
): Registry {
  const r = config.schemaRegistry;
  return new Registry({
    ...tuning,
    url: r.url,
    username: r.username,
    password: r.password,
    tls: {
      ...(r.caFile ? { ca: readSetting(r.caFile, 'SCHEMA_REGISTRY_CA_FILE') } : {}),
      ...(r.certFile ? { cert: readSetting(r.certFile, 'SCHEMA_REGISTRY_CERT_FILE') } : {}),
      ...(r.keyFile ? { key: readSetting(r.keyFile, 'SCHEMA_REGISTRY_KEY_FILE') } : {}),
    },
    onRetry,
  });
}

/** A file a setting names (a CA, a certificate, a key); unreadable: a config error naming the setting. */
function readSetting(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${setting}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      [setting],
      error,
    );
  }
}

/** Registers (and checks) the key and value schemas of each stream; returns the codecs. */
export async function registerCodecs(
  registry: Registry,
  topics: TopicNames,
  streams: readonly StreamName[],
): Promise<Map<StreamName, StreamCodec>> {
  const codecs = new Map<StreamName, StreamCodec>();
  for (const stream of streams) {
    const schemas = loadStreamSchemas(stream);
    const topic = topics.events(stream);
    const subjects = subjectsOf(topic);
    const keyId = await registry.registerSubject(subjects.key, schemas.key);
    const valueId = await registry.registerSubject(subjects.value, schemas.value);
    codecs.set(stream, {
      stream,
      topic,
      wire: new EventCodec(schemas, { key: keyId, value: valueId }),
    });
  }
  return codecs;
}

export interface App {
  engine: CaptureEngine;
  /** The one Intercom client (rate-limit budget, token) of this process. */
  client: IntercomClient;
  /** The registered schemas of the streams: a start-over in the same process reuses them. */
  codecs: Map<StreamName, StreamCodec>;
  store: StateStore;
  workspaceId: string;
  topics: TopicNames;
  close(): Promise<void>;
}

export interface AppOptions {
  clientObserver?: ClientObserver;
  engineObserver?: (store: StateStore) => EngineObserver;
  /** Called at each start-up step, for /readyz and logs. */
  step?: (name: 'intercom' | 'registry' | 'topics' | 'producer' | 'state' | 'ready') => void;
  /** Told how each Kafka transaction ended. */
  transactions?: (result: 'committed' | 'aborted') => void;
  /** The registry client (default: from configuration, registration waits logged at warn). */
  registry?: Registry;
  /** Codecs registered by an earlier start in this process (no registry call then). */
  codecs?: Map<StreamName, StreamCodec>;
  /** A transactional id of its own: a backfill runs beside the running instance without fencing it. */
  role?: 'backfill';
  /** Told of each CONCURRENT_TRANSACTIONS retry of the producer (a metric). */
  onConcurrentTransactionRetry?: () => void;
}

/**
 * Builds the running connector from configuration: the Intercom client (and the workspace id), schemas
 * registered and checked, topics ensured, the transactional producer connected (fencing any older
 * instance of this workspace), and the state restored from the state topic.
 */
export async function buildApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const step = options.step ?? (() => undefined);
  const client = createIntercomClient(config, logger, options.clientObserver);
  const workspaceId = config.connector.workspaceId || (await client.me()).app.id_code;
  step('intercom');
  const topics = topicNames(config.kafka.topicPrefix);
  const streams = [...config.streams.enabled] as StreamName[];
  const registry = () =>
    options.registry ??
    createRegistry(config, (e) =>
      logger.warn(
        { subject: e.subject, attempt: e.attempt, retryInMs: e.delayMs, err: e.error.message },
        'schema registry unavailable; retrying',
      ),
    );
  const codecs = options.codecs ?? (await registerCodecs(registry(), topics, streams));
  step('registry');

  const kafka = createKafka(config, logger, {
    onConcurrentTransactionRetry: options.onConcurrentTransactionRetry,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const created = await ensureTopics(admin, topicSpecs(topics, streams, config.kafka), topics.state);
    if (created.length) logger.info({ topics: created }, 'created topics');
  } catch (error) {
    throw kafkaError('preparing topics', error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  step('topics');

  const publisher = createPublisher(
    config,
    kafka,
    transactionalId(config.connector.name, workspaceId, options.role),
    { onResult: options.transactions },
  );
  await publisher.connect();
  step('producer');
  const started = Date.now();
  const store = await restoreState(kafka, topics.state, config.connector.name);
  logger.info({ objects: store.size(), ms: Date.now() - started }, 'state restored');
  step('state');

  const overrides = config.streams.overrides as Record<
    string,
    { pollIntervalMs?: number; reconcileIntervalMs?: number }
  >;
  const engine = new CaptureEngine({
    client,
    committer: publisher,
    store,
    codecs,
    emit: {
      connector: config.connector.name,
      workspaceId,
      apiVersion: config.intercom.apiVersion,
      includeRaw: config.includeRaw,
      dlqTopic: topics.dlq,
    },
    stateTopic: topics.state,
    settings: {
      enabled: new Set(streams),
      overlapMs: config.streams.overlapMs,
      pollIntervalMs: (s) => overrides[s]?.pollIntervalMs ?? config.streams.pollIntervalMs,
      reconcileIntervalMs: (s) => overrides[s]?.reconcileIntervalMs ?? config.streams.reconcileIntervalMs,
      tolerance: config.errors.tolerance as 'all' | 'none',
    },
    clock: Date.now,
    logger: logger.child({ module: 'capture' }),
    observer: options.engineObserver?.(store),
  });
  step('ready');
  return { engine, client, codecs, store, workspaceId, topics, close: () => publisher.disconnect() };
}
