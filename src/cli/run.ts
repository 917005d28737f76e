import { buildApp } from '../app';
import { ExitCode } from '../errors';
import { startHttp } from '../observability/http';
import { Metrics } from '../observability/metrics';
import { buildContactSink } from '../sink/contacts';
import { loadFromFlags, loggerFor, type CommonFlags } from './context';

/**
 * `intercom-cdc run`: captures until SIGTERM/SIGINT (and runs the contact sink beside it when
 * SINK_CONTACTS_ENABLED). A stop request ends the current walk between two
 * pages (what it had not committed is dropped, so nothing is half-published) and exits 0.
 */
export async function runCommand(flags: CommonFlags): Promise<number> {
  const config = loadFromFlags(flags);
  const logger = loggerFor(config, 'stdout');
  const metrics = new Metrics();
  const stop = new AbortController();
  let step = 'starting';
  let alive = true;
  const http =
    config.http.port > 0
      ? await startHttp(
          config.http.port,
          { alive: () => alive, ready: () => ({ ok: step === 'ready', reason: step }) },
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
    const app = await buildApp(config, logger, {
      clientObserver: metrics.clientObserver(),
      transactions: metrics.transactionObserver(),
      engineObserver: (store) => metrics.engineObserver((s) => store.size(s)),
      step: (name) => {
        step = name;
      },
    });
    logger.info({ workspace: app.workspaceId, streams: config.streams.enabled }, 'capturing');
    try {
      const tasks = [app.engine.run(stop.signal)];
      if (config.sink.contacts.enabled) {
        // Same client: capture and sink share one rate-limit budget and one token.
        const sink = buildContactSink(config, logger, app.client, {
          onRecord: (result) => metrics.sinkRecords.inc({ result }),
        });
        tasks.push(sink.run(stop.signal));
      }
      // The first failure stops the other task too; both settle before the process ends.
      const results = await Promise.allSettled(
        tasks.map((t) =>
          t.catch((error: unknown) => {
            stop.abort();
            throw error;
          }),
        ),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      alive = false;
      await app.close();
    }
    logger.info('stopped');
    return ExitCode.ok;
  } finally {
    await http?.close();
  }
}
