/**
 * `webhooks`: the webhook receiver as a service of its own (README, "Webhooks"): stateless, any number of
 * replicas behind one URL, each filing verified notifications into the webhooks topic (WEBHOOKS_TOPIC,
 * else `<prefix>._webhooks`). `run` serves the same receiver beside the capture when WEBHOOKS_ENABLED
 * (serveWebhooks).
 */
import type { Logger } from 'pino';
import { buildWebhookReceiver, type WebhookReceiver } from '../app';
import type { Config } from '../config';
import { ExitCode } from '../errors';
import { Metrics } from '../observability/metrics';
import { isRetriable, retry } from '../retry';
import { sleep } from '../sleep';
import { startReceiver } from '../webhooks/receiver';
import { loadFromFlags, loggerFor, serveHealth, stopOnSignals, type CommonFlags } from './context';

export interface WebhooksFlags extends CommonFlags {
  port?: number;
}

/** Waits between two attempts to prepare the webhooks topic while Kafka is away. */
const PREPARE_AGAIN = { minMs: 1_000, maxMs: 60_000 };

/** How often Kafka is asked again, while it refuses notifications, whether it answers (ms). */
export const PROBE_INTERVAL_MS = 2000;

/** A receiver being served: whether it is ready, and its stop. */
export interface ServedWebhooks {
  /**
   * Ready: its topic exists and its producer is connected, and Kafka did not refuse the last
   * notification (answered 503) without answering a probe since.
   */
  ready(): boolean;
  /** What it waits for while not ready (for /readyz). */
  reason(): string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * Settles with the error that ended the topic's preparation for good (not a Kafka outage: a refused
   * authorization, say); stays pending otherwise. The receiver answers 503 from then on.
   */
  failed: Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Serves the webhook receiver on WEBHOOKS_HOST:WEBHOOKS_PORT at once, and prepares its topic in the
 * background, again with backoff while Kafka is away (meanwhile notifications are answered 503, which
 * Intercom delivers again). A missing client secret is a ConfigError, thrown before anything listens.
 */
export async function serveWebhooks(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  signal: AbortSignal,
  build: typeof buildWebhookReceiver = buildWebhookReceiver,
): Promise<ServedWebhooks> {
  const log = logger.child({ module: 'webhooks' });
  const counted = metrics.receiverObserver();
  /** Set while Kafka refuses notifications (a 503), until a probe or a notification gets through. */
  let refusing = false;
  let probing: Promise<void> | undefined;
  const receiver: WebhookReceiver = build(config, logger, {
    answered: (result, topic, seconds) => {
      counted.answered(result, topic, seconds);
      if (result === 'filed') refusing = false;
      if (result !== 'kafka_unavailable' || !topicReady) return;
      refusing = true;
      probing ??= probeUntilAnswered().finally(() => (probing = undefined));
    },
  });
  const listening = await startReceiver(config.webhooks, receiver.handler);
  let topicReady = false;
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<unknown>((resolve) => (fail = resolve));
  // Closing ends the preparation too, even without a stop request (`run` ending on a failure).
  const closing = new AbortController();
  const stopping = AbortSignal.any([signal, closing.signal]);
  const preparing = retry(() => receiver.prepare(), {
    policy: PREPARE_AGAIN,
    signal: stopping,
    onRetry: ({ error, delayMs }) =>
      log.warn(
        { err: error, retryInMs: delayMs },
        'webhooks topic not ready: notifications are answered 503',
      ),
  }).then(
    () => {
      topicReady = true;
      log.info(
        { port: listening.port, path: config.webhooks.path, topic: receiver.topic },
        'receiving webhooks',
      );
    },
    (error: unknown) => {
      if (stopping.aborted && isRetriable(error)) return;
      log.error({ err: error }, 'webhooks topic failed: notifications are answered 503');
      fail(error);
    },
  );
  /** Asks Kafka every PROBE_INTERVAL_MS while it refuses, until it answers or the receiver stops. */
  async function probeUntilAnswered(): Promise<void> {
    log.warn('Kafka refused a notification (answered 503): not ready until it answers again');
    while (refusing && !stopping.aborted) {
      await sleep(PROBE_INTERVAL_MS, stopping).catch(() => undefined);
      if (!refusing || stopping.aborted) return;
      try {
        await receiver.probe();
        refusing = false;
        log.info('Kafka answers again: ready');
      } catch {
        // still away: asked again after the interval
      }
    }
  }
  return {
    port: listening.port,
    ready: () => topicReady && !refusing,
    reason: () =>
      !topicReady
        ? 'the webhooks topic and its producer'
        : 'Kafka, which refused the last notification (answered 503)',
    failed,
    close: async () => {
      closing.abort();
      await listening.close();
      await preparing;
      await probing;
      await receiver.close();
    },
  };
}

/**
 * `intercom-cdc webhooks`: receives notifications until SIGTERM/SIGINT, then stops taking requests, lets
 * the ones in flight finish and exits 0. Ready once the webhooks topic exists. Exit 2 without a client
 * secret; a topic that cannot be prepared for another reason than an outage ends it with that error.
 */
export async function webhooksCommand(flags: WebhooksFlags): Promise<number> {
  const config = loadFromFlags(flags, flags.port === undefined ? {} : { 'webhooks.port': flags.port }, {
    'webhooks.port': '--port',
  });
  const logger = loggerFor(config, 'stdout');
  const metrics = new Metrics();
  const stop = stopOnSignals(logger);
  let served: ServedWebhooks | undefined;
  const http = await serveHealth(
    config,
    {
      alive: () => true,
      ready: () =>
        served?.ready() ? { ok: true } : { ok: false, reason: served?.reason() ?? 'the webhooks topic' },
    },
    metrics,
  );
  try {
    served = await serveWebhooks(config, logger, metrics, stop.signal);
    const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
    const failure = await Promise.race([stopped, served.failed.then((error) => ({ error }))]);
    await served.close();
    // A topic that cannot be prepared (not a Kafka outage) ends the command with its error's exit code.
    if (failure) throw failure.error;
    logger.info('stopped');
    return ExitCode.ok;
  } finally {
    await http?.close();
  }
}
