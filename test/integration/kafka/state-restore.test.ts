import { restoreState, StateStore } from '../../../src/kafka/state-store';
import { createCompactedTopic, testKafka, uniqueName } from '../../stack/env';

/**
 * Restore reads the state topic to its end, committed records only, also when the log ends with an
 * aborted transaction (an instance killed mid-transaction): such a tail reaches no eachBatch callback.
 */
describe('restoreState', () => {
  it('ends on a log that holds only an aborted transaction (the first instance killed in its first one)', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    const producer = kafka.producer({
      transactionalId: uniqueName('restore-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: [
        new StateStore('c1').objectRecord('contacts', 'a', { u: 1, h: 'h' }) as {
          key: string;
          value: string;
        },
      ],
    });
    await tx.abort();
    await producer.disconnect();
    const store = await restoreState(kafka, topic, 'c1');
    expect(store.size()).toBe(0);
  });

  it('restores committed records only, and ends on a log that ends with an aborted transaction', async () => {
    const kafka = testKafka('restore-test');
    const topic = await createCompactedTopic(kafka, 'state');
    const writer = new StateStore('c1');
    const producer = kafka.producer({
      transactionalId: uniqueName('restore-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const send = async (commit: boolean, messages: { key: string; value: string | null }[]) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages });
      if (commit) await tx.commit();
      else await tx.abort();
    };
    await send(true, [
      writer.objectRecord('contacts', 'a', { u: 1000, h: 'ha' }) as { key: string; value: string },
      writer.objectRecord('contacts', 'b', { u: 2000, h: 'hb' }) as { key: string; value: string },
      writer.progressRecord('contacts', { watermark: 2000, lastReconcile: null, snapshotDone: true }) as {
        key: string;
        value: string;
      },
      { key: 'other-connector/contacts/z', value: JSON.stringify({ v: 1, u: 1, h: 'x' }) },
    ]);
    await send(true, [writer.objectRecord('contacts', 'b', null) as { key: string; value: null }]);
    await send(false, [
      writer.objectRecord('contacts', 'c', { u: 3000, h: 'hc' }) as { key: string; value: string },
    ]);
    await producer.disconnect();

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
