/** `sink contacts`: the contact sink as a service of its own. */
import { buildContactSink, createIntercomClient, sinkTopics } from '../app';
import { ConfigError, ExitCode } from '../errors';
import { Metrics } from '../observability/metrics';
import { loadFromFlags, loggerFor, serveHealth, stopOnSignals, type CommonFlags } from './context';

export interface SinkFlags extends CommonFlags {
  topic?: string;
  format?: string;
}

/**
 * `sink contacts`: applies the input topic's contact upserts to Intercom until SIGTERM/SIGINT, then exits
 * 0. The record in flight is finished or left uncommitted, never half-committed.
 */
export async function sinkContactsCommand(flags: SinkFlags): Promise<number> {
  const config = loadFromFlags(
    flags,
    { 'sink.contacts.topic': flags.topic, 'sink.contacts.format': flags.format },
    { 'sink.contacts.topic': '--topic', 'sink.contacts.format': '--format' },
  );
  if (!config.sink.contacts.topic)
    throw new ConfigError('sink contacts needs an input topic: set SINK_CONTACTS_TOPIC or --topic', [
      'sink.contacts.topic',
    ]);
  const logger = loggerFor(config, 'stdout');
  const metrics = new Metrics();
  const stop = stopOnSignals(logger);
  let ready = false;
  const http = await serveHealth(
    config,
    {
      alive: () => true,
      ready: () => ({ ok: ready, reason: ready ? 'ready' : 'Kafka and the input topic' }),
    },
    metrics,
  );
  try {
    const client = createIntercomClient(config, logger, metrics.clientObserver());
    const sink = buildContactSink(config, logger, client, {
      onRecord: (result) => metrics.sinkRecords.inc({ result }),
      onReady: () => {
        ready = true;
      },
    });
    logger.info({ topics: sinkTopics(config) }, 'contact sink starting');
    await sink.run(stop.signal);
    logger.info('stopped');
    return ExitCode.ok;
  } finally {
    await http?.close();
  }
}
