import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { freePort, testKafka } from '../../stack/env';
import { testConfig } from '../capture/harness';
import { connectorEnv, converge, startConnector, waitFor } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 79, size: { contacts: 10, tags: 5 } }));

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    async (r) => ({ status: r.status, text: await r.text() }),
    () => ({ status: 0, text: '' }),
  );
}

/** The keys of the `state record skipped` lines in a connector's JSON log. */
function skippedKeys(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes('"state record skipped'))
    .map((line) => (JSON.parse(line) as { key: string }).key);
}

/**
 * Garbage in the state topic of a connector that ran (not JSON, an unknown version, a progress of the
 * wrong type), met by `intercom-cdc run` as users run it: each record is skipped, logged with its key
 * and counted in `intercom_cdc_state_records_skipped_total`, and the connector gets ready and captures;
 * under ERRORS_TOLERANCE=none it refuses to start (exit 1), naming the record.
 */
describe('a state topic with records it cannot read', () => {
  it('skips them (logged with their key, counted) and captures; refuses to start under ERRORS_TOLERANCE=none', async () => {
    const config = testConfig(sim.url, { STREAMS: 'contacts,tags' });
    const name = config.connector.name;
    const app = await buildApp(config, silentLogger());
    const stateTopic = app.topics.state;
    try {
      await app.engine.poll('contacts');
      await app.engine.poll('tags');
    } finally {
      await app.close();
    }
    const [contact] = sim.truth.ids('contacts');
    const garbage = [
      { key: `${name}/contacts/${contact}`, value: '{not json' },
      { key: `${name}/contacts/from-a-later-release`, value: JSON.stringify({ v: 9, u: 1, h: 'x' }) },
      {
        key: `${name}/tags`,
        value: JSON.stringify({ v: 1, watermark: 'soon', lastReconcile: null, snapshotDone: true }),
      },
    ];
    const producer = testKafka('garbage-writer').producer();
    await producer.connect();
    await producer.send({ topic: stateTopic, messages: garbage });
    await producer.disconnect();

    const port = await freePort();
    const run = startConnector(connectorEnv(config, { HTTP_PORT: String(port) }));
    try {
      expect(await waitFor(async () => (await get(port, '/readyz')).status === 200, 60_000)).toBe(true);
      expect(skippedKeys(run.stdout()).sort()).toEqual(garbage.map((g) => g.key).sort());
      expect((await get(port, '/metrics')).text).toMatch(/^intercom_cdc_state_records_skipped_total 3$/m);
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', contact!);
      sim.mutate.update('tags', sim.truth.ids('tags')[0]!);
      sim.mutate.create('contacts');
      expect(await converge(sim, config.kafka.topicPrefix, ['contacts', 'tags'], 30_000)).toEqual([]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }

    const strict = startConnector(connectorEnv(config, { ERRORS_TOLERANCE: 'none' }));
    expect(await strict.exited).toBe(1);
    expect(strict.stderr()).toMatch(
      new RegExp(
        `state_unreadable\\): state record ${name}/\\S+ in ${stateTopic.replace('.', '\\.')} cannot be read: .*ERRORS_TOLERANCE=all skips it`,
      ),
    );
    expect(strict.stdout()).not.toContain('"capturing"');
  });
});
