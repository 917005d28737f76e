import { createPublisher } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { exitCodeFor } from '../../../src/errors';
import { freePort, testKafka, uniqueName } from '../../stack/env';

/**
 * The errors @platformatic/kafka really throws, classified (the unit tests build the same shapes with
 * its error classes; fencing.test.ts sees a real fence, state-restore.test.ts a real refused record):
 * a broker that does not answer is `kafka_unavailable`, which `run` rides out instead of exiting.
 */
describe('@platformatic/kafka publisher failures', () => {
  it('no broker listening: connect fails with kafka_unavailable (transient, retriable, exit 1)', async () => {
    const port = await freePort(); // nothing listens there
    const config = loadConfig({ env: { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CLIENT: 'platformatic' } });
    const publisher = createPublisher(config, testKafka('unused'), uniqueName('no-broker'));
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
