/** The command-line flags: which configuration flags each command takes, and the parsers of numeric flags. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CONFIG_FLAGS } from './context';

/** How each configuration flag is written and explained; commands add only the ones they use. */
const FLAG_SPEC: Record<keyof typeof CONFIG_FLAGS | 'config', [string, string]> = {
  config: ['-c, --config <file>', 'JSON or YAML config file (also CONFIG_FILE)'],
  logLevel: ['--log-level <level>', 'log level (LOG_LEVEL)'],
  streams: ['--streams <list>', 'streams to use, comma-separated (STREAMS)'],
  kafkaBrokers: ['--kafka-brokers <list>', 'Kafka bootstrap servers, comma-separated (KAFKA_BROKERS)'],
  schemaRegistryUrl: ['--schema-registry-url <url>', 'schema registry URL (SCHEMA_REGISTRY_URL)'],
  topicPrefix: ['--topic-prefix <prefix>', 'topic prefix (TOPIC_PREFIX)'],
  intercomBaseUrl: ['--intercom-base-url <url>', 'Intercom API base URL (INTERCOM_BASE_URL)'],
  connectorName: ['--connector-name <name>', 'connector name (CONNECTOR_NAME)'],
  httpPort: ['--http-port <port>', 'port of /healthz, /readyz, /metrics; 0: none (HTTP_PORT)'],
};

export type ConfigFlag = keyof typeof FLAG_SPEC;

/** Flag sets by what a command touches. */
export const KAFKA_FLAGS: ConfigFlag[] = [
  'config',
  'logLevel',
  'kafkaBrokers',
  'topicPrefix',
  'connectorName',
];
export const CAPTURE_FLAGS: ConfigFlag[] = [
  ...KAFKA_FLAGS,
  'streams',
  'schemaRegistryUrl',
  'intercomBaseUrl',
];

/** Adds the configuration flags a command uses (and no others, so its help lists only what matters). */
export function withFlags(cmd: Command, names: readonly ConfigFlag[]): Command {
  for (const name of names) {
    const option = new Option(...FLAG_SPEC[name]);
    cmd.addOption(name === 'httpPort' ? option.argParser(portNumber) : option);
  }
  return cmd;
}

/** A flag value that must be a whole number ≥ 1 (`tail --max`); anything else is a usage error (exit 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1.');
  return n;
}

/** A whole number ≥ 0. */
export function natural(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be a whole number (0 or more).');
  return n;
}

/** A number ≥ 0, fractions allowed (rates). */
export function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('must be a number of at least 0.');
  return n;
}

/** A TCP port, 0 to 65535. */
export function portNumber(value: string): number {
  const n = natural(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port, 0 to 65535.');
  return n;
}
