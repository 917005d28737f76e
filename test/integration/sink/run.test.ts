import { connectorEnv, startCli, waitFor } from '../../stack/cli';
import { freePort, testKafka, waitReady } from '../../stack/env';
import { readTopics } from '../capture/harness';
import { createInputTopic, produceJson, sinkConfig, writes } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 25, size: { contacts: 20 } }));

/**
 * `run` with SINK_CONTACTS_ENABLED: capture and sink in one process on one Intercom client. What the
 * sink writes comes back as change events on the contacts topic (real changes); nothing is written twice.
 */
describe('run with the contact sink beside capture', () => {
  it('applies the input, captures the result back, and writes each contact once', async () => {
    const config = sinkConfig(sim.url);
    const topic = config.sink.contacts.topic;
    const kafka = testKafka('sink-run');
    await createInputTopic(kafka, topic, 1);
    const port = await freePort();
    const run = startCli(
      ['run'],
      connectorEnv(config, {
        STREAMS: 'contacts',
        KAFKA_TOPIC_PARTITIONS: '1',
        POLL_INTERVAL_MS: '300',
        SINK_CONTACTS_ENABLED: 'true',
        HTTP_PORT: String(port),
      }),
    );
    try {
      expect(await waitReady(port)).toBe(true);
      const before = writes(sim);
      const records = Array.from({ length: 5 }, (_, i) => ({ external_id: `run-${i}`, name: `Run ${i}` }));
      await produceJson(kafka, topic, records);

      const contactsTopic = `${config.kafka.topicPrefix}.contacts`;
      const captured = async () =>
        (await readTopics([contactsTopic])).filter((e) =>
          String(e.value?.after?.external_id ?? '').startsWith('run-'),
        );
      expect(await waitFor(async () => (await captured()).length >= 5, 60_000, 500)).toBe(true);
      const events = await captured();
      expect(events.map((e) => e.value!.after!.name).sort()).toEqual(records.map((r) => r.name).sort());

      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/intercom_cdc_sink_records_total\{result="created"\} 5/);
      expect(metrics).toMatch(/intercom_cdc_events_total\{stream="contacts",op="c"\} 5/);
      const after = writes(sim);
      expect(after['POST /contacts']! - (before['POST /contacts'] ?? 0)).toBe(5);
      expect(after['PUT /contacts/{id}'] ?? 0).toBe(before['PUT /contacts/{id}'] ?? 0);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect({ code: await run.exited, stderr: run.stderr() }).toEqual({ code: 0, stderr: '' });
  });
});
