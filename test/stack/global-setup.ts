import { resolveStack } from '../../src/devstack/resolve';

/**
 * Jest global setup of the integration tier: finds or starts Kafka + schema registry and hands them to
 * the tests through KAFKA_BROKERS / SCHEMA_REGISTRY_URL (workers inherit this environment).
 */
export default async function globalSetup(): Promise<void> {
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const stack = await resolveStack(say);
  process.env.KAFKA_BROKERS = stack.info.brokers.join(',');
  process.env.SCHEMA_REGISTRY_URL = stack.info.registryUrl;
  process.env.INTERCOM_CDC_TEST_STACK = stack.info.source;
  say(`\nintegration tests use the ${stack.info.description}\n`);
  (globalThis as { __stackRelease?: () => Promise<void> }).__stackRelease = stack.release;
}
