import { CdcError } from '../../../src/errors';
import { ensureTopics, topicNames, topicSpecs } from '../../../src/kafka/topics';
import { testKafka, uniqueName } from '../../stack/env';

/**
 * Topic creation on the test stack's single broker: the broker's default replication factor (-1, the
 * default) works, and a factor the cluster cannot hold is refused with what a user needs to fix it.
 */
describe('ensureTopics and the replication factor', () => {
  const kafka = testKafka('topics-test');
  const admin = kafka.admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  it("creates every topic with -1, the broker's default", async () => {
    const names = topicNames(uniqueName('rf-default'));
    const specs = topicSpecs(names, ['tags'], {
      partitions: 1,
      replicationFactor: -1,
      eventsCleanupPolicy: 'compact',
    });
    const created = await ensureTopics(admin, specs, names.state);
    expect(created.sort()).toEqual([names.events('tags'), names.state, names.dlq].sort());
  });

  it('names the topic, the asked factor, the broker count and the setting when the cluster is too small', async () => {
    const names = topicNames(uniqueName('rf-three'));
    const specs = topicSpecs(names, ['tags'], {
      partitions: 1,
      replicationFactor: 3,
      eventsCleanupPolicy: 'compact',
    });
    const error = await ensureTopics(admin, specs, names.state).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    const e = error as CdcError;
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/rf-three-[0-9a-f]+\.(tags|_state|_dlq)/);
    expect(e.message).toMatch(/replication factor 3 asked, the cluster has 1 broker\(s\)/);
    expect(e.message).toMatch(/KAFKA_REPLICATION_FACTOR/);
  });
});
