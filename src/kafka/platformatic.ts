/**
 * The Publisher (src/kafka/types.ts) on @platformatic/kafka: the producer options and one transaction per
 * commit, with the consumed offsets it carries.
 */
import {
  Admin,
  FindCoordinatorKeyTypes,
  Producer,
  type Message as ConsumedMessage,
  type MessageToProduce,
  type ProducerOptions,
  type SASLOptions,
} from '@platformatic/kafka';
import { CdcError } from '../errors';
import { chunks, MAX_REQUEST_BYTES } from './chunks';
import { kafkaError } from './errors';
import { keyHash } from './partitioner';
import type {
  ConsumedOffsets,
  KafkaConnection,
  Message,
  Publisher,
  PublisherOptions,
  TopicBatch,
} from './types';

/** Header keys are strings (src/kafka/types.ts Message); everything else is bytes already. */
type Options = ProducerOptions<Buffer, Buffer, string, Buffer>;
type PlatformaticProducer = Producer<Buffer, Buffer, string, Buffer>;
type PlatformaticTransaction = Awaited<ReturnType<PlatformaticProducer['beginTransaction']>>;

/**
 * Retries of one request by the client (metadata, produce, AddPartitionsToTxn, EndTxn, …) before the
 * failure reaches the publisher: 20 ms, doubling up to 1 s, 10 in all (about 5 s). Short at first
 * because beginning a transaction right after a commit meets CONCURRENT_TRANSACTIONS while the
 * coordinator writes the markers (a few ms); bounded so that an outage surfaces as `kafka_unavailable`
 * and `run` starts over with its own backoff. (The client's defaults: a fixed second, and endless
 * retries for an idempotent producer.)
 */
export const RETRIES = 10;
export function retryDelayMs(attempt: number): number {
  return Math.min(1000, 20 * 2 ** Math.max(0, attempt - 1));
}

/**
 * The @platformatic/kafka producer options for the connector's transactional producer.
 * - `producerId: -1n, producerEpoch: -1`: InitProducerId must say "no producer yet" (-1/-1, as the Java
 *   client and kafkajs do); the client's default 0/0 names a producer the coordinator does not know, and a
 *   second process with the same transactional id (a restart) would be refused with PRODUCER_FENCED
 *   instead of fencing the first.
 * - `timeout` is the transaction timeout sent with InitProducerId (and the broker-side produce timeout):
 *   60 s as with kafkajs (the client's 5 s would let the coordinator abort a slow transaction).
 * - The partitioner is Kafka's default (src/kafka/partitioner.ts): the client takes it modulo the
 *   partition count, so a key lands where kafkajs and the Java client put it (the client's own default
 *   differs for keys with a negative murmur2).
 */
export function producerOptions(
  connection: KafkaConnection,
  transactionalId: string,
  compression: PublisherOptions['compression'] = 'none',
): Options {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    ...(connection.tls ? { tls: connection.tls, tlsServerName: true } : {}),
    ...(connection.sasl ? { sasl: saslOptions(connection.sasl) } : {}),
    transactionalId,
    idempotent: true,
    producerId: -1n,
    producerEpoch: -1,
    timeout: 60_000,
    retries: RETRIES,
    retryDelay: (_client, _operation, attempt) => retryDelayMs(attempt),
    autocreateTopics: false,
    compression,
    partitioner: (_message, key) => (key ? keyHash(key) : 0),
    serializers: { headerKey: (key) => (key === undefined ? undefined : Buffer.from(key)) },
  };
}

function saslOptions(sasl: NonNullable<KafkaConnection['sasl']>): SASLOptions {
  const mechanisms = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' };
  return { mechanism: mechanisms[sasl.mechanism] as SASLOptions['mechanism'], ...credentials(sasl) };
}

/** Username and password as providers: the options object then holds no secret to print. */
function credentials(sasl: {
  username: string;
  password: string;
}): Pick<SASLOptions, 'username' | 'password'> {
  return { username: () => sasl.username, password: () => sasl.password };
}

const bytes = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** A message as the client sends it: key, value and header values as bytes. */
function toProduce(topic: string, m: Message): MessageToProduce<Buffer, Buffer, string, Buffer> {
  return {
    topic,
    key: m.key === null ? undefined : bytes(m.key),
    // A null value is a tombstone: the client writes it as null.
    value: (m.value === null ? null : bytes(m.value)) as Buffer,
    // A plain object (not a Map), so that the client also reads it when loaded in another realm (jest).
    ...(m.headers
      ? { headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, bytes(v)])) }
      : {}),
  };
}

/**
 * The Publisher (src/kafka/types.ts) on @platformatic/kafka: the same contract as the kafkajs one, at
 * about 40 % of its CPU per event (bench/clients.ts). Requests are cut under the broker's max message
 * size as there (the client writes all messages of a partition of one send() into one record batch).
 */
export class PlatformaticPublisher implements Publisher {
  private producer: PlatformaticProducer;
  private readonly maxRequestBytes: number;
  private readonly onResult: (result: 'committed' | 'aborted') => void;
  /** Set once another instance fenced this one: every later call fails with it. */
  private fenced: CdcError | undefined;
  /** The broker coordinating each consumer group whose offsets were committed (FindCoordinator). */
  private readonly coordinators = new Map<string, number>();

  constructor(
    private readonly connection: KafkaConnection,
    private readonly transactionalId: string,
    private readonly options: PublisherOptions = {},
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.onResult = options.onResult ?? (() => undefined);
    this.producer = this.newProducer();
  }

  private newProducer(): PlatformaticProducer {
    return new Producer(producerOptions(this.connection, this.transactionalId, this.options.compression));
  }

  /**
   * Registers the transactional id now (InitProducerId, as beginning a transaction does the first time):
   * that fences any older instance and aborts its open transaction before the state is restored. The
   * transaction begun for it holds nothing, so it is cancelled locally (an EndTxn would be refused).
   */
  async connect(): Promise<void> {
    try {
      const tx = await this.producer.beginTransaction();
      await tx.cancel();
    } catch (error) {
      throw this.failed(kafkaError('connecting the transactional producer', error));
    }
  }

  async commit(batches: TopicBatch[], offsets?: ConsumedOffsets): Promise<void> {
    const topicMessages = batches.filter((b) => b.messages.length > 0);
    const consumed = offsets && offsets.offsets.length > 0 ? offsets : undefined;
    if (topicMessages.length === 0 && !consumed) return;
    if (this.fenced) throw this.fenced;
    let tx: PlatformaticTransaction;
    try {
      tx = await this.producer.beginTransaction();
    } catch (error) {
      // The client keeps a transaction whose preparation failed as its active one: start afresh.
      const failure = this.failed(kafkaError('beginning a transaction', error));
      await this.replaceProducer();
      throw failure;
    }
    try {
      // Offsets first: a transaction that fails later (a batch refused) aborts them with the events.
      if (consumed) await this.sendOffsets(tx, consumed);
      for (const chunk of chunks(topicMessages, this.maxRequestBytes))
        await tx.send({ messages: chunk.flatMap((b) => b.messages.map((m) => toProduce(b.topic, m))) });
      await tx.commit();
      this.onResult('committed');
    } catch (error) {
      // The group's coordinator may have moved: found again for the next transaction.
      if (consumed) this.coordinators.delete(consumed.groupId);
      const failure = this.failed(kafkaError('publishing a transaction', error));
      await this.abort(tx);
      this.onResult('aborted');
      throw this.fenced ?? failure;
    }
  }

  /**
   * Adds a consumer group's offsets to the transaction (AddOffsetsToTxn, then TxnOffsetCommit at the
   * group's coordinator). The client takes them from consumed messages of its own consumer; the hints'
   * consumer is another client's, so each is described as such a message: the record before the next
   * offset, of a member that is not the group's (generation -1, no member id), which the coordinator
   * accepts in a transaction. Fencing does not rest on the group: the transactional id fences.
   */
  private async sendOffsets(tx: PlatformaticTransaction, consumed: ConsumedOffsets): Promise<void> {
    const coordinatorId = await this.coordinatorOf(consumed.groupId);
    await tx.addConsumer({ groupId: consumed.groupId } as Parameters<
      PlatformaticTransaction['addConsumer']
    >[0]);
    for (const { topic, partition, offset } of consumed.offsets) {
      const consumer = { groupId: consumed.groupId, generationId: -1, memberId: '', coordinatorId };
      // The client commits the message's offset + 1.
      const record = { topic, partition, offset: BigInt(offset) - 1n, metadata: { consumer } };
      await tx.addOffset(record as unknown as ConsumedMessage<Buffer, Buffer, Buffer, Buffer>);
    }
  }

  /** The node id of the broker coordinating `groupId`, found once (again after a failed transaction). */
  private async coordinatorOf(groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    const admin = new Admin({
      clientId: this.connection.clientId,
      bootstrapBrokers: this.connection.brokers,
      ...(this.connection.tls ? { tls: this.connection.tls, tlsServerName: true } : {}),
      ...(this.connection.sasl ? { sasl: saslOptions(this.connection.sasl) } : {}),
      retries: RETRIES,
      retryDelay: (_client, _operation, attempt) => retryDelayMs(attempt),
    });
    try {
      const [found] = await admin.findCoordinator({
        keyType: FindCoordinatorKeyTypes.GROUP,
        keys: [groupId],
      });
      if (found === undefined || found.nodeId < 0)
        throw new CdcError(`no coordinator for the consumer group ${groupId} yet`, {
          code: 'kafka_unavailable',
          kind: 'transient',
        });
      this.coordinators.set(groupId, found.nodeId);
      return found.nodeId;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** Remembers a fence: a fenced publisher must never register its id again (it would fence the new owner). */
  private failed(error: CdcError): CdcError {
    if (error.kind === 'fenced') this.fenced ??= error;
    return error;
  }

  /**
   * Aborts a failed transaction (so that read_committed consumers move past it at once), then replaces
   * the producer: when the abort failed too (Kafka away, or nothing was added to the transaction yet),
   * the coordinator may still hold the transaction open under this producer's epoch and the client would
   * carry on in it; and a request that failed after the broker appended it leaves the client's sequence
   * numbers behind.
   */
  private async abort(tx: PlatformaticTransaction): Promise<void> {
    await tx.abort().catch((error: unknown) => this.failed(kafkaError('aborting a transaction', error)));
    await this.replaceProducer();
  }

  /**
   * A new producer for the next transaction: its InitProducerId aborts whatever this one left open and
   * starts the sequence numbers afresh, as a restarted process would. Not once fenced: that would fence
   * the instance that took over.
   */
  private async replaceProducer(): Promise<void> {
    if (this.fenced) return;
    const old = this.producer;
    this.producer = this.newProducer();
    await old.close().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    await this.producer.close().catch(() => undefined);
  }
}
