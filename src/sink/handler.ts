/**
 * What a sink knows of its API, and nothing of Kafka or offsets: the runner (src/sink/runner.ts) hands
 * it each decoded input record, in order per partition, and commits the record's offset once it
 * resolved. Adding a sink is writing one handler.
 *
 * Errors mean (src/errors.ts): a RejectedRecord sends the record to the dead-letter topic (or stops the
 * sink under `errors.tolerance=none`); a retriable CdcError makes the runner try the same record again
 * with backoff, never skip it; anything else stops the sink.
 */
export interface SinkHandler<Item, Result extends string> {
  /**
   * The record as this sink understands it, or `skip` with the result to count when the record is not
   * for it (the connector's own change events). Pure; throws RejectedRecord for a record it cannot apply.
   */
  parse(value: unknown): { item: Item } | { skip: Result };
  /**
   * The object the record is about (a contact): the runner's replay guard remembers, per key, the input
   * position last applied, so that a replayed record is skipped. Producers keep one key in one partition.
   */
  key(item: Item): string;
  /**
   * Makes the API hold what the record says; resolves with what it did and how many writes it sent (0:
   * the API held it already). `attempt` counts the runner's tries of this record, from 1.
   */
  apply(item: Item, attempt: number): Promise<{ result: Result; writes: number }>;
}
