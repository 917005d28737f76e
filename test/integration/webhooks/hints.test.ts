/**
 * Hints, never data (WEBHOOKS_HINTS): `run` with the receiver inside and a poll interval of 10 minutes
 * publishes a contact's update, creation and deletion within seconds of the simulator's webhooks, each
 * once, though the notifications come late, out of order, twice, and beside forgeries; and a burst of
 * random changes ends as the simulator's ground truth, each version once.
 */
import { startSimulator, type RunningSimulator } from '../../../src/sim';
import { byId, readTopics } from '../capture/harness';
import { startCli, waitFor, type Running } from '../../stack/cli';
import { freePort, stackEnv, uniqueName, waitReady } from '../../stack/env';

const SECRET = 'hints-client-secret';

async function metricsOf(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
}

const count = (metrics: string, op: string) =>
  Number(
    new RegExp(`intercom_cdc_events_total\\{stream="contacts",op="${op}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
  );

describe('webhook hints', () => {
  let sim: RunningSimulator | undefined;
  let run: Running | undefined;
  afterEach(async () => {
    run?.child.kill('SIGTERM');
    await run?.exited;
    await sim?.close();
  });

  /** A simulator posting faulty webhooks to a `run` with hints and a 10-minute poll, once both are ready. */
  async function start(seed: number): Promise<{ httpPort: number; prefix: string }> {
    const [httpPort, webhooksPort] = [await freePort(), await freePort()];
    const prefix = uniqueName('hints');
    sim = await startSimulator({
      seed,
      size: { contacts: 20 },
      webhooks: {
        url: `http://127.0.0.1:${webhooksPort}/webhooks`,
        secret: SECRET,
        retryDelayMs: 200,
        maxAttempts: 20,
        faults: { jitterMs: 500, duplicateRate: 0.5, forgedRate: 0.5 },
      },
    });
    run = startCli(['run'], {
      KAFKA_BROKERS: stackEnv().brokers.join(','),
      SCHEMA_REGISTRY_URL: stackEnv().registryUrl,
      TOPIC_PREFIX: prefix,
      CONNECTOR_NAME: uniqueName('hints'),
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TOPIC_PARTITIONS: '2',
      INTERCOM_BASE_URL: sim.url,
      INTERCOM_TOKEN: 'tok',
      STREAMS: 'contacts',
      POLL_INTERVAL_MS: '600000',
      RECONCILE_INTERVAL_MS: '36000000',
      HTTP_PORT: String(httpPort),
      WEBHOOKS_ENABLED: 'true',
      WEBHOOKS_HINTS: 'true',
      WEBHOOKS_PORT: String(webhooksPort),
      WEBHOOKS_CLIENT_SECRET: SECRET,
      LOG_LEVEL: 'info',
    });
    expect(await waitReady(httpPort)).toBe(true);
    // The first snapshot, then nothing is polled for 10 minutes.
    expect(await waitFor(async () => count(await metricsOf(httpPort), 'r') === 20, 60_000)).toBe(true);
    // Let the consumer group join before the notifications are filed (a new group starts at the end).
    expect(await waitFor(() => run!.stdout().includes('receiving webhooks'), 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    return { httpPort, prefix };
  }

  it('publish changes and deletes in seconds, each once, from Intercom answers (not the notifications)', async () => {
    const { httpPort } = await start(11);
    const s = sim!;
    const [updated, removed] = s.truth.ids('contacts');
    const started = Date.now();
    s.mutate.update('contacts', updated!);
    s.mutate.remove('contacts', removed!);
    s.mutate.create('contacts');
    const seen = await waitFor(async () => {
      const m = await metricsOf(httpPort);
      return count(m, 'u') >= 1 && count(m, 'd') >= 1 && count(m, 'c') >= 1;
    }, 30_000);
    const tookMs = Date.now() - started;
    expect(seen).toBe(true);
    await s.webhooks!.idle();
    await new Promise((r) => setTimeout(r, 2000));
    const metrics = await metricsOf(httpPort);
    // Each version once, though its notification came twice or late, and the forgeries were refused.
    expect([count(metrics, 'u'), count(metrics, 'd'), count(metrics, 'c'), count(metrics, 'r')]).toEqual([
      1, 1, 1, 20,
    ]);
    expect(metrics).toMatch(/intercom_cdc_webhook_hint_reads_total\{stream="contacts"\} [1-9]/);
    expect(s.webhooks!.stats().forged).toBeGreaterThan(0);
    expect(metrics).toMatch(/intercom_cdc_webhooks_received_total\{topic="none",result="forged"\} [1-9]/);
    process.stderr.write(`webhook hints: the three changes published within ${tookMs} ms\n`);
  });

  it("end a burst of random changes as the simulator's ground truth, each version once", async () => {
    const { prefix } = await start(12);
    const s = sim!;
    for (let i = 0; i < 40; i++) {
      // A second apart in sim time: every version has an updated_at of its own.
      s.clock.advance(1000);
      s.mutate.random(1, { streams: ['contacts'] });
    }
    await s.webhooks!.idle();
    const live = new Set(s.truth.ids('contacts'));
    const everyId = new Set(s.truth.log().map((c) => c.id));
    const matches = (events: ReturnType<typeof byId>) =>
      [...everyId].every((id) => {
        const last = events.get(id)?.at(-1);
        if (!live.has(id)) return last === undefined || last.value === null;
        const raw = last?.value?.raw;
        return (
          raw != null &&
          (JSON.parse(raw) as { updated_at: number }).updated_at === s.truth.get('contacts', id)!.updated_at
        );
      });
    let events = byId(await readTopics([`${prefix}.contacts`]));
    expect(
      await waitFor(
        async () => {
          events = byId(await readTopics([`${prefix}.contacts`]));
          return matches(events);
        },
        30_000,
        1000,
      ),
    ).toBe(true);
    // Each version once: no object's events repeat a version, and none has more than its changes.
    for (const [id, list] of events) {
      const versions = list.filter((e) => e.value && e.value.op !== 'r').map((e) => e.value!.raw);
      expect(new Set(versions).size).toBe(versions.length);
      const changes = s.truth.log().filter((c) => c.id === id).length;
      expect(versions.length).toBeLessThanOrEqual(changes);
    }
  });
});
