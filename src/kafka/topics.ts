/**
 * The topics: their names (the capture's and the sinks', under the topic prefix), what each must look
 * like, and creating the missing ones while checking the state topic.
 */
import { ConfigResourceTypes, type Admin, type ITopicConfig, type Kafka } from 'kafkajs';
import { CdcError } from '../errors';
import { kafkaError } from './errors';

/** The admin client the connector prepares topics with (kafkajs, whichever client publishes). */
export type KafkaAdmin = Admin;

/** The capture's topic names under a prefix, a contract (README, "Topics and events"). */
export interface TopicNames {
  events(stream: string): string;
  state: string;
  dlq: string;
  /** Heartbeats: compacted, keyed by workspace. */
  heartbeat: string;
  /** Notifications (first syncs, completeness, signals). */
  notifications: string;
  /** Signals to the running connector (README, "Signals"). */
  signals: string;
}

export function topicNames(prefix: string): TopicNames {
  return {
    events: (stream) => `${prefix}.${stream}`,
    state: `${prefix}._state`,
    dlq: `${prefix}._dlq`,
    heartbeat: `${prefix}._heartbeat`,
    notifications: `${prefix}._notifications`,
    signals: `${prefix}._signals`,
  };
}

/** The topics of a sink. */
export interface SinkTopics {
  /** What the sink applies; it must exist (the sink's producers write it). */
  input: string;
  /** Rejected input records, as JSON. */
  dlq: string;
  /** Compacted: per key, the input position last applied (the replay guard). */
  state: string;
}

/**
 * The topics of the sink named `sink` (`contacts`) under a prefix: its input, its dead-letter topic
 * (`dlq`, else `<prefix>._sink_<sink>_dlq`) and its state topic `<prefix>._sink_<sink>_state`.
 */
export function sinkTopicNames(prefix: string, sink: string, input: string, dlq = ''): SinkTopics {
  return { input, dlq: dlq || `${prefix}._sink_${sink}_dlq`, state: `${prefix}._sink_${sink}_state` };
}

/**
 * The registry subjects of a topic (the TopicNameStrategy every Confluent serializer uses by default):
 * `<topic>-key` and `<topic>-value`.
 */
export function subjectsOf(topic: string): { key: string; value: string } {
  return { key: `${topic}-key`, value: `${topic}-value` };
}

/**
 * The transactional id of the connector for a workspace, `<connector>-<workspace>` (a contract: a second
 * instance fences the first). `role` gives a command its own id beside it (`backfill`, `check`), so that
 * it does not fence the running instance; prefixed ACLs on `<connector>-` cover all of them.
 */
export function transactionalId(connector: string, workspace: string, role?: 'backfill' | 'check'): string {
  return `${connector}-${workspace}${role ? `-${role}` : ''}`;
}

export interface TopicSettings {
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  eventsCleanupPolicy: string;
}

/** What each topic of the capture must look like; the state topic is compacted and has one partition. */
export function topicSpecs(names: TopicNames, streams: readonly string[], s: TopicSettings): ITopicConfig[] {
  const rf = s.replicationFactor;
  return [
    ...streams.map((stream) => ({
      topic: names.events(stream),
      numPartitions: s.partitions,
      replicationFactor: rf,
      configEntries: [{ name: 'cleanup.policy', value: s.eventsCleanupPolicy }],
    })),
    logTopic(names.state, 'compact', rf),
    logTopic(names.dlq, 'delete', rf),
  ];
}

/**
 * The topics of what `run` tells operators and is told: heartbeats (compacted, one partition: the latest
 * record per workspace is what matters), notifications and signals (logs of one partition, in the order
 * they happened).
 */
export function announcementTopicSpecs(names: TopicNames, replicationFactor: number): ITopicConfig[] {
  return [
    logTopic(names.heartbeat, 'compact', replicationFactor),
    logTopic(names.notifications, 'delete', replicationFactor),
    logTopic(names.signals, 'delete', replicationFactor),
  ];
}

/** A topic of one partition (one ordered log: progress, dead letters) with this cleanup policy. */
export function logTopic(topic: string, cleanupPolicy: string, replicationFactor: number): ITopicConfig {
  return {
    topic,
    numPartitions: 1,
    replicationFactor,
    configEntries: [{ name: 'cleanup.policy', value: cleanupPolicy }],
  };
}

/**
 * Runs `fn` with an admin client of its own, connected first and disconnected after. A failure comes
 * out typed (kafkaError, `what` naming the step: "preparing topics"); our own errors as they are.
 */
export async function withAdmin<T>(kafka: Kafka, what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } catch (error) {
    throw kafkaError(what, error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates the topics that are missing, and checks the ones that exist where correctness depends on
 * them: the state topic must be compacted with a single partition (one ordered log of progress).
 */
export async function ensureTopics(
  admin: Admin,
  specs: ITopicConfig[],
  stateTopic: string,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (error) {
      const refusal = await replicationRefusal(admin, missing, error);
      if (refusal) throw refusal;
      const text = (error as Error).message;
      if (!/already exists/i.test(text)) {
        throw new CdcError(`could not create topics ${missing.map((m) => m.topic).join(', ')}: ${text}`, {
          code: 'topic_create_failed',
          kind: /authoriz/i.test(text) ? 'config' : 'system',
          cause: error,
        });
      }
    }
  }
  await checkStateTopic(admin, stateTopic);
  return missing.map((m) => m.topic);
}

/** The setting a topic's replication factor comes from, as users set it. */
export const REPLICATION_SETTING = 'KAFKA_REPLICATION_FACTOR (kafka.replicationFactor)';

/**
 * Why a replication factor cannot work on a cluster of `brokers` brokers; undefined when it can
 * (-1, the broker's default, is the broker's business). `check` warns with it before topics are created.
 */
export function replicationProblem(replicationFactor: number, brokers: number): string | undefined {
  if (replicationFactor === -1 || replicationFactor <= brokers) return undefined;
  return (
    `replication factor ${replicationFactor} asked, the cluster has ${brokers} broker(s): ` +
    `set ${REPLICATION_SETTING} to at most ${brokers}, or -1 for the broker's default`
  );
}

/**
 * A topic-creation failure that is the replication factor's fault, as a config error naming the topic,
 * the asked factor, the broker count and the setting; undefined for any other failure.
 */
async function replicationRefusal(
  admin: Admin,
  specs: ITopicConfig[],
  error: unknown,
): Promise<CdcError | undefined> {
  const inner = (error as { errors?: { type?: string; topic?: string }[] }).errors ?? [];
  const refused = inner.find((e) => e.type === 'INVALID_REPLICATION_FACTOR');
  if (!refused) return undefined;
  const spec = specs.find((s) => s.topic === refused.topic) ?? specs[0];
  const brokers = await admin
    .describeCluster()
    .then((c) => String(c.brokers.length))
    .catch(() => 'an unknown number of');
  const asked = spec.replicationFactor ?? -1;
  return new CdcError(
    `could not create topic ${spec.topic}: replication factor ${asked === -1 ? "-1 (the broker's default)" : asked} ` +
      `asked, the cluster has ${brokers} broker(s). Set ${REPLICATION_SETTING} to at most the number of ` +
      "brokers, or -1 for the broker's default (default.replication.factor).",
    { code: 'replication_factor', kind: 'config', cause: error },
  );
}

async function checkStateTopic(admin: Admin, topic: string): Promise<void> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = meta.topics[0]?.partitions.length ?? 0;
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
  });
  const policy = configs.resources[0]?.configEntries.find(
    (e) => e.configName === 'cleanup.policy',
  )?.configValue;
  const problems = [
    partitions !== 1 && `it has ${partitions} partitions, it needs exactly 1`,
    policy !== 'compact' && `its cleanup.policy is ${policy}, it needs compact`,
  ].filter(Boolean);
  if (problems.length) {
    throw new CdcError(
      `state topic ${topic} is unusable: ${problems.join('; ')}. Fix the topic or choose another TOPIC_PREFIX.`,
      {
        code: 'state_topic_invalid',
        kind: 'config',
      },
    );
  }
}

/** The brokers' default.replication.factor (what a factor of -1 gives), as the first broker reports it. */
export async function defaultReplicationFactor(admin: Admin): Promise<number> {
  const described = await admin.describeCluster();
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.BROKER,
        name: String(described.brokers[0]?.nodeId ?? described.controller),
        configNames: ['default.replication.factor'],
      },
    ],
  });
  const value = configs.resources[0]?.configEntries.find(
    (e) => e.configName === 'default.replication.factor',
  )?.configValue;
  return Number(value ?? 1);
}
