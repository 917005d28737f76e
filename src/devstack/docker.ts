/** The local stack as containers, when a container runtime answers. */
import type { StackInfo } from './types';

/**
 * The container path (the third source of the README's "The test stack"): Kafka and Apicurio Registry
 * as containers, when a container runtime answers. Machines of this project have none, so this path is
 * kept small; it is never the only way to get a stack.
 */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.STACK_DOCKER === '0') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export interface DockerStack {
  info: StackInfo;
  stop(): Promise<void>;
}

export async function startDockerStack(): Promise<DockerStack> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const kafka = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  const info: StackInfo = {
    source: 'docker',
    brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    description: 'containers: confluentinc/cp-kafka 7.9.0 (KRaft), apicurio/apicurio-registry 3.0.9',
  };
  return {
    info,
    stop: async () => {
      await Promise.all([kafka.stop(), registry.stop()]);
    },
  };
}
