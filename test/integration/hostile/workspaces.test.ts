import { buildApp } from '../../../src/app';
import { ConfigError, exitCodeFor } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';
import { testConfig } from '../capture/harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 51, size: { contacts: 10 } }));

/**
 * Two workspaces under one CONNECTOR_NAME on one cluster: the state topic says whose state it holds,
 * and the second workspace is refused (exit 2, naming the setting) instead of restoring the first's
 * objects as its own and deleting them as missing.
 */
describe('one connector name, two workspaces', () => {
  it('claims the state for its workspace, and refuses another workspace under the same name', async () => {
    const first = testConfig(sim.url, { STREAMS: 'tags', WORKSPACE_ID: 'ws-one' });
    const shared = { TOPIC_PREFIX: first.kafka.topicPrefix, CONNECTOR_NAME: first.connector.name };
    const app = await buildApp(first, silentLogger());
    try {
      await app.engine.poll('tags');
      expect(app.store.workspace).toBe('ws-one');
    } finally {
      await app.close();
    }
    // The same workspace again: its own state, restored.
    const again = await buildApp(
      testConfig(sim.url, { STREAMS: 'tags', WORKSPACE_ID: 'ws-one', ...shared }),
      silentLogger(),
    );
    try {
      expect(again.store.size('tags')).toBeGreaterThan(0);
    } finally {
      await again.close();
    }
    const other = buildApp(
      testConfig(sim.url, { STREAMS: 'tags', WORKSPACE_ID: 'ws-two', ...shared }),
      silentLogger(),
    );
    const error = await other.then(
      async (built) => {
        await built.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /for workspace ws-one, not ws-two: give each workspace its own CONNECTOR_NAME/,
    );
    expect(exitCodeFor(error)).toBe(2);
  });
});
