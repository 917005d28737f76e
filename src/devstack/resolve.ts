/** Finding (or starting) the Kafka + registry a test, the demo or a benchmark uses. */
import { dockerAvailable, startDockerStack } from './docker';
import { StackError } from './errors';
import { findLocalStack, startLocalStack, stopLocalStack } from './local';
import { stackDir } from './paths';
import { kafkaAnswers } from '../kafka/cluster';
import { registryAnswers } from './probe';
import type { StackInfo } from './types';

export interface ResolvedStack {
  info: StackInfo;
  /** Ends what this call started; a no-op for a given cluster or a stack someone else started. */
  release(): Promise<void>;
  /** Whether this call started the stack (then `release` stops it and its data is gone). */
  started: boolean;
}

const keep = async (): Promise<void> => undefined;

/**
 * Finds a Kafka + schema registry, in the order of the README's "The test stack": (1) KAFKA_BROKERS and
 * SCHEMA_REGISTRY_URL when both are set; (2) a local stack already running (`npm run stack:up`);
 * (3) containers when a container runtime answers; (4) a local JVM stack fetched with Maven and started
 * here.
 */
export async function resolveStack(say: (line: string) => void = () => undefined): Promise<ResolvedStack> {
  const given = await givenStack();
  if (given) return { info: given, release: keep, started: false };

  const root = stackDir();
  const running = findLocalStack(root);
  if (running && (await kafkaAnswers(running.brokers)) && (await registryAnswers(running.registryUrl))) {
    return {
      info: { ...running, description: `${running.description} (already running)` },
      release: keep,
      started: false,
    };
  }

  if (await dockerAvailable()) {
    say('stack: a container runtime answers; starting Kafka and Apicurio Registry containers');
    const docker = await startDockerStack();
    return { info: docker.info, release: docker.stop, started: true };
  }

  const info = await startLocalStack(root, say);
  return {
    info,
    release: async () => {
      await stopLocalStack(root);
    },
    started: true,
  };
}

async function givenStack(): Promise<StackInfo | undefined> {
  const brokersEnv = process.env.KAFKA_BROKERS?.trim();
  const registryUrl = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (!brokersEnv && !registryUrl) return undefined;
  if (!brokersEnv || !registryUrl) {
    throw new StackError(
      `Only ${brokersEnv ? 'KAFKA_BROKERS' : 'SCHEMA_REGISTRY_URL'} is set. Set both KAFKA_BROKERS and ` +
        'SCHEMA_REGISTRY_URL to use an existing cluster, or neither to let the tests start a local stack.',
    );
  }
  const brokers = brokersEnv.split(',').map((b) => b.trim());
  if (!(await kafkaAnswers(brokers, 10_000))) {
    throw new StackError(
      `KAFKA_BROKERS=${brokersEnv} did not answer a metadata request within 10 s. Check the address and that the ` +
        'broker is up, or unset KAFKA_BROKERS and SCHEMA_REGISTRY_URL to let the tests start a local stack.',
    );
  }
  if (!(await registryAnswers(registryUrl, 10_000))) {
    throw new StackError(
      `SCHEMA_REGISTRY_URL=${registryUrl} did not answer GET /subjects within 10 s. Give the Confluent-compatible ` +
        'base URL (Apicurio: http://host:port/apis/ccompat/v7), or unset both variables to start a local stack.',
    );
  }
  return {
    source: 'given',
    brokers,
    registryUrl,
    description: `given cluster: ${brokersEnv}, registry ${registryUrl}`,
  };
}
