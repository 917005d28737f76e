import { createIntercomClient } from '../app';
import { ConfigError, ExitCode } from '../errors';
import { startHttp } from '../observability/http';
import { Metrics } from '../observability/metrics';
import { buildContactSink, sinkTopics } from '../sink/contacts';
import { loadFromFlags, loggerFor, type CommonFlags } from './context';

export interface SinkFlags extends CommonFlags {
  topic?: string;
  format?: string;
}

/**
 * `sink contacts`: applies the input topic's contact upserts to Intercom until SIGTERM/SIGINT, then exits
 * 0. The record in flight is finished or left uncommitted, never half-committed.
 */
export async function sinkContactsCommand(flags: SinkFlags): Promise<number> {
  const config = loadFromFlags(flags, {
    'sink.contacts.topic': flags.topic,
    'sink.contacts.format': flags.format,
  });
  if (!config.sink.contacts.topic)
    throw new ConfigError('sink contacts needs an input topic: set SINK_CONTACTS_TOPIC or --topic', [
      'sink.contacts.topic',
    ]);
  const logger = loggerFor(config, 'stdout');
  const metrics = new Metrics();
  const stop = new AbortController();
  let ready = false;
  const http =
    config.http.port > 0
      ? await startHttp(
          config.http.port,
          { alive: () => true, ready: () => ({ ok: ready, reason: ready ? 'ready' : 'starting' }) },
          metrics,
        )
      : undefined;
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping');
    stop.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    const client = createIntercomClient(config, logger, metrics.clientObserver());
    const sink = buildContactSink(config, logger, client, {
      onRecord: (result) => {
        ready = true;
        metrics.sinkRecords.inc({ result });
      },
    });
    logger.info({ topics: sinkTopics(config) }, 'contact sink starting');
    const running = sink.run(stop.signal);
    ready = true;
    await running;
    logger.info('stopped');
    return ExitCode.ok;
  } finally {
    await http?.close();
  }
}
