import type { SimStream } from '../../../src/sim';
import { freePort, stackEnv } from '../../stack/env';
import { TcpProxy } from '../../stack/tcp-proxy';
import { readTopics, testConfig } from '../capture/harness';
import {
  connectorEnv,
  converge,
  deadLetters,
  duplicates,
  mutating,
  startConnector,
  waitFor,
  waitMs,
} from './helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 41, size: { contacts: 1200, admins: 4 } }));

const STREAMS: SimStream[] = ['contacts', 'admins'];

async function status(port: number, path: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * The schema registry unavailable for a while, through a TCP proxy: down when the connector starts
 * (it waits, alive but not ready, retrying with backoff; no crash loop), and down mid-run (schemas are
 * registered at start, so capture goes on). Then restored; the topics hold the truth.
 */
describe('schema registry unavailable', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(stackEnv().registryUrl);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('waits, not ready, while the registry is down at start; keeps capturing while it is down mid-run', async () => {
    const config = testConfig(sim.url, { STREAMS: STREAMS.join(',') });
    const port = await freePort();
    await proxy.down('refuse');
    const run = startConnector(
      connectorEnv(config, {
        SCHEMA_REGISTRY_URL: proxy.rewrite(stackEnv().registryUrl),
        HTTP_PORT: String(port),
      }),
    );
    const changes = mutating(sim, STREAMS, 5, 300);
    try {
      // Down at start: alive, not ready, still running after several backoff rounds (1 s, 2 s, 4 s).
      expect(await waitFor(async () => (await status(port, '/healthz')) === 200, 30_000)).toBe(true);
      const downSince = Date.now();
      let notReady = 0;
      while (Date.now() - downSince < 8000) {
        if ((await status(port, '/readyz')) === 503) notReady++;
        expect({ exited: run.code(), stderr: run.stderr().slice(-500) }).toEqual({
          exited: undefined,
          stderr: '',
        });
        await waitMs(500);
      }
      expect(notReady).toBeGreaterThan(10);
      expect(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.text())).toBe(
        'not ready: the schema registry\n',
      );
      expect(proxy.connections).toBe(0);

      // Restored: ready within the next backoff step.
      await proxy.up();
      const restored = Date.now();
      expect(await waitFor(async () => (await status(port, '/readyz')) === 200, 60_000)).toBe(true);
      const readyAfterMs = Date.now() - restored;

      // Down mid-run (connections reset): changes keep flowing to Kafka.
      await waitMs(1000);
      await proxy.down('reset');
      await waitMs(3000); // changes go on while it is down…
      changes.stop(); // …then the topics must catch up with them, the registry still down
      const prefix = config.kafka.topicPrefix;
      const whileDown = await converge(sim, prefix, STREAMS, 60_000);
      expect({ whileDown, log: whileDown.length ? run.stdout().slice(-3000) : '' }).toEqual({
        whileDown: [],
        log: '',
      });
      expect(run.code()).toBeUndefined();
      await proxy.up();

      expect(await converge(sim, prefix, STREAMS)).toEqual([]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      const events = await readTopics(STREAMS.map((s) => `${prefix}.${s}`));
      expect(duplicates(events)).toEqual([]);
      expect(await deadLetters(`${prefix}._dlq`)).toEqual([]);
      console.log(
        `registry: not ready ${notReady} times over 8 s down at start, ready ${readyAfterMs} ms after it came back, ` +
          `${proxy.refused} connections reset while down mid-run, ${events.length} events, 0 duplicates`,
      );
    } finally {
      changes.stop();
      if (run.code() === undefined) run.child.kill('SIGKILL');
      await run.exited;
    }
  });
});
