import { createPublisher } from '../../../src/kafka/clients';
import { loadConfig } from '../../../src/config';
import { exitCodeFor } from '../../../src/errors';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { KAFKA_CLIENTS, testPublisher } from '../../helpers/clients';
import { waitFor } from '../../stack/cli';
import { createCompactedTopic, freePort, testKafka, uniqueName } from '../../stack/env';

/**
 * A transaction the broker refuses (a record over its max.message.bytes, in the transaction's second
 * request) is aborted, and the same publisher goes on: the next transaction commits, and a
 * read_committed reader sees it alone.
 */
describe.each(KAFKA_CLIENTS)('after a refused transaction (KAFKA_CLIENT=%s)', (client) => {
  it('the publisher commits the next one, and only that one is read', async () => {
    const kafka = testKafka('publisher-errors');
    const topic = await createCompactedTopic(kafka, 'refused');
    const publisher = testPublisher(client, uniqueName('refused'));
    await publisher.connect();
    try {
      const tooLarge = { key: 'too-large', value: Buffer.alloc(1_100_000) };
      await expect(
        publisher.commit([{ topic, messages: [{ key: 'lost', value: 'x' }, tooLarge] }]),
      ).rejects.toMatchObject({ code: 'kafka_failed', kind: 'system' });
      await publisher.commit([{ topic, messages: [{ key: 'kept', value: 'y' }] }]);
    } finally {
      await publisher.disconnect();
    }
    let keys: string[] = [];
    await waitFor(
      async () => {
        keys = [];
        await readToEnd(kafka, [topic], 'publisher-errors', (_t, messages) => {
          for (const m of messages) keys.push(m.key!.toString());
        });
        return keys.length > 0;
      },
      5_000,
      100,
    );
    expect(keys).toEqual(['kept']);
  });
});

/**
 * The errors @platformatic/kafka really throws, classified (the unit tests build the same shapes with
 * its error classes; fencing.test.ts sees a real fence, state-restore.test.ts a real refused record):
 * a broker that does not answer is `kafka_unavailable`, which `run` rides out instead of exiting.
 */
describe('@platformatic/kafka publisher failures', () => {
  it('no broker listening: connect fails with kafka_unavailable (transient, retriable, exit 1)', async () => {
    const port = await freePort(); // nothing listens there
    const config = loadConfig({ env: { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CLIENT: 'platformatic' } });
    const publisher = createPublisher(config.kafka, testKafka('unused'), uniqueName('no-broker'));
    const error = await publisher.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await publisher.disconnect();
    expect(error).toMatchObject({ code: 'kafka_unavailable', kind: 'transient', retriable: true });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(exitCodeFor(error)).toBe(1);
  });
});
