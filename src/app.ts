/**
 * The composition root: builds the running connector, and the contact sink, from the frozen
 * configuration by wiring configured pieces together (the Intercom client and its token, the Kafka
 * clients, topics and codecs of src/kafka, the capture engine, the sink runner and its handler). It
 * makes no decision of its own beyond which piece goes where.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Announcer } from './capture/announce';
import { registerConnectorRecords } from './kafka/connector-records';
import { STREAM_DEFS } from './streams/definitions';
import { packageVersion } from './version';
import type { Logger } from 'pino';
import { CaptureEngine, type EngineObserver } from './capture/engine';
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
  type TokenProvider,
} from './intercom';
import { createKafka, createPublisher, createRegistry } from './kafka/clients';
import { kafkaError } from './kafka/errors';
import type { Committer, StreamCodec } from './capture/contracts';
import { registerCodecs } from './kafka/codecs';
import type { Registry } from './kafka/registry';
import { createSinkKafka } from './kafka/sink-kafka';
import { restoreState, type StateStore } from './kafka/state-store';
import {
  announcementTopicSpecs,
  ensureTopics,
  sinkTopicNames,
  topicNames,
  topicSpecs,
  transactionalId,
  type SinkTopics,
  type TopicNames,
  withAdmin,
} from './kafka/topics';
import type { StreamName } from './streams';
import { warnIfNearMemoryLimit, workingAllowance } from './observability/memory';
import { containerCpus } from './observability/cpus';
import { budgetedPreparer, ReadBudget } from './capture/read-budget';
import { createPreparer, type Preparer } from './capture/workers';
import { SinkRunner, type RunnerResult } from './sink';
import { webhookHandler, type ReceiverObserver } from './webhooks/receiver';
import {
  KafkaNotificationWriter,
  ensureWebhooksTopic,
  probeWebhooksTopic,
  webhooksTopic,
} from './kafka/webhooks';
import { consumeHints, type HintSettings } from './kafka/webhook-hints';
import { Signals, type Reception } from './capture/signals';
import { consumeSignals } from './kafka/signals';
import type { RequestListener } from 'node:http';
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
  preparer?: Preparer,
): IntercomClient {
  return new IntercomClient({
    baseUrl: config.intercom.baseUrl || baseUrlFor(config.intercom.region),
    apiVersion: config.intercom.apiVersion,
    auth: tokenProvider(config, logger),
    timeoutMs: config.intercom.timeoutMs,
    maxConcurrency: config.intercom.maxConcurrency,
    maxRequestsPerMinute: config.intercom.maxRequestsPerMinute || undefined,
    maxHeaderWaitMs: config.intercom.maxHeaderWaitMs,
    // The client names its own module: a child here would write the key twice.
    logger,
    observer,
    preparer: preparer && budgetedPreparer(preparer, new ReadBudget(config.streams.maxReadBytes)),
  });
}

/**
 * Most worker threads `auto` starts: the main thread diffs and publishes 20,000–30,000 readings a second
 * (34–50 µs each, bench/RESULTS.md "End-to-end throughput"), and one worker reads 40,000–60,000 contacts
 * a second, so a third thread would wait; each costs about 10–20 MB of RSS (compiled: 18 MB for the
 * first, 10 MB for the second, measured).
 */
export const AUTO_WORKERS_MAX = 2;

/** The threads a `streams.workers` setting stands for (see createCaptureWorkers). */
export function workerThreads(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.min(AUTO_WORKERS_MAX, containerCpus() - 1) : setting;
}

/**
 * The capture's worker threads: `streams.workers`, or with `auto` one fewer than the CPUs the container
 * may use (the main thread needs one: with as many workers as CPUs, first syncs measured slower), at
 * most AUTO_WORKERS_MAX.
 */
export function createCaptureWorkers(config: Config, logger: Logger): Preparer {
  const setting = config.streams.workers;
  const threads = workerThreads(setting);
  logger.info({ workers: threads, setting }, 'capture worker threads');
  return createPreparer(
    threads,
    {
      workerFailed: (error) => logger.warn({ err: error.message }, 'a capture worker thread died; replaced'),
    },
    { streams: config.fieldPolicy.streams, secret: config.fieldPolicy.secret },
  );
}

function tokenProvider(config: Config, logger: Logger): TokenProvider {
  const raw = config.intercom.token;
  if (!raw) {
    throw new ConfigError(
      'no Intercom token: set INTERCOM_TOKEN or INTERCOM_TOKEN_FILE (an access token, or the file `intercom-cdc auth login` writes)',
      ['intercom.token'],
    );
  }
  const file = config.secretFiles['intercom.token'];
  const tokens = parseTokenFile(raw, file ?? 'INTERCOM_TOKEN');
  if (!tokens.refreshToken) return new StaticTokenProvider(tokens.accessToken);
  const { clientId, clientSecret, tokenUrl } = config.intercom.oauth;
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      'the token can be refreshed only with INTERCOM_OAUTH_CLIENT_ID and INTERCOM_OAUTH_CLIENT_SECRET(_FILE)',
      ['intercom.oauth.clientId'],
    );
  }
  return new OAuthTokenProvider({
    tokenUrl,
    clientId,
    clientSecret,
    initial: tokens,
    persist: file ? (t) => writeTokenFile(file, t) : undefined,
    logger: logger.child({ module: 'oauth' }),
  });
}

/** What became of one input record of the contact sink. */
export type SinkResult = ContactResult | RunnerResult;

/** Topic names of the contact sink from configuration (defaults under the topic prefix). */
export function sinkTopics(config: Config): SinkTopics {
  const s = config.sink.contacts;
  return sinkTopicNames(config.kafka.topicPrefix, 'contacts', s.topic, s.dlqTopic);
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
  const log = logger.child({ module: 'sink' });
  const archiveBudget = {
    maxPerHour: s.maxArchivesPerHour,
    setting: { key: 'sink.contacts.maxArchivesPerHour', env: 'SINK_CONTACTS_MAX_ARCHIVES_PER_HOUR' },
  };
  const handler = new ContactHandler(new ContactApplier(client, s.defaultRole, archiveBudget), {
    attributes: attributeMapping(s.attributes),
    unmapped: s.unmappedAttributes,
  });
  return new SinkRunner({
    name: 'contact',
    kafka: createSinkKafka(options.kafka ?? createKafka(config.kafka, logger), log),
    handler,
    input: {
      format: s.format,
      registry: s.format === 'avro' ? createRegistry(config.schemaRegistry).client : undefined,
      setting: 'SINK_CONTACTS_FORMAT',
    },
    topics: sinkTopics(config),
    topicSetting: { key: 'sink.contacts.topic', env: 'SINK_CONTACTS_TOPIC' },
    groupId: s.groupId || `${config.connector.name}-sink-contacts`,
    concurrency: s.concurrency,
    sessionTimeoutMs: s.sessionTimeoutMs,
    tolerance: config.errors.tolerance,
    replicationFactor: config.kafka.replicationFactor,
    logger: log,
    onRecord: options.onRecord,
    onReady: options.onReady,
    backoffMs: options.backoffMs,
    maxRetryMs: s.maxRetryMs,
    maxRetrySetting: 'SINK_CONTACTS_MAX_RETRY_MS',
  });
}

/**
 * The secrets webhook signatures are checked against: the client secret (WEBHOOKS_CLIENT_SECRET, else
 * the OAuth client secret, the same secret of the same app), then the previous one when set. A config
 * error naming the settings when there is none.
 */
export function webhookSecrets(config: Config): string[] {
  const current = config.webhooks.clientSecret || config.intercom.oauth.clientSecret;
  if (!current)
    throw new ConfigError(
      "webhooks: no client secret to check signatures with: set WEBHOOKS_CLIENT_SECRET (or WEBHOOKS_CLIENT_SECRET_FILE), the Intercom app's client secret",
      ['webhooks.clientSecret'],
    );
  return [current, config.webhooks.previousClientSecret].filter(Boolean);
}

/** The webhook receiver's request handler on Kafka, its topic, and the close of its producer. */
export interface WebhookReceiver {
  handler: RequestListener;
  topic: string;
  /**
   * Creates the webhooks topic when missing and connects the producer; fails (retriably while Kafka is
   * away) like any start.
   */
  prepare(): Promise<void>;
  /** Resolves once Kafka answers for the topic again (after notifications were answered 503). */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The webhook receiver from configuration: the handler filing into the webhooks topic (WEBHOOKS_TOPIC,
 * else `<prefix>._webhooks`; until that topic exists, every notification is answered 503). Secrets go to
 * the handler only.
 */
export function buildWebhookReceiver(
  config: Config,
  logger: Logger,
  observer: ReceiverObserver,
): WebhookReceiver {
  const secrets = webhookSecrets(config);
  const kafka = createKafka(config.kafka, logger);
  const topic = webhooksTopic(config.kafka.topicPrefix, config.webhooks.topic);
  const writer = new KafkaNotificationWriter(kafka, topic);
  const w = config.webhooks;
  const handler = webhookHandler(
    { path: w.path, secrets, maxBodyBytes: w.maxBodyBytes, ackTimeoutMs: w.ackTimeoutMs },
    writer,
    observer,
  );
  return {
    handler,
    topic,
    prepare: async () => {
      await ensureWebhooksTopic(kafka, topic, {
        partitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
      });
      await writer.connect().catch((error: unknown) => {
        throw kafkaError('connecting the webhooks producer', error);
      });
    },
    probe: () => probeWebhooksTopic(kafka, topic),
    close: () => writer.close(),
  };
}

/**
 * Consumes the webhooks topic (WEBHOOKS_TOPIC, else `<prefix>._webhooks`) as hints for `app`'s capture
 * (WEBHOOKS_HINTS) until `signal` aborts, in the consumer group `<connector>-webhooks` (README,
 * "Webhooks"); rejects with the first failure.
 */
export async function runWebhookHints(
  config: Config,
  logger: Logger,
  app: Pick<App, 'engine' | 'workspaceId'>,
  signal: AbortSignal,
  onHints?: HintSettings['onHints'],
): Promise<void> {
  const kafka = createKafka(config.kafka, logger);
  const topic = webhooksTopic(config.kafka.topicPrefix, config.webhooks.topic);
  await ensureWebhooksTopic(kafka, topic, {
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
  });
  return consumeHints(
    kafka,
    {
      topic,
      groupId: `${config.connector.name}-webhooks`,
      workspaceId: app.workspaceId,
      gatherMs: 250,
      logger: logger.child({ module: 'webhooks' }),
      onHints,
    },
    app.engine,
    signal,
  );
}

/**
 * Runs `app`'s signals until `signal` aborts: the accepted ones executed in turn (those the state says
 * are running first) and `<prefix>._signals` consumed in the group `<connector>-signals` (README,
 * "Signals"); rejects with the first failure that must end the run.
 */
export async function runSignals(
  config: Config,
  logger: Logger,
  app: Pick<App, 'signals' | 'topics'>,
  signal: AbortSignal,
  onSignal?: (reception: Reception) => void,
): Promise<void> {
  const signals = app.signals;
  if (!signals) return;
  const kafka = createKafka(config.kafka, logger);
  await Promise.all([
    signals.run(signal),
    consumeSignals(
      kafka,
      {
        topic: app.topics.signals,
        groupId: `${config.connector.name}-signals`,
        logger: logger.child({ module: 'signals' }),
        onSignal,
      },
      signals,
      signal,
    ),
  ]);
}

export interface App {
  engine: CaptureEngine;
  /** Signals of the running connector (`run`, SIGNALS_ENABLED); undefined for a backfill. */
  signals?: Signals;
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
  /** Told of each protocol error kafkajs retries itself (but CONCURRENT_TRANSACTIONS), with its type. */
  onRetriedKafkaError?: (type: string) => void;
  /** Told of each state record the restore skipped because it cannot be read (a metric). */
  onStateRecordSkipped?: () => void;
}

/**
 * Builds the running connector from configuration: the capture's worker threads, the Intercom client (and the workspace id), schemas
 * registered and checked, topics ensured, the transactional producer connected (fencing any older
 * instance of this workspace), and the state restored from the state topic (then a warning if it and a
 * working allowance come near the container's memory limit: observability/memory.ts).
 */
export async function buildApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const workers = createCaptureWorkers(config, logger);
  return build(config, logger, options, workers).catch(async (error: unknown) => {
    await workers.close();
    throw error;
  });
}

async function build(config: Config, logger: Logger, options: AppOptions, workers: Preparer): Promise<App> {
  const step = options.step ?? (() => undefined);
  const client = createIntercomClient(config, logger, options.clientObserver, workers);
  const workspaceId = config.connector.workspaceId || (await client.me()).app.id_code;
  step('intercom');
  const topics = topicNames(config.kafka.topicPrefix);
  const streams = config.streams.enabled;
  const registry = () =>
    options.registry ??
    createRegistry(config.schemaRegistry, (e) =>
      logger.warn(
        { subject: e.subject, attempt: e.attempt, retryInMs: e.delayMs, err: e.error.message },
        'schema registry unavailable; retrying',
      ),
    );
  const codecs =
    options.codecs ?? (await registerCodecs(registry(), topics, streams, config.fieldPolicy.streams));
  // A backfill writes no heartbeats or notifications: the running instance does.
  const records =
    options.role === 'backfill' ? undefined : await registerConnectorRecords(registry(), topics, workspaceId);
  step('registry');

  const kafka = createKafka(config.kafka, logger, {
    onConcurrentTransactionRetry: options.onConcurrentTransactionRetry,
    onRetriedError: options.onRetriedKafkaError,
  });
  const created = await withAdmin(kafka, 'preparing topics', (admin) =>
    ensureTopics(
      admin,
      [
        ...topicSpecs(topics, streams, config.kafka),
        ...(records ? announcementTopicSpecs(topics, config.kafka.replicationFactor) : []),
      ],
      topics.state,
    ),
  );
  if (created.length) logger.info({ topics: created }, 'created topics');
  step('topics');

  const publisher = createPublisher(
    config.kafka,
    kafka,
    transactionalId(config.connector.name, workspaceId, options.role),
    { onResult: options.transactions },
  );
  await publisher.connect();
  step('producer');
  // A failure from here on (the state cannot be restored, or belongs to another workspace) must not
  // leave the producer connected.
  const restore = { publisher, logger, onSkipped: options.onStateRecordSkipped };
  const store = await loadState(config, kafka, topics.state, workspaceId, restore).catch(
    async (error: unknown) => {
      await publisher.disconnect();
      throw error;
    },
  );
  step('state');

  const overrides = config.streams.overrides;
  const clock = Date.now;
  const announcer =
    records &&
    new Announcer({
      encoder: records,
      heartbeatTopic: topics.heartbeat,
      notificationsTopic: topics.notifications,
      heartbeatIntervalMs: config.heartbeat.intervalMs,
      progressIntervalMs: config.notifications.progressIntervalMs,
      connector: config.connector.name,
      workspaceId,
      version: packageVersion(),
      streams: streams.filter((s) => STREAM_DEFS[s].parent === undefined),
      store,
      clock,
      newId: randomUUID,
    });
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
      tolerance: config.errors.tolerance,
      maxClockSkewMs: config.streams.maxClockSkewMs,
      maxPendingBytes: config.streams.maxPendingBytes,
      maxReadAttempts: config.errors.maxReadAttempts,
      completeLists: config.streams.completeEmbeddedLists,
      completeness: config.completeness.enabled && options.role !== 'backfill',
    },
    clock,
    logger: logger.child({ module: 'capture' }),
    observer: options.engineObserver?.(store),
    prepare: (text, how) => workers.prepare(text, how),
    announcer,
  });
  const signals =
    announcer && config.signals.enabled
      ? new Signals({
          engine,
          connector: config.connector.name,
          store,
          enabled: new Set(streams),
          clock,
          logger: logger.child({ module: 'signals' }),
          progressIntervalMs: config.notifications.progressIntervalMs,
        })
      : undefined;
  step('ready');
  const close = async () => {
    await publisher.disconnect();
    await workers.close();
  };
  return { engine, signals, client, codecs, store, workspaceId, topics, close };
}

/**
 * The state topic holds one connector name's state for one workspace: another workspace's state under
 * the same CONNECTOR_NAME would be restored as this one's (and its objects deleted as missing), so it is
 * refused (exit 2). A state without the workspace record (written by an earlier release, or none yet) is
 * claimed with one (a transaction of its own).
 */
async function claimState(
  store: StateStore,
  workspaceId: string,
  stateTopic: string,
  publisher: Committer,
): Promise<void> {
  if (store.workspace === workspaceId) return;
  if (store.workspace !== undefined) {
    throw new ConfigError(
      `the state topic ${stateTopic} holds the state of connector "${store.connector}" for workspace ${store.workspace}, not ${workspaceId}: give each workspace its own CONNECTOR_NAME (and TOPIC_PREFIX: the event topics would be shared too)`,
      ['connector.name'],
    );
  }
  await publisher.commit([{ topic: stateTopic, messages: [store.workspaceRecord(workspaceId)] }]);
  store.workspace = workspaceId;
}

/**
 * The state restored from the state topic (unreadable records skipped, logged with their key and told
 * to `onSkipped`, unless errors.tolerance=none), claimed for this workspace (claimState), with a warning
 * when it and the working memory come near the container's memory limit.
 */
async function loadState(
  config: Config,
  kafka: Kafka,
  stateTopic: string,
  workspaceId: string,
  { publisher, logger, onSkipped }: { publisher: Committer; logger: Logger; onSkipped?: () => void },
): Promise<StateStore> {
  const started = Date.now();
  const rssBeforeState = process.memoryUsage().rss;
  let skipped = 0;
  const store = await restoreState(kafka, stateTopic, config.connector.name, {
    tolerance: config.errors.tolerance,
    onSkipped: (key, reason) => {
      skipped += 1;
      onSkipped?.();
      logger.warn(
        { key, reason },
        'state record skipped: it cannot be read (its object or stream is read again)',
      );
    },
  });
  logger.info({ objects: store.size(), skipped, ms: Date.now() - started }, 'state restored');
  await claimState(store, workspaceId, stateTopic, publisher);
  warnIfNearMemoryLimit(logger, {
    stateBytes: store.bytes(),
    rssBeforeState,
    allowance: workingAllowance(config.streams.maxPendingBytes, config.streams.maxReadBytes),
  });
  return store;
}
