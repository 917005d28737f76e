/**
 * `run`: the service. Captures (and runs the contact sink beside it) until stopped, starting over while
 * Kafka is away.
 */
import { buildApp, buildContactSink, runSignals, runWebhookHints, type App } from '../app';
import type { Config } from '../config';
import { baseUrlFor } from '../intercom';
import { packageVersion } from '../version';
import { ExitCode } from '../errors';
import { isKafkaUnavailable, kafkaError } from '../kafka/errors';
import { Metrics } from '../observability/metrics';
import { loadFromFlags, loggerFor, serveHealth, stopOnSignals, type CommonFlags } from './context';
import { isRetriable, retry } from '../retry';
import { withoutCredentials } from '../urls';
import { serveWebhooks, type ServedWebhooks } from './webhooks';

/** What /readyz says the connector waits for, after each start-up step. */
const WAITING_FOR: Record<string, string> = {
  starting: 'Intercom (GET /me)',
  intercom: 'the schema registry',
  registry: 'Kafka topics',
  topics: 'the transactional producer',
  producer: 'the state restore',
  state: 'the capture engine',
};

/**
 * The start-up line: version, workspace, streams and where it reads and writes. No secrets: the token
 * and passwords are not in it, and URLs lose any user:password they carry.
 */
export function startupSummary(config: Config, workspaceId: string): Record<string, unknown> {
  return {
    version: packageVersion(),
    connector: config.connector.name,
    workspace: workspaceId,
    streams: config.streams.enabled,
    intercom: withoutCredentials(config.intercom.baseUrl || baseUrlFor(config.intercom.region)),
    apiVersion: config.intercom.apiVersion,
    kafka: {
      brokers: config.kafka.brokers,
      topicPrefix: config.kafka.topicPrefix,
      tls: config.kafka.ssl.enabled,
      sasl: config.kafka.sasl.mechanism,
    },
    schemaRegistry: withoutCredentials(config.schemaRegistry.url),
    sink: config.sink.contacts.enabled ? config.sink.contacts.topic : false,
  };
}

/** Waits between two start-overs while Kafka is away: unbounded, until it answers or a stop request. */
const START_OVER = { minMs: 1_000, maxMs: 60_000 };

/**
 * `intercom-cdc run`: captures until SIGTERM/SIGINT (and runs the contact sink beside it when
 * SINK_CONTACTS_ENABLED, and the webhook receiver when WEBHOOKS_ENABLED). A stop request ends the current walk between two pages (what it had not
 * committed is dropped, so nothing is half-published) and exits 0. When a life fails for a retriable
 * reason (Kafka away: a broker restart, a network cut) the connector does not exit: it drops what it had
 * not committed, waits with backoff (not ready, still alive) and starts over like a restarted process,
 * restoring its state from Kafka.
 */
export async function runCommand(flags: CommonFlags): Promise<number> {
  const config = loadFromFlags(flags);
  const logger = loggerFor(config, 'stdout');
  const metrics = new Metrics();
  const stop = stopOnSignals(logger);
  let step = 'starting';
  let alive = true;
  /** Streams stopped by a failure of their own (the engine tries them again): not ready meanwhile. */
  const failedStreams = new Map<string, string>();
  /** The webhook receiver (WEBHOOKS_ENABLED): not ready until its producer is connected, nor while Kafka refuses it. */
  const receiver: { served?: ServedWebhooks } = {};
  const ready = (): { ok: boolean; reason?: string } => {
    if (step !== 'ready') return { ok: false, reason: WAITING_FOR[step] ?? step };
    const webhooks = receiver.served;
    if (webhooks && !webhooks.ready())
      return { ok: false, reason: `the webhook receiver: ${webhooks.reason()}` };
    if (failedStreams.size === 0) return { ok: true };
    const streams = [...failedStreams].map(([stream, why]) => `${stream} (${why})`).join('; ');
    return { ok: false, reason: `streams stopped after a failure, tried again with backoff: ${streams}` };
  };
  const http = await serveHealth(config, { alive: () => alive, ready }, metrics);
  // The receiver outlives the capture's lives: Kafka away answers 503 there, whatever the capture does.
  const webhooks = config.webhooks.enabled
    ? await serveWebhooks(config, logger, metrics, stop.signal)
    : undefined;
  receiver.served = webhooks;
  /** Schemas registered by the first life; later lives do not need the registry. */
  let codecs: App['codecs'] | undefined;

  try {
    await retry(captureOnce, {
      policy: START_OVER,
      signal: stop.signal,
      onRetry: ({ error, delayMs }) => {
        step = 'Kafka (unavailable; starting over once it answers)';
        logger.warn(
          { err: error, retryInMs: delayMs },
          'Kafka unavailable: what was not committed is dropped; starting over once it is back',
        );
      },
    });
    logger.info('stopped');
    return ExitCode.ok;
  } catch (error) {
    // Stopped while waiting to start over: a clean stop, nothing was half-published.
    if (stop.signal.aborted && isRetriable(error)) return ExitCode.ok;
    throw error;
  } finally {
    alive = false;
    await webhooks?.close();
    await http?.close();
  }

  /** One life of the connector: build, capture (and sink) until stopped or failed, close. */
  async function captureOnce(): Promise<void> {
    step = 'starting';
    let app: App | undefined;
    try {
      app = await buildApp(config, logger, {
        clientObserver: metrics.clientObserver(),
        transactions: metrics.transactionObserver(),
        onConcurrentTransactionRetry: () => metrics.concurrentTransactionRetries.inc(),
        onRetriedKafkaError: (error) => metrics.kafkaRetriedErrors.inc({ error }),
        onStateRecordSkipped: () => metrics.stateRecordsSkipped.inc(),
        engineObserver: (store) => {
          const observer = metrics.engineObserver(
            (s) => store.size(s),
            (s) => store.bytes(s),
          );
          return {
            ...observer,
            streamFailed: (stream, error) => {
              failedStreams.set(stream, error instanceof Error ? error.message.slice(0, 300) : String(error));
              observer.streamFailed?.(stream, error);
            },
            streamRecovered: (stream) => {
              failedStreams.delete(stream);
              observer.streamRecovered?.(stream);
            },
          };
        },
        step: (name) => {
          step = name;
        },
        codecs,
      });
      codecs = app.codecs;
      logger.info(startupSummary(config, app.workspaceId), 'capturing');
      // This life ends on a stop request, or when one task fails: the other task stops too.
      const failing = new AbortController();
      const life = AbortSignal.any([stop.signal, failing.signal]);
      const tasks = [app.engine.run(life)];
      if (config.sink.contacts.enabled) {
        // Same client: capture and sink share one rate-limit budget and one token.
        const sink = buildContactSink(config, logger, app.client, {
          onRecord: (result) => metrics.sinkRecords.inc({ result }),
        });
        tasks.push(sink.run(life));
      }
      if (app.signals)
        tasks.push(runSignals(config, logger, app, life, (result) => metrics.signals.inc({ result })));
      if (config.webhooks.hints) {
        tasks.push(
          runWebhookHints(config, logger, app, life, (stream, objects, events, filedAtMs) => {
            metrics.webhookHintReads.inc({ stream }, objects);
            metrics.webhookHintEvents.inc({ stream }, events);
            if (events > 0 && filedAtMs !== undefined)
              metrics.webhookNotificationToEvent.observe(
                { stream },
                Math.max(0, Date.now() - filedAtMs) / 1000,
              );
          }),
        );
      }
      const results = await Promise.allSettled(
        tasks.map((t) =>
          t.catch((error: unknown) => {
            failing.abort();
            throw error;
          }),
        ),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (error) {
      throw typed(error);
    } finally {
      step = 'starting';
      failedStreams.clear();
      await app?.close().catch(() => undefined);
    }
  }
}

/** A kafkajs error that escaped untyped (a client's connect, say) says what it is: an outage is retriable. */
function typed(error: unknown): unknown {
  return isKafkaUnavailable(error) ? kafkaError('running', error) : error;
}
