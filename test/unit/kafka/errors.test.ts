import { ProtocolError } from '@platformatic/kafka';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { CdcError, exitCodeFor } from '../../../src/errors';
import { isKafkaUnavailable, isRebalance, kafkaError } from '../../../src/kafka/errors';

describe('Kafka failures', () => {
  it('tells an unavailable cluster from a wrong request', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3000 });
    expect(isKafkaUnavailable(refused)).toBe(true);
    expect(isKafkaUnavailable(exhausted)).toBe(true);
    // kafkajs found no broker to tell it the coordinator (all of them away): no cause, no type. It
    // throws it with a message, which its type declarations leave out.
    const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
    expect(isKafkaUnavailable(new NotFound('Failed to find group coordinator'))).toBe(true);
    expect(isKafkaUnavailable(new Error('Message was too large'))).toBe(false);
    expect(isKafkaUnavailable(new KafkaJSProtocolError('x'))).toBe(false);
  });

  it('maps an outage to kafka_unavailable (run starts over), never to fenced or config', () => {
    const error = kafkaError(
      'publishing a transaction',
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    );
    expect(error).toMatchObject({ code: 'kafka_unavailable', kind: 'transient', retriable: true });
    expect(isKafkaUnavailable(error)).toBe(true);
    expect(exitCodeFor(error)).toBe(1);
    const fenced = kafkaError('committing', Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }));
    expect(fenced.kind).toBe('fenced');
    expect(isKafkaUnavailable(fenced)).toBe(false);
    expect(isKafkaUnavailable(new CdcError('x', { code: 'config_invalid', kind: 'config' }))).toBe(false);
  });

  it("keeps kafkajs' word on whether a refused request may succeed when sent again", () => {
    const leader = Object.assign(new Error('no leader yet'), {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
    expect(kafkaError('listing offsets', leader)).toMatchObject({ code: 'kafka_failed', retriable: true });
    const tooLarge = Object.assign(new Error('Message was too large'), { retriable: false });
    expect(kafkaError('publishing', tooLarge)).toMatchObject({ code: 'kafka_failed', retriable: false });
  });

  it('tells a group changing hands from other failures', () => {
    expect(isRebalance(Object.assign(new Error('x'), { type: 'REBALANCE_IN_PROGRESS' }))).toBe(true);
    expect(isRebalance(new Error('The coordinator is not aware of this member'))).toBe(true);
    expect(isRebalance(Object.assign(new Error('wrapped'), { cause: { type: 'UNKNOWN_MEMBER_ID' } }))).toBe(
      true,
    );
    expect(isRebalance(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
  });

  it('decides by what the clients put on their errors, not by the words of a message', () => {
    // A consumer's member epoch "fenced by the group coordinator" is not a producer fenced by a newer instance.
    const memberEpoch = new ProtocolError('FENCED_MEMBER_EPOCH');
    expect(memberEpoch.message).toMatch(/fenced/);
    expect(kafkaError('committing offsets', memberEpoch).kind).not.toBe('fenced');
    expect(kafkaError('x', new Error('the producer was fenced, said someone')).kind).not.toBe('fenced');
    // kafkajs' SASL failure, by its class, also once its retrier wrapped it
    // (kafkajs' typings leave out these constructors' arguments)
    const sasl = Reflect.construct(KafkaJSSASLAuthenticationError, [
      'SCRAM-SHA-512: Invalid username or password',
    ]) as Error;
    const wrapped = Reflect.construct(KafkaJSNonRetriableError, [sasl, { cause: sasl }]) as Error;
    for (const error of [sasl, wrapped])
      expect(kafkaError('connecting', error)).toMatchObject({ code: 'kafka_unauthorized', kind: 'config' });
    expect(kafkaError('x', new Error('SASL is not configured here'))).toMatchObject({ code: 'kafka_failed' });
    // a socket error by its code, at any depth
    const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isKafkaUnavailable(Object.assign(new Error('request failed'), { cause: socket }))).toBe(true);
  });

  it('knows the rebalance kafkajs rewraps without its type (a group join), by its protocol message', () => {
    const rebalancing = new KafkaJSProtocolError({
      type: 'REBALANCE_IN_PROGRESS',
      code: 27,
      retriable: false,
      message: 'The group is rebalancing, so a rejoin is needed',
    } as never);
    const rewrapped = new KafkaJSError(rebalancing); // what consumer/consumerGroup.js throws
    expect((rewrapped as { type?: string }).type).toBeUndefined();
    expect(isRebalance(rewrapped)).toBe(true);
    expect(isRebalance(new KafkaJSNumberOfRetriesExceeded(rewrapped, { retryCount: 5, retryTime: 1 }))).toBe(
      true,
    );
    expect(isRebalance(new Error('the consumer is rebalancing its thoughts'))).toBe(false);
  });
});
