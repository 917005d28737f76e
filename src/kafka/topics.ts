import type { Admin, ITopicConfig } from 'kafkajs';
import { CdcError } from '../errors';

/** Topic names, a contract (DESIGN.md, Topics). */
export interface TopicNames {
  events(stream: string): string;
  state: string;
  dlq: string;
}

export function topicNames(prefix: string): TopicNames {
  return { events: (stream) => `${prefix}.${stream}`, state: `${prefix}._state`, dlq: `${prefix}._dlq` };
}

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  eventsCleanupPolicy: string;
}

/** What each topic must look like; the state topic is compacted and has one partition. */
export function topicSpecs(names: TopicNames, streams: readonly string[], s: TopicSettings): ITopicConfig[] {
  const rf = s.replicationFactor;
  return [
    ...streams.map((stream) => ({
      topic: names.events(stream),
      numPartitions: s.partitions,
      replicationFactor: rf,
      configEntries: [{ name: 'cleanup.policy', value: s.eventsCleanupPolicy }],
    })),
    {
      topic: names.state,
      numPartitions: 1,
      replicationFactor: rf,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    {
      topic: names.dlq,
      numPartitions: 1,
      replicationFactor: rf,
      configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
    },
  ];
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
