import { restoreState, StateStore } from '../../../src/kafka/state-store';
import type { Message, Publisher } from '../../../src/kafka/types';
import { KAFKA_CLIENTS, testPublisher } from '../../helpers/clients';
import { createCompactedTopic, testKafka, uniqueName } from '../../stack/env';

/**
 * Restore reads the state topic to its end, committed records only, also when the log ends with an
 * aborted transaction (an instance killed mid-transaction): such a tail reaches no eachBatch callback.
 * The state is written by each client's publisher, as `run` writes it with that client.
 */
describe.each(KAFKA_CLIENTS)('restoreState (state written with KAFKA_CLIENT=%s)', (client) => {
  let publisher: Publisher;
  afterEach(async () => {
    await publisher?.disconnect();
  });

  async function openPublisher(): Promise<Publisher> {
    publisher = testPublisher(client, uniqueName('restore-tx'));
    await publisher.connect();
    return publisher;
  }

  /**
   * A transaction the publisher aborts after its first request was written: the broker refuses the
   * second (one record over its max.message.bytes, sent alone), so `messages` are in the log, aborted.
   */
  async function abortedCommit(topic: string, messages: Message[]): Promise<void> {
    const tooLarge = { key: 'too-large', value: Buffer.alloc(1_100_000) };
    await expect(publisher.commit([{ topic, messages: [...messages, tooLarge] }])).rejects.toMatchObject({
      code: 'kafka_failed',
    });
  }

  it('ends on a log that holds only an aborted transaction (the first instance killed in its first one)', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    await openPublisher();
    await abortedCommit(topic, [new StateStore('c1').objectRecord('contacts', 'a', { u: 1, h: 'h' })]);
    const store = await restoreState(kafka, topic, 'c1');
    expect(store.size()).toBe(0);
  });

  it('restores committed records only, and ends on a log that ends with an aborted transaction', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    const writer = new StateStore('c1');
    await openPublisher();
    await publisher.commit([
      {
        topic,
        messages: [
          writer.objectRecord('contacts', 'a', { u: 1000, h: 'ha' }),
          writer.objectRecord('contacts', 'b', { u: 2000, h: 'hb' }),
          writer.progressRecord('contacts', { watermark: 2000, lastReconcile: null, snapshotDone: true }),
          { key: 'other-connector/contacts/z', value: JSON.stringify({ v: 1, u: 1, h: 'x' }) },
        ],
      },
    ]);
    await publisher.commit([{ topic, messages: [writer.objectRecord('contacts', 'b', null)] }]);
    await abortedCommit(topic, [writer.objectRecord('contacts', 'c', { u: 3000, h: 'hc' })]);

    const store = await restoreState(kafka, topic, 'c1');
    expect([...store.ids('contacts')]).toEqual(['a']);
    expect(store.object('contacts', 'a')).toEqual({ u: 1000, h: 'ha' });
    expect(store.streamProgress('contacts')).toEqual({
      watermark: 2000,
      lastReconcile: null,
      snapshotDone: true,
    });
  });
});
