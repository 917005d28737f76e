/**
 * What every command shares: its configuration from the flags, its logger, output, health endpoints and
 * stop signal.
 */
import type { Logger } from 'pino';
import { startHttp, type Health } from '../observability/http';
import type { Metrics } from '../observability/metrics';
import { commaList, loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { ConfigError } from '../errors';
import { STREAMS, isStreamName, type StreamName } from '../streams';

/** The configuration flags (each command takes the ones it uses), mapped onto configuration keys. */
export interface CommonFlags {
  config?: string;
  logLevel?: string;
  streams?: string;
  kafkaBrokers?: string;
  schemaRegistryUrl?: string;
  topicPrefix?: string;
  intercomBaseUrl?: string;
  connectorName?: string;
  httpPort?: number;
}

/** Each configuration flag: its key, and how the command line spells it (messages name the flag). */
export const CONFIG_FLAGS = {
  logLevel: { key: 'log.level', flag: '--log-level' },
  streams: { key: 'streams.enabled', flag: '--streams' },
  kafkaBrokers: { key: 'kafka.brokers', flag: '--kafka-brokers' },
  schemaRegistryUrl: { key: 'schemaRegistry.url', flag: '--schema-registry-url' },
  topicPrefix: { key: 'kafka.topicPrefix', flag: '--topic-prefix' },
  intercomBaseUrl: { key: 'intercom.baseUrl', flag: '--intercom-base-url' },
  connectorName: { key: 'connector.name', flag: '--connector-name' },
  httpPort: { key: 'http.port', flag: '--http-port' },
} as const satisfies Record<Exclude<keyof CommonFlags, 'config'>, { key: string; flag: string }>;

const LIST_FLAGS = new Set(['streams', 'kafkaBrokers']);

/**
 * The configuration from the command's flags (over the environment and the config file); `extra` adds
 * command-specific keys (`flagNames` says which flag set them, for messages).
 */
export function loadFromFlags(
  flags: CommonFlags,
  extra: Record<string, unknown> = {},
  extraFlagNames: Record<string, string> = {},
): Config {
  const overrides: Record<string, unknown> = {};
  const flagNames: Record<string, string> = { ...extraFlagNames };
  for (const [name, { key, flag }] of Object.entries(CONFIG_FLAGS)) {
    const value = flags[name as keyof typeof CONFIG_FLAGS];
    if (value === undefined) continue;
    overrides[key] = LIST_FLAGS.has(name) && typeof value === 'string' ? commaList(value) : value;
    flagNames[key] = flag;
  }
  return loadConfig({ configFile: flags.config, overrides: { ...overrides, ...extra }, flagNames });
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
  return config.http.port > 0 ? startHttp(config.http, health, metrics) : undefined;
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

/** The `--stream` flag of `command`: a known stream, else a usage error (exit 2) that lists them. */
export function streamFlag(command: string, value: string | undefined): StreamName {
  if (!isStreamName(value))
    throw new ConfigError(`${command} needs --stream, one of ${STREAMS.join(', ')}`, ['--stream']);
  return value;
}
