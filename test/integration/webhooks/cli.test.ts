/**
 * The receiver as users run it: `intercom-cdc webhooks` (its own service) and `run` with WEBHOOKS_ENABLED,
 * each a child process on the test stack: URL validation, a signed notification filed and counted, no
 * secret in the output, SIGTERM exits 0; no client secret exits 2 naming the setting.
 */
import { useSimulator } from '../../helpers/simulator';
import { signBody } from '../../../src/sim/webhooks';
import { startCli, waitFor, type Running } from '../../stack/cli';
import { freePort, stackEnv, uniqueName, waitReady } from '../../stack/env';

const SECRET = 'cli-client-secret-do-not-print';
const sim = useSimulator(() => ({ seed: 5, size: { contacts: 5, admins: 2, teams: 1, tags: 2 } }));

const body = JSON.stringify({
  type: 'notification_event',
  app_id: 'cliapp',
  id: 'notif_cli_1',
  topic: 'contact.user.created',
  created_at: 1700000000,
  delivery_attempts: 1,
  data: { type: 'notification_event_data', item: { type: 'contact', id: 'c_cli' } },
});

/** HEAD and a signed POST on the receiver's port, then its counter on /metrics. */
async function exercise(webhooksPort: number, httpPort: number): Promise<string> {
  const url = `http://127.0.0.1:${webhooksPort}/webhooks`;
  expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
  const post = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(body, SECRET) },
    body,
  });
  expect(post.status).toBe(200);
  return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
}

describe('the webhook receiver, run as a user would', () => {
  const base = () => ({
    KAFKA_BROKERS: stackEnv().brokers.join(','),
    SCHEMA_REGISTRY_URL: stackEnv().registryUrl,
    TOPIC_PREFIX: uniqueName('whcli'),
    KAFKA_REPLICATION_FACTOR: '1',
    KAFKA_TOPIC_PARTITIONS: '1',
    LOG_LEVEL: 'info',
  });

  async function stopped(run: Running): Promise<number | null> {
    run.child.kill('SIGTERM');
    return run.exited;
  }

  it('`webhooks` gets ready once its topic exists, files a signed notification, and SIGTERM exits 0', async () => {
    const [httpPort, webhooksPort] = [await freePort(), await freePort()];
    const run = startCli(['webhooks', '--port', String(webhooksPort)], {
      ...base(),
      HTTP_PORT: String(httpPort),
      WEBHOOKS_CLIENT_SECRET: SECRET,
    });
    expect(await waitReady(httpPort)).toBe(true);
    const metrics = await exercise(webhooksPort, httpPort);
    expect(metrics).toMatch(
      /intercom_cdc_webhooks_received_total\{topic="contact.user.created",result="filed"\} 1/,
    );
    expect(await stopped(run)).toBe(0);
    expect(run.stdout()).toContain('receiving webhooks');
    expect(run.stdout() + run.stderr()).not.toContain(SECRET);
  });

  it('`run` with WEBHOOKS_ENABLED serves the receiver beside the capture', async () => {
    const [httpPort, webhooksPort] = [await freePort(), await freePort()];
    const run = startCli(['run'], {
      ...base(),
      CONNECTOR_NAME: uniqueName('whcli'),
      INTERCOM_BASE_URL: sim.url,
      INTERCOM_TOKEN: 'tok',
      STREAMS: 'admins,teams,tags',
      HTTP_PORT: String(httpPort),
      WEBHOOKS_ENABLED: 'true',
      WEBHOOKS_PORT: String(webhooksPort),
      WEBHOOKS_CLIENT_SECRET: SECRET,
    });
    expect(await waitFor(() => run.stdout().includes('receiving webhooks'), 60_000)).toBe(true);
    const metrics = await exercise(webhooksPort, httpPort);
    expect(metrics).toMatch(/intercom_cdc_webhooks_received_total\{topic="none",result="head"\} 1/);
    expect(await stopped(run)).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain(SECRET);
  });

  it('exits 2 without a client secret, naming the setting', async () => {
    const run = startCli(['webhooks'], { ...base(), HTTP_PORT: '0', WEBHOOKS_PORT: '0' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain('WEBHOOKS_CLIENT_SECRET');
  });
});
