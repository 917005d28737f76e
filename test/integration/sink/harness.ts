import type { Kafka } from 'kafkajs';
import { buildContactSink, createIntercomClient, sinkTopics, type SinkResult } from '../../../src/app';
import type { Config } from '../../../src/config';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { silentLogger } from '../../../src/logger';
import type { RunningSimulator } from '../../../src/sim';
import { testKafka, uniqueName } from '../../stack/env';
import { testConfig } from '../capture/harness';

/** Configuration of one sink test: its own input topic, prefix and group, the test stack, the simulator. */
export function sinkConfig(simUrl: string, extra: Record<string, string> = {}): Config {
  return testConfig(simUrl, {
    SINK_CONTACTS_TOPIC: uniqueName('crm-contacts'),
    SINK_CONTACTS_FORMAT: 'json',
    ...extra,
  });
}

export async function createInputTopic(kafka: Kafka, topic: string, partitions = 2): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces JSON records keyed by their external_id or email (one contact stays in one partition). */
export async function produceJson(kafka: Kafka, topic: string, records: unknown[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => {
        const rec = r as { external_id?: string; email?: string };
        return {
          key: rec.external_id ?? rec.email ?? 'none',
          value: Buffer.isBuffer(r) ? r : JSON.stringify(r),
        };
      }),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Runs the sink in this process until it has handled `count` records more, then stops it. */
export async function runSink(config: Config, count: number, timeoutMs = 90_000): Promise<SinkResult[]> {
  const results: SinkResult[] = [];
  const stop = new AbortController();
  const client = createIntercomClient(config, silentLogger());
  const sink = buildContactSink(config, silentLogger(), client, {
    kafka: testKafka('sink'),
    backoffMs: { min: 100, max: 1_000 },
    onRecord: (r) => {
      results.push(r);
      if (results.length >= count) stop.abort();
    },
  });
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    await sink.run(stop.signal);
  } finally {
    clearTimeout(timer);
  }
  if (results.length < count)
    throw new Error(`the sink handled ${results.length} of ${count} records in ${timeoutMs} ms`);
  return results;
}

/** Every record of the sink's dead-letter topic, parsed. */
export async function deadLetters(config: Config): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await readToEnd(testKafka('dlq-reader'), [sinkTopics(config).dlq], 'dlq-reader', (_t, messages) => {
    for (const m of messages) out.push(JSON.parse(m.value!.toString()) as Record<string, unknown>);
  });
  return out;
}

/** Write requests the simulator answered, by route (creates, updates, archive, unarchive). */
export function writes(sim: RunningSimulator): Record<string, number> {
  const byRoute = sim.stats().byRoute;
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(byRoute)) {
    if (/^(PUT|POST) \/contacts(\/\{id\}\/(archive|unarchive)|\/\{id\})?$/.test(route)) out[route] = n;
  }
  return out;
}

/** The contacts' custom attributes the simulated workspace defines, by data type. */
export function contactAttributes(sim: RunningSimulator): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of sim.truth.ids('data_attributes')) {
    const a = sim.truth.get('data_attributes', id)!;
    if (a.model === 'contact' && a.custom === true) out.set(String(a.name), String(a.data_type));
  }
  return out;
}
