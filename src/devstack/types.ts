/** Where a Kafka broker and a Confluent-compatible schema registry can be reached. */
export interface StackInfo {
  /** given: KAFKA_BROKERS + SCHEMA_REGISTRY_URL; docker: testcontainers; local: JVMs started here. */
  source: 'given' | 'docker' | 'local';
  brokers: string[];
  registryUrl: string;
  description: string;
}
