/**
 * The receiver's readiness (serveWebhooks, for `webhooks` and for `run` with WEBHOOKS_ENABLED): not ready
 * until its topic is prepared and its producer connected, not ready once Kafka refused a notification
 * (a 503) until a probe finds Kafka answering again.
 */
import type { WebhookReceiver } from '../../../src/app';
import { serveWebhooks, PROBE_INTERVAL_MS } from '../../../src/cli/webhooks';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/logger';
import { Metrics } from '../../../src/observability/metrics';
import type { ReceiverObserver, ReceiverResult } from '../../../src/webhooks/receiver';

const until = async (check: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
};

describe('the webhook receiver’s readiness', () => {
  it('waits for its producer, and is not ready while Kafka refuses notifications', async () => {
    const config = loadConfig({
      env: { WEBHOOKS_CLIENT_SECRET: 's', WEBHOOKS_PORT: '0', WEBHOOKS_HOST: '127.0.0.1' },
    });
    let prepared: () => void = () => undefined;
    let kafkaAnswers = false;
    let answer: ReceiverResult = 'kafka_unavailable';
    const probe = jest.fn(async () => {
      if (!kafkaAnswers) throw new Error('Kafka away');
    });
    const build = (_c: unknown, _l: unknown, observer: ReceiverObserver): WebhookReceiver => ({
      topic: 'cdc._webhooks',
      handler: (_req, res) => {
        observer.answered(answer, 'contact.user.created', 0.01);
        res.writeHead(answer === 'filed' ? 200 : 503).end();
      },
      prepare: () => new Promise<void>((resolve) => (prepared = resolve)),
      probe,
      close: async () => undefined,
    });
    const stop = new AbortController();
    const served = await serveWebhooks(config, silentLogger(), new Metrics(), stop.signal, build);
    try {
      expect(served.ready()).toBe(false);
      expect(served.reason()).toContain('producer');
      prepared();
      expect(await until(() => served.ready(), 1000)).toBe(true);

      // Kafka refuses a notification: not ready, and still not while the probes fail.
      const post = async () => {
        await fetch(`http://127.0.0.1:${served.port}${config.webhooks.path}`, { method: 'POST', body: '{}' });
      };
      await post();
      expect(served.ready()).toBe(false);
      expect(served.reason()).toContain('refused');
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS + 500));
      expect(probe).toHaveBeenCalled();
      expect(served.ready()).toBe(false);
      // Kafka answers a probe again: ready.
      kafkaAnswers = true;
      expect(await until(() => served.ready(), PROBE_INTERVAL_MS * 2 + 500)).toBe(true);
      // A notification filed also says Kafka is back.
      kafkaAnswers = false;
      await post();
      expect(served.ready()).toBe(false);
      answer = 'filed';
      await post();
      expect(served.ready()).toBe(true);
    } finally {
      stop.abort();
      await served.close();
    }
  }, 20_000);
});
