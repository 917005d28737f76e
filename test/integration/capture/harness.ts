import { randomUUID } from 'node:crypto';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { loadConfig, type Config } from '../../../src/config';
import { stackEnv, testKafka, testRegistry } from '../../stack/env';

export interface DecodedEvent {
  topic: string;
  offset: string;
  id: string;
  /** null for a tombstone */
  value: {
    op: 'c' | 'u' | 'd' | 'r';
    source: { updated_at: number | null; prev_updated_at: number | null; snapshot: boolean; stream: string };
    after: Record<string, unknown> | null;
    raw: string | null;
  } | null;
}

/** A configuration for one test: unique topic prefix and connector name, the test stack, the simulator. */
export function testConfig(simUrl: string, extra: Record<string, string> = {}): Config {
  const { brokers, registryUrl } = stackEnv();
  const id = randomUUID().slice(0, 8);
  return loadConfig({
    env: {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      INTERCOM_BASE_URL: simUrl,
      INTERCOM_TOKEN: 'test-token',
      TOPIC_PREFIX: `t${id}`,
      CONNECTOR_NAME: `cdc-${id}`,
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TOPIC_PARTITIONS: '2',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extra,
    },
  });
}

/** Every committed record of the given topics (read_committed), decoded through the registry. */
export async function readTopics(topics: string[]): Promise<DecodedEvent[]> {
  const registry = testRegistry();
  const out: DecodedEvent[] = [];
  await readToEnd(testKafka('harness'), topics, 'harness', async (topic, messages) => {
    for (const m of messages) {
      const key = (await registry.decode(m.key!)) as { id: string };
      const value = m.value ? ((await registry.decode(m.value)) as DecodedEvent['value']) : null;
      out.push({ topic, offset: m.offset, id: key.id, value });
    }
  });
  return out;
}

/** Events grouped by object id, in offset order (one partition per key keeps per-object order). */
export function byId(events: DecodedEvent[]): Map<string, DecodedEvent[]> {
  const map = new Map<string, DecodedEvent[]>();
  for (const e of events) {
    const list = map.get(e.id) ?? [];
    list.push(e);
    map.set(e.id, list);
  }
  for (const list of map.values()) list.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  return map;
}
