/**
 * The sink runner's Kafka in memory (a state topic to restore, an input to hand over, what was sent, as
 * the bytes a broker would get), the records and topics of the runner tests, and the runner's usual
 * options, shared by the runner's unit tests.
 */
import type { InputRecord, SinkKafka } from '../../../src/kafka/sink-kafka';
import { sinkTopicNames } from '../../../src/kafka/topics';
import { silentLogger } from '../../../src/logger';
import type { SinkHandler, SinkRunnerOptions } from '../../../src/sink';

export const topics = sinkTopicNames('t', 'things', 'in');

export class MemoryKafka implements SinkKafka {
  readonly sent: { topic: string; key: Buffer | string | null; value: string }[] = [];
  heartbeats = 0;

  constructor(
    private readonly input: InputRecord[],
    private readonly state: [string, string | null][] = [],
  ) {}

  async prepare(_settings: unknown, onState: (key: string, value: string | null) => void): Promise<void> {
    for (const [key, value] of this.state) onState(key, value);
  }

  async consume(
    _group: unknown,
    handle: (record: InputRecord, heartbeat: () => Promise<void>) => Promise<void>,
    _signal: AbortSignal,
    onRunning: () => void,
  ): Promise<void> {
    onRunning();
    for (const record of this.input) await handle(record, async () => void this.heartbeats++);
  }

  async send(topic: string, key: Buffer | string | null, value: string): Promise<void> {
    this.sent.push({ topic, key, value });
  }

  /** What was sent to `topic`: keys as text, values parsed. */
  to(topic: string): { key: string | null; value: unknown }[] {
    return this.sent
      .filter((s) => s.topic === topic)
      .map(({ key, value }) => ({ key: key === null ? null : key.toString(), value: JSON.parse(value) }));
  }

  /** The dead letters sent: their size (key and value bytes), key and parsed body. */
  dlq(): { bytes: number; key: Buffer | string | null; body: Record<string, unknown> }[] {
    return this.sent
      .filter((s) => s.topic === topics.dlq)
      .map((s) => ({
        bytes: Buffer.byteLength(s.value) + (s.key?.length ?? 0),
        key: s.key,
        body: JSON.parse(s.value) as Record<string, unknown>,
      }));
  }
}

/** An input record: a string or bytes as they are, null as a tombstone, anything else as its JSON. */
export function record(offset: number, value: unknown, key: Buffer | string = 'k'): InputRecord {
  return {
    topic: 'in',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(key),
    value:
      value === null
        ? null
        : Buffer.isBuffer(value)
          ? value
          : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  };
}

/** The runner of the `things` sink on `kafka` with `handler`, JSON input, one record at a time, fast backoff. */
export function runnerOptions<Item, Result extends string>(
  kafka: SinkKafka,
  handler: SinkHandler<Item, Result>,
  extra: Partial<SinkRunnerOptions<Item, Result>> &
    Pick<SinkRunnerOptions<Item, Result>, 'tolerance' | 'onRecord'>,
): SinkRunnerOptions<Item, Result> {
  return {
    name: 'thing',
    kafka,
    handler,
    input: { format: 'json', setting: 'THINGS_FORMAT' },
    topics,
    topicSetting: { key: 'sink.things.topic', env: 'THINGS_TOPIC' },
    groupId: 'g',
    concurrency: 1,
    sessionTimeoutMs: 30_000,
    replicationFactor: 1,
    logger: silentLogger(),
    backoffMs: { min: 1, max: 2 },
    ...extra,
  };
}
