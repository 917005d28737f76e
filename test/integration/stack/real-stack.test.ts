import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Consumer } from 'kafkajs';
import { createCompactedTopic, stackEnv, testKafka, testRegistry, uniqueName } from '../../stack/env';

/**
 * Proves the test stack is real: a compacted topic, an Avro schema in the registry, one aborted and
 * one committed transaction, and a read_committed consumer that decodes only the committed records.
 */
describe('the integration stack', () => {
  const kafka = testKafka('real-stack-test');
  const registry = testRegistry();
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.disconnect();
  });

  it('commits and aborts transactions, and read_committed consumers see only committed Avro records', async () => {
    expect(stackEnv().brokers.length).toBeGreaterThan(0);
    const topic = await createCompactedTopic(kafka, 'stack-proof');
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
    });
    await admin.disconnect();
    expect(described.resources[0].configEntries[0].configValue).toBe('compact');

    const schema = {
      type: 'record',
      name: 'Proof',
      namespace: 'io.intercomcdc.test',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'n', type: 'long' },
      ],
    };
    const { id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    expect(schemaId).toBeGreaterThan(0);

    const producer = kafka.producer({
      transactionalId: uniqueName('proof-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const send = async (ids: string[], commit: boolean): Promise<void> => {
      const tx = await producer.transaction();
      const messages = await Promise.all(
        ids.map(async (id, n) => ({ key: id, value: await registry.encode(schemaId, { id, n }) })),
      );
      await tx.send({ topic, messages });
      if (commit) await tx.commit();
      else await tx.abort();
    };
    await send(['aborted-1', 'aborted-2'], false);
    await send(['committed-1', 'committed-2'], true);
    await send(['aborted-3'], false);
    await send(['committed-3'], true);
    await producer.disconnect();

    consumer = kafka.consumer({ groupId: uniqueName('proof-group'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer!
        .run({
          eachMessage: async ({ message }) => {
            const decoded = (await registry.decode(message.value!)) as { id: string };
            seen.push(decoded.id);
            if (seen.length >= 3) resolve();
          },
        })
        .catch(reject);
    });
    expect(seen).toEqual(['committed-1', 'committed-2', 'committed-3']);
  });
});
