/**
 * Signals through the real stack and the simulator (README, "Signals"): records written to
 * `<prefix>._signals` as kafka-console-producer would, executed by the running connector. A re-snapshot
 * of 100 listed contacts publishes `r` events for exactly those, once each, and is acknowledged; a
 * malformed or unknown signal is refused with a notification and the run goes on; a signal id seen
 * before is ignored; a SIGKILL during a signalled snapshot resumes it, each object still republished
 * once; a window signal re-reads only that window.
 */
import { Kafka } from 'kafkajs';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { connectorEnv, startCli, waitFor, waitMs, type Running } from '../../stack/cli';
import { stackEnv, testKafka, testRegistry } from '../../stack/env';
import { simulatorsPerTest } from '../../helpers/simulator';
import { readTopics, testConfig } from '../capture/harness';

interface NotificationValue {
  aggregate_type: string;
  type: string;
  additional_data: Record<string, string>;
}

async function notifications(topic: string): Promise<NotificationValue[]> {
  const registry = testRegistry();
  const out: NotificationValue[] = [];
  await readToEnd(testKafka('signals'), [topic], 'signals', async (_topic, messages) => {
    for (const m of messages) out.push((await registry.decode(m.value!)) as NotificationValue);
  });
  return out;
}

const signalNotes = (notes: NotificationValue[], id: string) =>
  notes.filter((n) => n.aggregate_type === 'Signal' && n.additional_data.signal_id === id);

/** Writes raw records to the signal topic, as `kafka-console-producer --property parse.key=true` would. */
async function send(topic: string, key: string, values: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'signals-test', brokers: stackEnv().brokers, logLevel: 0 });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ key, value })) });
  await producer.disconnect();
}

/** The `r` events per contact id in the contacts topic. */
async function readsById(prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readTopics([`${prefix}.contacts`]))
    if (e.value?.op === 'r') out.set(e.id, (out.get(e.id) ?? 0) + 1);
  return out;
}

/** Ids with more than one `r` event: those a signal republished (after the first sync's one each). */
function republished(reads: Map<string, number>): string[] {
  return [...reads]
    .filter(([, n]) => n > 1)
    .map(([id]) => id)
    .sort();
}

describe('signals', () => {
  const simulator = simulatorsPerTest();

  /** Starts the connector on contacts and waits for the end of its first sync. */
  async function started(env: Record<string, string>, prefix: string): Promise<Running> {
    const run = startCli(['run'], env);
    const synced = await waitFor(async () => {
      const notes = await notifications(`${prefix}._notifications`).catch(() => []);
      return notes.some((n) => n.aggregate_type === 'Initial Snapshot' && n.type === 'COMPLETED');
    }, 60_000);
    expect({ synced, stderr: run.stderr().slice(-1000) }).toEqual({ synced: true, stderr: '' });
    return run;
  }

  async function waitForNote(
    prefix: string,
    id: string,
    type: string,
    ms = 60_000,
  ): Promise<NotificationValue[]> {
    let notes: NotificationValue[] = [];
    await waitFor(async () => {
      notes = signalNotes(await notifications(`${prefix}._notifications`), id);
      return notes.some((n) => n.type === type);
    }, ms);
    return notes;
  }

  it('re-snapshots 100 listed contacts: r events for exactly those, once each, acknowledged; refuses what it cannot read; ignores an id seen before', async () => {
    const sim = await simulator({ seed: 251, size: { contacts: 600 } });
    const config = testConfig(sim.url);
    const prefix = config.kafka.topicPrefix;
    const env = connectorEnv(config, { STREAMS: 'contacts', NOTIFICATIONS_PROGRESS_INTERVAL_MS: '0' });
    const run = await started(env, prefix);
    const ids = sim.truth.ids('contacts').slice(100, 200);
    const signal = JSON.stringify({
      id: 'repair-100',
      type: 'execute-snapshot',
      data: { 'data-collections': ['contacts'], ids },
    });
    await send(`${prefix}._signals`, config.connector.name, [
      'not json',
      JSON.stringify({ id: 'unknown-type', type: 'pause-snapshot', data: {} }),
      JSON.stringify({
        id: 'bad-stream',
        type: 'execute-snapshot',
        data: { 'data-collections': ['tickets'] },
      }),
      signal,
    ]);
    const notes = await waitForNote(prefix, 'repair-100', 'DONE');
    expect(notes.map((n) => n.type)).toEqual(
      expect.arrayContaining(['ACCEPTED', 'STARTED', 'IN_PROGRESS', 'DONE']),
    );
    expect(notes.find((n) => n.type === 'ACCEPTED')!.additional_data).toMatchObject({
      data_collections: 'contacts',
      ids: '100',
      connector_name: config.connector.name,
    });
    expect(notes.find((n) => n.type === 'DONE')!.additional_data).toMatchObject({ republished: '100' });

    // Sent again (a replay, or an operator's resend): ignored; the refusal after it shows it was read.
    await send(`${prefix}._signals`, config.connector.name, [
      signal,
      JSON.stringify({ id: 'after', type: 'execute-snapshot' }),
    ]);
    await waitForNote(prefix, 'after', 'REFUSED');
    await waitMs(500);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    const all = (await notifications(`${prefix}._notifications`)).filter(
      (n) => n.aggregate_type === 'Signal',
    );
    const refused = all.filter((n) => n.type === 'REFUSED').map((n) => n.additional_data);
    expect(refused.map((r) => r.signal_id)).toEqual(['', 'unknown-type', 'bad-stream', 'after']);
    expect(refused[0]!.reason).toMatch(/not JSON/);
    expect(refused[1]!.reason).toMatch(/unknown signal type "pause-snapshot"/);
    expect(refused[2]!.reason).toMatch(/tickets is not enabled/);
    expect(refused[3]!.reason).toMatch(/"data" must be an object/);
    expect(signalNotes(all, 'repair-100').filter((n) => n.type === 'ACCEPTED')).toHaveLength(1);

    const reads = await readsById(prefix);
    expect(reads.size).toBe(600);
    expect(republished(reads)).toEqual([...ids].sort());
    expect(Math.max(...reads.values())).toBe(2);
  });

  it('resumes a signalled snapshot after a SIGKILL: every listed contact republished once', async () => {
    const sim = await simulator({ seed: 252, size: { contacts: 1200 }, latency: { ms: 20, p99Ms: 40 } });
    const config = testConfig(sim.url);
    const prefix = config.kafka.topicPrefix;
    const env = connectorEnv(config, {
      STREAMS: 'contacts',
      NOTIFICATIONS_PROGRESS_INTERVAL_MS: '100',
      INTERCOM_MAX_CONCURRENCY: '2',
      RECONCILE_INTERVAL_MS: '600000',
    });
    const first = await started(env, prefix);
    const ids = sim.truth.ids('contacts').slice(0, 1000);
    await send(`${prefix}._signals`, config.connector.name, [
      JSON.stringify({
        id: 'big',
        type: 'execute-snapshot',
        data: { 'data-collections': ['contacts'], ids },
      }),
    ]);
    // Killed once some of it committed, well before its end.
    const midway = await waitFor(
      async () => {
        const notes = signalNotes(await notifications(`${prefix}._notifications`), 'big');
        return notes.some((n) => n.type === 'IN_PROGRESS' && Number(n.additional_data.republished) >= 100);
      },
      60_000,
      50,
    );
    expect(midway).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const before = signalNotes(await notifications(`${prefix}._notifications`), 'big');
    expect(before.some((n) => n.type === 'DONE')).toBe(false);

    const second = startCli(['run'], env);
    const notes = await waitForNote(prefix, 'big', 'DONE', 120_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(notes.filter((n) => n.type === 'STARTED').map((n) => n.additional_data.resumed)).toEqual([
      'false',
      'true',
    ]);
    expect(notes.find((n) => n.type === 'DONE')!.additional_data).toMatchObject({ republished: '1000' });
    const reads = await readsById(prefix);
    expect(republished(reads)).toEqual([...ids].sort());
    expect(Math.max(...reads.values())).toBe(2);
  });

  it('re-reads only an updated_at window, asked with the signal command', async () => {
    const sim = await simulator({ seed: 253, size: { contacts: 800 } });
    const config = testConfig(sim.url);
    const prefix = config.kafka.topicPrefix;
    const env = connectorEnv(config, { STREAMS: 'contacts' });
    const run = await started(env, prefix);
    const updated = sim.truth
      .ids('contacts')
      .map((id) => ({ id, u: Number(sim.truth.get('contacts', id)!.updated_at) * 1000 }))
      .sort((a, b) => a.u - b.u);
    const since = updated[300]!.u;
    const until = updated[450]!.u;
    const inWindow = updated.filter((x) => x.u >= since && x.u <= until).map((x) => x.id);
    expect(inWindow.length).toBeGreaterThan(100);
    expect(inWindow.length).toBeLessThan(300);
    // Sent with the CLI, which follows the acknowledgement to the end.
    const cli = startCli(
      [
        'signal',
        '--stream',
        'contacts',
        '--since',
        new Date(since).toISOString(),
        '--until',
        new Date(until).toISOString(),
        '--id',
        'window',
      ],
      env,
    );
    expect({ code: await cli.exited, stderr: cli.stderr().slice(-1000) }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout()).toContain('signal window sent to');
    expect(cli.stdout()).toContain('accepted: contacts');
    expect(cli.stdout()).toContain(`done: ${inWindow.length} objects republished as r events`);
    const notes = await waitForNote(prefix, 'window', 'DONE');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(notes.find((n) => n.type === 'DONE')!.additional_data).toMatchObject({
      republished: String(inWindow.length),
    });
    expect(republished(await readsById(prefix))).toEqual(inWindow.sort());
  });
});
