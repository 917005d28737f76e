/**
 * What the rest of the connector knows of publishing to Kafka, whichever client does it (config
 * `kafka.client`): the transactional publisher, the connection and the client choices. A message and
 * the messages of one topic are the capture's contracts (src/capture/contracts.ts), which the
 * publishers implement. Only src/kafka and the composition root (src/app.ts, src/main.ts) import a
 * Kafka client.
 */
import type { Committer, ConsumedOffsets, TopicBatch } from '../capture/contracts';

export type { ConsumedOffsets, Message, TopicBatch } from '../capture/contracts';

/** The SASL mechanisms both clients speak (config `kafka.sasl.mechanism`, beside `none`). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Where and how to reach Kafka (src/kafka/connection.ts builds it from the settings), for either client. */
export interface KafkaConnection {
  clientId: string;
  brokers: string[];
  /** TLS options (CA, client certificate and key); absent: plaintext. */
  tls?: { rejectUnauthorized: boolean; ca?: string[]; cert?: string; key?: string };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

/** The Kafka clients a publisher can be built on (config `kafka.client`). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** The record-batch compressions the publishers offer (config `kafka.compression`). */
export const COMPRESSIONS = ['none', 'gzip', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export interface PublisherOptions {
  /**
   * Bytes per produce request. Both clients put all messages of one partition of one request in one
   * record batch, and a broker refuses a batch over its max.message.bytes (1 MiB by default): a large
   * transaction is sent in several requests. Default 768 KiB.
   */
  maxRequestBytes?: number;
  /** Told how each transaction ended (metrics). */
  onResult?: (result: 'committed' | 'aborted') => void;
  /** Compression of every record batch (events and state alike). Default none. */
  compression?: Compression;
}

/**
 * Writes change events and the state records that cover them in ONE Kafka transaction, so that a
 * read_committed consumer sees both or neither. Built with a transactional id
 * (`<connector>-<workspace>`).
 *
 * Contract, the same for every client:
 * - `connect()` registers the transactional id with its coordinator before anything else: that fences
 *   any older instance with the same id (its next transactional call fails) and aborts its open
 *   transaction, so that the state topic's end is stable once it resolves.
 * - `commit(batches)` writes every message in one transaction and commits it, or aborts it and throws
 *   a CdcError (src/kafka/errors.ts): `fenced` (exit 3), `config` (not authorized: exit 2),
 *   `kafka_unavailable` (transient: `run` starts over once Kafka answers), else `kafka_failed`. Empty
 *   batches are skipped; no message and no offset at all commits nothing. Calls must not overlap.
 * - `commit(batches, offsets)` also commits a consumer group's offsets in that transaction
 *   (AddOffsetsToTxn, TxnOffsetCommit): a read_committed consumer of the group resumes from them only
 *   once the transaction committed, and never if it aborted. Offsets without messages are a transaction
 *   of their own.
 * - `disconnect()` never throws.
 */
export interface Publisher extends Committer {
  connect(): Promise<void>;
  commit(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void>;
  disconnect(): Promise<void>;
}
