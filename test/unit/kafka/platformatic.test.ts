import { randomBytes } from 'node:crypto';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ResponseError,
  TimeoutError,
  type SASLOptions,
} from '@platformatic/kafka';
import { exitCodeFor } from '../../../src/errors';
import { isKafkaUnavailable, kafkaError } from '../../../src/kafka/errors';
import { keyPartitioner } from '../../../src/kafka/partitioner';
import { producerOptions, retryDelayMs, RETRIES } from '../../../src/kafka/platformatic';

// Kafka API keys, and error codes of the protocol, as @platformatic/kafka's ResponseError takes them.
const API = { Produce: 0, FindCoordinator: 10, InitProducerId: 22, AddPartitionsToTxn: 24, EndTxn: 26 };
const CODE = {
  MESSAGE_TOO_LARGE: 10,
  NOT_LEADER_OR_FOLLOWER: 6,
  COORDINATOR_NOT_AVAILABLE: 15,
  TOPIC_AUTHORIZATION_FAILED: 29,
  INVALID_PRODUCER_EPOCH: 47,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SASL_AUTHENTICATION_FAILED: 58,
  PRODUCER_FENCED: 90,
};

/** A broker's answer with one error, as the client builds it (a MultipleErrors of ProtocolErrors). */
function response(api: number, code: number): ResponseError {
  return new ResponseError(api, 3, { '/topics/0/partitions/0': [code, null] }, {});
}

/** What the client throws after retrying a call: every attempt's error in one MultipleErrors. */
function retried(operation: string, error: Error, times = 11): MultipleErrors {
  return new MultipleErrors(`${operation} failed ${times} times.`, Array(times).fill(error));
}

/** The shape the client throws when no broker answers (seen against a closed port). */
function refused(): MultipleErrors {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const network = new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: socket });
  return retried('findCoordinator', new MultipleErrors('Cannot connect to any broker.', [network]));
}

describe("@platformatic/kafka's failures, classified as kafkajs' are", () => {
  it('a newer instance with the same transactional id: fenced, exit code 3', () => {
    for (const error of [
      response(API.AddPartitionsToTxn, CODE.PRODUCER_FENCED),
      response(API.EndTxn, CODE.INVALID_PRODUCER_EPOCH),
      retried('produce', response(API.Produce, CODE.INVALID_PRODUCER_EPOCH), 1),
    ]) {
      const typed = kafkaError('publishing a transaction', error);
      expect(typed).toMatchObject({ code: 'fenced', kind: 'fenced', retriable: false });
      expect(exitCodeFor(typed)).toBe(3);
      expect(isKafkaUnavailable(error)).toBe(false);
    }
    // The broker's reason is in the message, not only the call's name.
    expect(kafkaError('x', response(API.AddPartitionsToTxn, CODE.PRODUCER_FENCED)).message).toMatch(
      /AddPartitionsToTxn.*PRODUCER_FENCED: There is a newer producer/,
    );
  });

  it('Kafka away (refused, reset, timed out, no leader, no coordinator): kafka_unavailable, retriable', () => {
    const reset = new NetworkError('Connection closed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    for (const error of [
      refused(),
      retried('produce', reset),
      new TimeoutError('Request timed out.'),
      retried('metadata', response(API.Produce, CODE.NOT_LEADER_OR_FOLLOWER)),
      retried('findCoordinator', response(API.FindCoordinator, CODE.COORDINATOR_NOT_AVAILABLE)),
    ]) {
      expect(isKafkaUnavailable(error)).toBe(true);
      const typed = kafkaError('beginning a transaction', error);
      expect(typed).toMatchObject({ code: 'kafka_unavailable', kind: 'transient', retriable: true });
      expect(exitCodeFor(typed)).toBe(1);
    }
  });

  it('refused access (ACLs, SASL): a configuration error, exit code 2', () => {
    for (const error of [
      response(API.InitProducerId, CODE.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      retried('produce', response(API.Produce, CODE.TOPIC_AUTHORIZATION_FAILED), 1),
      response(API.InitProducerId, CODE.SASL_AUTHENTICATION_FAILED),
      new AuthenticationError('Cannot find a suitable SASL mechanism.'),
    ]) {
      const typed = kafkaError('connecting the transactional producer', error);
      expect(typed).toMatchObject({ code: 'kafka_unauthorized', kind: 'config' });
      expect(exitCodeFor(typed)).toBe(2);
    }
  });

  it('anything else: kafka_failed, retriable only as the client says (a record too large is not)', () => {
    const tooLarge = new MultipleErrors('Producing messages failed.', [
      response(API.Produce, CODE.MESSAGE_TOO_LARGE),
    ]);
    expect(kafkaError('publishing', tooLarge)).toMatchObject({
      code: 'kafka_failed',
      kind: 'system',
      retriable: false,
    });
    expect(kafkaError('publishing', tooLarge).message).toMatch(/MESSAGE_TOO_LARGE/);
    const unknownTopic = response(API.Produce, 3); // UNKNOWN_TOPIC_OR_PARTITION: the client may retry it
    expect(kafkaError('publishing', unknownTopic)).toMatchObject({ code: 'kafka_failed', retriable: true });
  });
});

describe('producerOptions', () => {
  const connection = { clientId: 'cdc', brokers: ['k1:9093', 'k2:9093'] };

  it('registers as a new producer (-1/-1), transactional and idempotent, with a 60 s transaction timeout', () => {
    expect(producerOptions(connection, 'cdc-w1')).toMatchObject({
      clientId: 'cdc',
      bootstrapBrokers: ['k1:9093', 'k2:9093'],
      transactionalId: 'cdc-w1',
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
      timeout: 60_000,
      autocreateTopics: false,
      compression: 'none',
    });
  });

  it('retries briefly at first (CONCURRENT_TRANSACTIONS right after a commit), about 5 s in all', () => {
    const delays = Array.from({ length: RETRIES }, (_, i) => retryDelayMs(i + 1));
    expect(delays.slice(0, 3)).toEqual([20, 40, 80]);
    expect(Math.max(...delays)).toBe(1000);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThan(6000);
  });

  it('partitions a key as kafkajs and the Java client do, once the client takes it modulo the partition count', () => {
    const { partitioner } = producerOptions(connection, 'cdc-w1');
    for (const count of [1, 2, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        replicas: [1],
        isr: [1],
        partitionErrorCode: 0,
      }));
      for (let i = 0; i < 300; i++) {
        const key = randomBytes(1 + (i % 30));
        const theirs = partitioner!({ topic: 't', key, value: key }, key, { metadata: undefined });
        expect(theirs % count).toBe(
          keyPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
      }
    }
  });

  it('maps TLS and SASL (PLAIN, SCRAM-SHA-256/512) from the same settings as kafkajs, holding no password', async () => {
    const tls = { rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' };
    for (const [mechanism, theirs] of [
      ['plain', 'PLAIN'],
      ['scram-sha-256', 'SCRAM-SHA-256'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ] as const) {
      const options = producerOptions(
        { ...connection, tls, sasl: { mechanism, username: 'svc', password: 's3cr3t-pw' } },
        'cdc-w1',
      );
      expect(options.tls).toEqual(tls);
      expect(options.tlsServerName).toBe(true);
      const sasl = options.sasl as SASLOptions;
      expect(sasl.mechanism).toBe(theirs);
      expect(await (sasl.username as () => string)()).toBe('svc');
      expect(await (sasl.password as () => string)()).toBe('s3cr3t-pw');
      expect(
        JSON.stringify(options, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      ).not.toMatch(/s3cr3t/);
    }
    expect(producerOptions(connection, 'cdc-w1')).not.toHaveProperty('tls');
    expect(producerOptions(connection, 'cdc-w1')).not.toHaveProperty('sasl');
  });
});
