/**
 * The webhook receiver against the real Kafka stack, fed by the simulator's signed webhooks: every
 * verified delivery filed once in `<prefix>._webhooks` (acks=all) before its 200, forged ones never, a
 * receiver killed between Kafka's acknowledgement and its answer losing nothing, and a receiver without
 * Kafka answering 503, never 429. The receiver's answer times are measured by bench/webhooks.ts (here
 * the simulator renders its bursts on the same thread, which says nothing of the receiver).
 */
import type { RequestListener } from 'node:http';
import type { KafkaMessage } from 'kafkajs';
import { buildWebhookReceiver, type WebhookReceiver } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { silentLogger } from '../../../src/logger';
import { Metrics } from '../../../src/observability/metrics';
import { startSimulator, type RunningSimulator, type SimStream } from '../../../src/sim';
import { startReceiver, type RunningReceiver } from '../../../src/webhooks/receiver';
import { closedPort } from '../../helpers/net';
import { stackEnv, testKafka, uniqueName } from '../../stack/env';

const SECRET = 'app-client-secret';
const APP = 'whapp1';
const OBJECT: Partial<Record<SimStream, string>> = {
  contacts: 'contact',
  conversations: 'conversation',
  companies: 'company',
};

interface Served {
  receiver: WebhookReceiver;
  listening: RunningReceiver;
  metrics: Metrics;
  url: string;
}

/** A receiver on the test stack under a prefix of its own; `wrap` may stand between it and its requests. */
async function serve(env: Record<string, string>, wrap = (h: RequestListener) => h): Promise<Served> {
  const config = loadConfig({
    env: { KAFKA_BROKERS: stackEnv().brokers.join(','), WEBHOOKS_CLIENT_SECRET: SECRET, ...env },
  });
  const metrics = new Metrics();
  const receiver = buildWebhookReceiver(config, silentLogger(), metrics.receiverObserver());
  const listening = await startReceiver({ port: 0, host: '127.0.0.1' }, wrap(receiver.handler));
  return { receiver, listening, metrics, url: `http://127.0.0.1:${listening.port}/webhooks` };
}

async function filed(topic: string): Promise<{ key: string; partition: number; message: KafkaMessage }[]> {
  const out: { key: string; partition: number; message: KafkaMessage }[] = [];
  await readToEnd(testKafka('webhooks-test'), [topic], 'webhooks-test', (_t, messages, partition) => {
    for (const message of messages) out.push({ key: String(message.key), partition, message });
  });
  return out;
}

const header = (m: KafkaMessage, name: string) => String(m.headers?.[name] ?? '');

describe('the webhook receiver on Kafka', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });
  const start = async (served: Served, webhooks: Parameters<typeof startSimulator>[0]) => {
    cleanup.push(async () => {
      await served.listening.close();
      await served.receiver.close();
    });
    const sim: RunningSimulator = await startSimulator(webhooks);
    cleanup.push(() => sim.close());
    return sim;
  };

  it("files each verified notification of the simulator's changes, duplicates and all, and never a forged one", async () => {
    const prefix = uniqueName('wh');
    const served = await serve({ TOPIC_PREFIX: prefix });
    await served.receiver.prepare();
    const sim = await start(served, {
      seed: 26,
      workspaceId: APP,
      size: { contacts: 40, conversations: 20, companies: 10 },
      webhooks: {
        url: served.url,
        secret: SECRET,
        faults: { jitterMs: 300, duplicateRate: 0.3, forgedRate: 0.2 },
      },
    });
    sim.mutate.random(150, { streams: ['contacts', 'conversations', 'companies'] });
    await sim.webhooks!.idle();
    const stats = sim.webhooks!.stats();
    const records = await filed(`${prefix}._webhooks`);

    // Every change Intercom notifies, and nothing else, is filed under its workspace and object.
    const expected = new Set(
      sim.truth
        .log()
        .filter((c) => OBJECT[c.stream])
        .map((c) => `${APP}:${OBJECT[c.stream]}:${c.id}`),
    );
    expect(new Set(records.map((r) => r.key))).toEqual(expected);
    // Each delivery answered 200 is one record: the notifications, and the duplicates again.
    expect(stats.notifications).toBeGreaterThanOrEqual(150);
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.forged).toBeGreaterThan(0);
    expect(stats.byStatus).toEqual({ '200': stats.notifications + stats.duplicates, '401': stats.forged });
    expect(records).toHaveLength(stats.notifications + stats.duplicates);
    expect(new Set(records.map((r) => header(r.message, 'intercom-notification-id'))).size).toBe(
      stats.notifications,
    );
    expect(records.filter((r) => String(r.message.value).includes('"forged"'))).toEqual([]);
    // The value is the body Intercom sent, its key naming the workspace and the object in it.
    for (const { key, message } of records) {
      const body = JSON.parse(String(message.value)) as {
        app_id: string;
        topic: string;
        data: { item: { id: string } };
      };
      expect(key).toBe(`${body.app_id}:${body.topic.split('.')[0]}:${body.data.item.id}`);
      expect(header(message, 'intercom-topic')).toBe(body.topic);
    }
    // One object's notifications share a partition.
    const partitions = new Map<string, Set<number>>();
    for (const r of records) partitions.set(r.key, (partitions.get(r.key) ?? new Set()).add(r.partition));
    expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
    const forged = await served.metrics.webhooksReceived.get();
    expect(
      forged.values.filter((v) => v.labels.result === 'forged').reduce((sum, v) => sum + v.value, 0),
    ).toBe(stats.forged);
  });

  it("loses nothing when killed between Kafka's acknowledgement and its 200: Intercom delivers again", async () => {
    const prefix = uniqueName('wh');
    let kills = 0;
    // The first request's connection dies where the 200 would be written, after the record was acked.
    const killFirst =
      (handler: RequestListener): RequestListener =>
      (req, res) => {
        if (kills++ === 0)
          res.writeHead = (() => {
            req.socket.destroy();
            return res;
          }) as typeof res.writeHead;
        handler(req, res);
      };
    const served = await serve({ TOPIC_PREFIX: prefix }, killFirst);
    await served.receiver.prepare();
    const sim = await start(served, {
      seed: 3,
      workspaceId: APP,
      size: { contacts: 5 },
      webhooks: { url: served.url, secret: SECRET, retryDelayMs: 50 },
    });
    const id = sim.mutate.create('contacts');
    await sim.webhooks!.idle();
    const records = await filed(`${prefix}._webhooks`);
    expect(sim.webhooks!.stats().byStatus).toEqual({ error: 1, '200': 1 });
    expect(records.map((r) => r.key)).toEqual([`${APP}:contact:${id}`, `${APP}:contact:${id}`]);
    expect(new Set(records.map((r) => header(r.message, 'intercom-notification-id'))).size).toBe(1);
  });

  it('answers 503, never 429, when Kafka cannot be reached', async () => {
    const served = await serve({
      TOPIC_PREFIX: uniqueName('wh'),
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      WEBHOOKS_ACK_TIMEOUT_MS: '1000',
    });
    const sim = await start(served, {
      seed: 4,
      workspaceId: APP,
      size: { contacts: 5 },
      webhooks: { url: served.url, secret: SECRET, maxAttempts: 2, retryDelayMs: 50 },
    });
    sim.mutate.create('contacts');
    await sim.webhooks!.idle();
    expect(sim.webhooks!.stats()).toMatchObject({ byStatus: { '503': 2 }, abandoned: 1 });
    const received = await served.metrics.webhooksReceived.get();
    expect(received.values.map((v) => [v.labels.result, v.value])).toEqual([['kafka_unavailable', 2]]);
  });
});
