import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { CdcError, exitCodeFor } from '../../../src/errors';
import { isKafkaUnavailable, isRebalance, kafkaError } from '../../../src/kafka/errors';

describe('Kafka failures', () => {
  it('tells an unavailable cluster from a wrong request', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3000 });
    expect(isKafkaUnavailable(refused)).toBe(true);
    expect(isKafkaUnavailable(exhausted)).toBe(true);
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
});
