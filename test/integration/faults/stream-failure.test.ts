import type { SimStream } from '../../../src/sim';
import { freePort } from '../../stack/env';
import { testConfig } from '../capture/harness';
import { connectorEnv, converge, mutating, startConnector, waitFor } from './helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 43, size: { contacts: 300, admins: 4 } }));

const HEALTHY: SimStream[] = ['contacts', 'admins'];

async function readyz(port: number): Promise<{ status: number; text: string }> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    async (r) => ({ status: r.status, text: await r.text() }),
    () => ({ status: 0, text: '' }),
  );
}

/**
 * One stream whose listing Intercom refuses (a 400 on every read of /tags) stops alone: `run` does not
 * exit, `/readyz` names the stream and why, the other streams keep converging on the workspace; once
 * Intercom answers again the stream runs again after its backoff and the connector is ready.
 */
describe('one stream failing', () => {
  it('stops that stream alone, says so in /readyz, and runs it again once it reads', async () => {
    const config = testConfig(sim.url, { STREAMS: [...HEALTHY, 'tags'].join(',') });
    const port = await freePort();
    sim.faults.add({ kind: 'status', status: 400, match: { path: '/tags' }, times: Infinity });
    const run = startConnector(connectorEnv(config, { HTTP_PORT: String(port) }));
    const changes = mutating(sim, HEALTHY, 5, 300);
    try {
      let state = await readyz(port);
      expect(await waitFor(async () => (state = await readyz(port)).text.includes('tags ('), 60_000)).toBe(
        true,
      );
      expect(state.status).toBe(503);
      expect(state.text).toMatch(
        /^not ready: streams stopped after a failure, tried again with backoff: tags \(.*400/,
      );
      changes.stop();
      const prefix = config.kafka.topicPrefix;
      expect(await converge(sim, prefix, HEALTHY, 60_000)).toEqual([]); // the others go on
      expect(run.code()).toBeUndefined();

      sim.faults.clear();
      expect(await waitFor(async () => (await readyz(port)).status === 200, 60_000)).toBe(true);
      expect(await converge(sim, prefix, ['tags'], 30_000)).toEqual([]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      changes.stop();
      run.child.kill('SIGKILL');
    }
  });
});
