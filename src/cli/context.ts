import type { Logger } from 'pino';
import { startHttp, type Health } from '../observability/http';
import type { Metrics } from '../observability/metrics';
import { loadConfig, type Config } from '../config';
import { createLogger } from '../observability/logger';

/** Flags every command accepts, mapped onto configuration keys (flags win over everything). */
export interface CommonFlags {
  config?: string;
  logLevel?: string;
  streams?: string;
  kafkaBrokers?: string;
  schemaRegistryUrl?: string;
  topicPrefix?: string;
  intercomBaseUrl?: string;
  connectorName?: string;
  httpPort?: string;
}

export function loadFromFlags(flags: CommonFlags, extra: Record<string, unknown> = {}): Config {
  const list = (v?: string) =>
    v
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return loadConfig({
    configFile: flags.config,
    overrides: {
      'log.level': flags.logLevel,
      'streams.enabled': list(flags.streams),
      'kafka.brokers': list(flags.kafkaBrokers),
      'schemaRegistry.url': flags.schemaRegistryUrl,
      'kafka.topicPrefix': flags.topicPrefix,
      'intercom.baseUrl': flags.intercomBaseUrl,
      'connector.name': flags.connectorName,
      'http.port': flags.httpPort === undefined ? undefined : Number(flags.httpPort),
      ...extra,
    },
  });
}

/**
 * The command's logger. `run` (the service) logs JSON lines to stdout, as containers do; the other
 * commands print data or tables to stdout, so their logs go to stderr and never mix with it.
 */
export function loggerFor(config: Config, to: 'stdout' | 'stderr' = 'stderr'): Logger {
  return createLogger({ level: config.log.level, destination: to === 'stderr' ? process.stderr : undefined });
}

/** Human output goes to stdout; logs (JSON) to stdout too unless the command prints data. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `/healthz`, `/readyz` and `/metrics` on HTTP_PORT; none when it is 0. */
export async function serveHealth(
  config: Config,
  health: Health,
  metrics: Metrics,
): Promise<{ close(): Promise<void> } | undefined> {
  return config.http.port > 0 ? startHttp(config.http.port, health, metrics) : undefined;
}

/** An AbortController aborted by the first SIGTERM or SIGINT (logged): a service's stop request. */
export function stopOnSignals(logger: Logger): AbortController {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping');
    stop.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return stop;
}
