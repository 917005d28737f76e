/**
 * The hints' consumed offsets commit in the capture's transaction (README, "Webhooks"), on each
 * KAFKA_CLIENT against the real broker: once the events a notification caused are committed, the consumer
 * group's position is past it (and past another workspace's notification, which caused nothing); a transaction that aborts (the instance fenced while it committed) takes
 * the offsets with it, so the group is never ahead of the committed events, and the instance that took
 * over replays the notification and publishes its change once.
 */
import { buildApp, type App } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { ensureWebhooksTopic, webhooksTopic } from '../../../src/kafka/webhooks';
import { consumeHints, type HintTarget } from '../../../src/kafka/webhook-hints';
import type { Config } from '../../../src/config';
import { byId, readTopics, testConfig } from '../capture/harness';
import { KAFKA_CLIENTS, testPublisher } from '../../helpers/clients';
import { useSimulator } from '../../helpers/simulator';
import { createCompactedTopic, testKafka, uniqueName } from '../../stack/env';
import { waitFor } from '../../stack/cli';

describe.each(KAFKA_CLIENTS)('webhook hints: offsets in the transaction (KAFKA_CLIENT=%s)', (client) => {
  const sim = useSimulator(() => ({ seed: 31, size: { contacts: 6 } }));
  const kafka = testKafka('hint-offsets');
  const apps: App[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
  });

  /** The group's committed position on each partition of the topic (-1: none). */
  async function position(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map(offsets!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  /** The topic's end on each partition. */
  async function ends(topic: string): Promise<Map<number, bigint>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  async function file(topic: string, workspaceId: string, ids: string[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: ids.map((id) => ({
        key: `${workspaceId}:contact:${id}`,
        value: '{}',
        headers: { 'intercom-notification-id': uniqueName('notif'), 'received-at-ms': String(Date.now()) },
      })),
    });
    await producer.disconnect();
  }

  const updates = async (config: Config, id: string): Promise<number> =>
    (byId(await readTopics([`${config.kafka.topicPrefix}.contacts`])).get(id) ?? []).filter(
      (e) => e.value?.op === 'u',
    ).length;

  it('commit only with their transaction: a refused one leaves the group where it was', async () => {
    const topic = await createCompactedTopic(kafka, 'offsets');
    const groupId = uniqueName('group');
    const publisher = testPublisher(client, uniqueName('offsets'));
    await publisher.connect();
    try {
      const offsets = (offset: string) => ({ groupId, offsets: [{ topic, partition: 0, offset }] });
      // Over the broker's max.message.bytes (1 MiB): the transaction is refused and aborted.
      const huge = { key: 'k', value: Buffer.alloc(2 * 1024 * 1024, 1) };
      await expect(publisher.commit([{ topic, messages: [huge] }], offsets('5'))).rejects.toThrow();
      expect(await position(groupId, topic)).toEqual(new Map([[0, -1n]]));
      await publisher.commit([{ topic, messages: [{ key: 'k', value: 'v' }] }], offsets('6'));
      expect(await position(groupId, topic)).toEqual(new Map([[0, 6n]]));
      // Offsets alone are a transaction of their own.
      await publisher.commit([], offsets('7'));
      expect(await position(groupId, topic)).toEqual(new Map([[0, 7n]]));
    } finally {
      await publisher.disconnect();
    }
  });

  it('commit with the events they caused, and never ahead of them when the transaction aborts', async () => {
    const config = testConfig(sim.url, { STREAMS: 'contacts', KAFKA_CLIENT: client });
    const first = await buildApp(config, silentLogger());
    apps.push(first);
    await first.engine.poll('contacts');
    const topic = webhooksTopic(config.kafka.topicPrefix);
    await ensureWebhooksTopic(kafka, topic, { partitions: 2, replicationFactor: 1 });
    const groupId = `${config.connector.name}-webhooks`;
    const settings = {
      topic,
      groupId,
      workspaceId: first.workspaceId,
      gatherMs: 100,
      idleCommitMs: 500,
      logger: silentLogger(),
    };
    const [a, b] = sim.truth.ids('contacts') as [string, string];

    // A hint whose transaction fences its own instance once the reads are decided: it aborts.
    let second: App | undefined;
    let fence = false;
    const target: HintTarget = {
      hint: (stream, ids, offsets) =>
        first.engine.hint(stream, ids, async () => {
          const consumed = await offsets?.();
          if (fence) apps.push((second = await buildApp(config, silentLogger())));
          return consumed;
        }),
      commitOffsets: (offsets) => first.engine.commitOffsets(offsets),
    };
    const stopFirst = new AbortController();
    const consuming = consumeHints(kafka, settings, target, stopFirst.signal).then(
      () => undefined,
      (error: unknown) => error,
    );
    // A new group starts at the topic's end: the first notification once it has joined.
    await waitFor(async () => {
      const admin = kafka.admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([groupId]).finally(() => admin.disconnect());
      return groups[0]?.state === 'Stable';
    }, 30_000);

    sim.clock.advance(1000);
    sim.mutate.update('contacts', a);
    await file(topic, first.workspaceId, [a]);
    const filedFirst = await ends(topic);
    expect(
      await waitFor(async () => {
        const at = await position(groupId, topic);
        return [...filedFirst].every(([p, end]) => (at.get(p) ?? -1n) >= end || end === 0n);
      }, 30_000),
    ).toBe(true);
    expect(await updates(config, a)).toBe(1);

    // Another workspace's notification causes no read: its offset commits alone, once idle.
    await file(topic, 'another-workspace', [a]);
    const filedOther = await ends(topic);
    expect(
      await waitFor(async () => {
        const at = await position(groupId, topic);
        return [...filedOther].every(([p, end]) => (at.get(p) ?? -1n) >= end || end === 0n);
      }, 30_000),
    ).toBe(true);
    expect(await updates(config, a)).toBe(1);

    // The next notification's transaction aborts: neither its event nor its offset is committed.
    fence = true;
    sim.clock.advance(1000);
    sim.mutate.update('contacts', b);
    await file(topic, first.workspaceId, [b]);
    const failure = await consuming;
    expect((failure as { kind?: string })?.kind).toBe('fenced');
    stopFirst.abort();
    const after = await position(groupId, topic);
    const filedAll = await ends(topic);
    // The group is behind the topic's end exactly by the notification whose transaction aborted.
    const behind = [...filedAll].filter(([p, end]) => (after.get(p) ?? -1n) < end && end > 0n);
    expect(behind).toHaveLength(1);
    expect(await updates(config, b)).toBe(0);

    // The instance that took over replays it from the committed position: the change is published once.
    const stopSecond = new AbortController();
    const replaying = consumeHints(
      kafka,
      { ...settings, workspaceId: second!.workspaceId },
      second!.engine,
      stopSecond.signal,
    );
    expect(await waitFor(async () => (await updates(config, b)) === 1, 30_000)).toBe(true);
    expect(
      await waitFor(async () => {
        const at = await position(groupId, topic);
        return [...filedAll].every(([p, end]) => end === 0n || (at.get(p) ?? -1n) >= end);
      }, 30_000),
    ).toBe(true);
    stopSecond.abort();
    await replaying;
    expect([await updates(config, a), await updates(config, b)]).toEqual([1, 1]);
  });
});
