import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { buildApp } from '../../../src/app';
import { CdcError, exitCodeFor } from '../../../src/errors';
import { readToEnd } from '../../../src/kafka/read-to-end';
import { silentLogger } from '../../../src/logger';
import { testKafka, testRegistry } from '../../stack/env';
import { readTopics, testConfig } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 5, size: { contacts: 10, segments: 4 } }));

async function deadLetters(topic: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await readToEnd(testKafka('dlq-reader'), [topic], 'dlq-reader', (_t, messages) => {
    for (const m of messages)
      out.push({ key: m.key?.toString(), ...(JSON.parse(m.value!.toString()) as object) });
  });
  return out;
}

/** Bad input loses nothing: a bad object goes to the dead-letter topic, never to a wrong value. */
describe('bad input', () => {
  it('sends objects with unreadable timestamps to the dead-letter topic, then publishes them once fixed', async () => {
    const config = testConfig(sim.url, { STREAMS: 'segments' });
    const app = await buildApp(config, silentLogger());
    try {
      const segments = sim.truth.ids('segments');
      sim.faults.add({ kind: 'badTimestamp', field: 'created_at', match: { path: '/segments' }, times: 1 });
      const first = await app.engine.poll('segments');
      expect(first).toMatchObject({ read: segments.length, published: 0, deadLetters: segments.length });

      const dlq = await deadLetters(app.topics.dlq);
      expect(dlq.map((d) => d.key).sort()).toEqual([...segments].sort());
      for (const d of dlq) {
        expect(d).toMatchObject({ stream: 'segments', code: 'mapping_failed' });
        expect(String(d.error)).toMatch(/segments\.created_at/);
        expect((d.raw as Record<string, unknown>).created_at).toBe('2026-13-45T25:61:00 yesterday');
      }
      expect(await readTopics([app.topics.events('segments')])).toEqual([]);

      const second = await app.engine.poll('segments');
      expect(second).toMatchObject({ published: segments.length, deadLetters: 0 });
      const events = await readTopics([app.topics.events('segments')]);
      expect(events.map((e) => e.id).sort()).toEqual([...segments].sort());
    } finally {
      await app.close();
    }
  });

  it('stops the stream under errors.tolerance=none, naming the field', async () => {
    const app = await buildApp(
      testConfig(sim.url, { STREAMS: 'segments', ERRORS_TOLERANCE: 'none' }),
      silentLogger(),
    );
    try {
      sim.faults.add({ kind: 'badTimestamp', field: 'updated_at', match: { path: '/segments' }, times: 1 });
      const error = await app.engine.poll('segments').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).code).toBe('bad_object');
      expect((error as CdcError).message).toMatch(/segments\.updated_at.*errors\.tolerance=none/);
      expect(exitCodeFor(error)).toBe(1);
      expect(await deadLetters(app.topics.dlq)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses to start when a schema is not BACKWARD compatible with the registered one (exit code 2)', async () => {
    const config = testConfig(sim.url, { STREAMS: 'tags' });
    const subject = `${config.kafka.topicPrefix}.tags-value`;
    const older = {
      type: 'record',
      name: 'Envelope',
      namespace: 'io.intercomcdc.tags',
      fields: [{ name: 'op', type: 'int' }],
    };
    await testRegistry().register({ type: SchemaType.AVRO, schema: JSON.stringify(older) }, { subject });
    const error = await buildApp(config, silentLogger()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).code).toBe('schema_incompatible');
    expect((error as CdcError).message).toContain(subject);
    expect(exitCodeFor(error)).toBe(2);
  });
});
