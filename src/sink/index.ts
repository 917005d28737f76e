/** Sinks: from a Kafka topic into Intercom. One generic runner (runner.ts: offsets, replay guard, dead
 * letters, retries; Kafka through src/kafka/sink-kafka.ts), one handler per sink. */
export { SinkRunner, type RunnerResult, type SinkRunnerOptions } from './runner';
export type { SinkHandler } from './handler';
export { RejectedRecord } from './rejected';
