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

  it('restores a state topic the previous release wrote (its records as JSON.stringify made them), and writes on it', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    const h = 'AAECAwQFBgcICQoLDA0ODxAREhM'; // a 27-character hash of the released shape
    const released = (key: string, value: object | null): Message => ({
      key,
      value: value === null ? null : JSON.stringify(value),
    });
    await openPublisher();
    await publisher.commit([
      {
        topic,
        messages: [
          released('c1/contacts/5f1e2d3c4b5a69788796a5b4', { v: 1, u: 1734537424000, h }),
          released('c1/contacts/not-hex id', { v: 1, u: null, h }),
          released('c1/conversation_parts/215472738291/9999', { v: 1, u: 1734537424000, h }),
          released('c1/tags/17', { v: 1, u: 3, h }),
          released('c1/contacts', {
            v: 1,
            watermark: 1734537424000,
            lastReconcile: null,
            snapshotDone: true,
          }),
        ],
      },
    ]);
    await publisher.commit([{ topic, messages: [released('c1/tags/17', null)] }]);

    const store = await restoreState(kafka, topic, 'c1');
    expect(store.object('contacts', '5f1e2d3c4b5a69788796a5b4')).toEqual({ u: 1734537424000, h });
    expect(store.object('contacts', 'not-hex id')).toEqual({ u: null, h });
    expect(store.object('conversation_parts', '215472738291/9999')).toEqual({ u: 1734537424000, h });
    expect(store.object('tags', '17')).toBeUndefined();
    expect(store.size()).toBe(3);
    expect(store.streamProgress('contacts')).toMatchObject({ watermark: 1734537424000, snapshotDone: true });

    // This release writes on top of it, and a restore reads both as one state.
    await publisher.commit([
      {
        topic,
        messages: [store.objectRecord('contacts', '5f1e2d3c4b5a69788796a5b4', { u: 1734537425000, h })],
      },
    ]);
    const again = await restoreState(kafka, topic, 'c1');
    expect(again.object('contacts', '5f1e2d3c4b5a69788796a5b4')).toEqual({ u: 1734537425000, h });
    expect(again.size()).toBe(3);
  });
});

/**
 * A state record that cannot be read (garbage, an unknown version, a wrong type) costs that record, not
 * the start: it is skipped and told of with its key, and the rest restores; under tolerance none the
 * restore fails naming the key.
 */
describe('restoreState with records it cannot read', () => {
  it('skips and names each unreadable record, restores the rest, and fails on the first under tolerance none', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    const writer = new StateStore('c1');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        writer.objectRecord('contacts', 'good', { u: 1000, h: 'hg' }),
        { key: 'c1/contacts/garbage', value: '{not json' },
        { key: 'c1/contacts/future', value: JSON.stringify({ v: 2, u: 1, h: 'x' }) },
        { key: 'c1/contacts/wrong', value: JSON.stringify({ v: 1, u: 'yesterday', h: 'x' }) },
        { key: 'c1/tags', value: JSON.stringify({ v: 1, watermark: 'soon', snapshotDone: true }) },
        writer.progressRecord('contacts', { watermark: 1000, lastReconcile: null, snapshotDone: true }),
      ] as Message[],
    });
    await producer.disconnect();
    const skipped: string[] = [];
    const store = await restoreState(kafka, topic, 'c1', {
      tolerance: 'all',
      onSkipped: (key, reason) => skipped.push(`${key}: ${reason}`),
    });
    expect(skipped).toEqual([
      'c1/contacts/garbage: not JSON',
      'c1/contacts/future: version v=2, this release reads v=1',
      'c1/contacts/wrong: an object record needs u (a number or null) and h (a string)',
      'c1/tags: a progress record needs watermark and lastReconcile as numbers or null',
    ]);
    expect(store.object('contacts', 'good')).toEqual({ u: 1000, h: 'hg' });
    expect([...store.ids('contacts')]).toEqual(['good']);
    expect(store.streamProgress('contacts').watermark).toBe(1000);
    expect(store.streamProgress('tags').snapshotDone).toBe(false); // starts over with a first sync
    await expect(restoreState(kafka, topic, 'c1', { tolerance: 'none' })).rejects.toMatchObject({
      code: 'state_unreadable',
      message: expect.stringContaining('state record c1/contacts/garbage'),
    });
  });
});
