/** Sinks: from a Kafka topic into Intercom. One generic runner (src/kafka/sink-runner.ts: Kafka, offsets,
 * replay guard, dead letters, retries), one handler per sink. */
export { SinkRunner, type RunnerResult, type SinkRunnerOptions, type SinkTopics } from '../kafka/sink-runner';
export type { SinkHandler } from './handler';
export { RejectedRecord } from './rejected';
