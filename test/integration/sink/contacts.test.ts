import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CdcError, exitCodeFor } from '../../../src/errors';
import { startSimulator, type RunningSimulator } from '../../../src/sim';
import { testKafka, testRegistry } from '../../stack/env';
import {
  contactAttributes,
  createInputTopic,
  deadLetters,
  produceJson,
  runSink,
  sinkConfig,
  writes,
} from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 21, size: { contacts: 40 } }));

/** The live contact with this external_id or email in the simulator's truth. */
function contactBy(sim: RunningSimulator, field: 'external_id' | 'email', value: string) {
  return sim.truth
    .ids('contacts')
    .map((id) => sim.truth.get('contacts', id)!)
    .filter((c) => c[field] === value);
}

describe('contact sink: Kafka → Intercom', () => {
  let stringAttr: string;
  let numberAttr: string;
  beforeAll(async () => {
    const attrs = contactAttributes(sim);
    stringAttr = [...attrs].find(([, t]) => t === 'string')![0];
    numberAttr = [...attrs].find(([, t]) => t === 'integer')![0];
  });

  it('applies upserts exactly as the input says; a replay writes nothing', async () => {
    const existing = sim.truth.get('contacts', sim.truth.ids('contacts')[0]!)!;
    const config = sinkConfig(sim.url, {
      SINK_CONTACTS_ATTRIBUTES: `plan=${stringAttr},seats=${numberAttr}`,
    });
    const kafka = testKafka('sink-test');
    const topic = config.sink.contacts.topic;
    await createInputTopic(kafka, topic);
    const records = [
      // a new user, then a change of it
      { external_id: 'crm-1', email: 'ada@example.com', name: 'Ada', custom_attributes: { plan: 'pro' } },
      { external_id: 'crm-1', name: 'Ada Lovelace', custom_attributes: { seats: 3 } },
      // an existing contact matched by email
      { email: existing.email, phone: '+441234567', signed_up_at: '2024-05-01T10:00:00Z' },
      // a lead, by email only
      { email: 'lead@example.com', role: 'lead', name: 'Lee' },
      // archived, then back
      { external_id: 'crm-2', email: 'bob@example.com', name: 'Bob' },
      { external_id: 'crm-2', archived: true },
      { external_id: 'crm-3', email: 'cy@example.com', name: 'Cy' },
      { external_id: 'crm-3', archived: true },
      { external_id: 'crm-3', archived: false, name: 'Cy again' },
      // the connector's own change event (sink reading a change topic): never written back
      { op: 'u', ts_ms: 1, source: { connector: 'x' }, after: { email: 'loop@example.com' } },
    ];
    await produceJson(kafka, topic, records);
    const results = await runSink(config, records.length);
    expect(results.filter((r) => r === 'dead_letter')).toEqual([]);
    expect(results).toContain('skipped_event');

    const ada = contactBy(sim, 'external_id', 'crm-1');
    expect(ada).toHaveLength(1);
    expect(ada[0]).toMatchObject({ role: 'user', email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(ada[0]!.custom_attributes).toMatchObject({ [stringAttr]: 'pro', [numberAttr]: 3 });

    const matched = sim.truth.get('contacts', existing.id as string)!;
    expect(matched).toMatchObject({ phone: '+441234567', signed_up_at: 1_714_557_600 });
    expect(contactBy(sim, 'email', existing.email as string)).toHaveLength(1);

    expect(contactBy(sim, 'email', 'lead@example.com')).toEqual([
      expect.objectContaining({ role: 'lead', name: 'Lee' }),
    ]);
    expect(contactBy(sim, 'external_id', 'crm-2')).toEqual([]);
    expect(sim.truth.archived('contacts')).toHaveLength(1);
    expect(contactBy(sim, 'external_id', 'crm-3')).toEqual([expect.objectContaining({ name: 'Cy again' })]);
    expect(contactBy(sim, 'email', 'loop@example.com')).toEqual([]);

    // Replay: the same input under a new consumer group. Every record is known applied: nothing is sent.
    const before = writes(sim);
    const replay = await runSink(
      { ...config, sink: { contacts: { ...config.sink.contacts, groupId: 'replay-1' } } },
      records.length,
    );
    expect(writes(sim)).toEqual(before);
    expect(
      replay.filter((r) => !['already_applied', 'unchanged', 'skipped_event', 'kept_archived'].includes(r)),
    ).toEqual([]);
  });

  it('sends nothing for values Intercom holds already, even without its own state (loop prevention)', async () => {
    const config = sinkConfig(sim.url);
    const kafka = testKafka('sink-test');
    await createInputTopic(kafka, config.sink.contacts.topic);
    // What the capture side would publish back for contacts: their current values.
    const ids = sim.truth.ids('contacts').slice(5, 15);
    const echoes = ids.map((id) => {
      const c = sim.truth.get('contacts', id)!;
      return {
        email: c.email,
        name: c.name,
        role: c.role,
        ...(c.external_id ? { external_id: c.external_id } : {}),
      };
    });
    await produceJson(kafka, config.sink.contacts.topic, echoes);
    const before = writes(sim);
    const results = await runSink(config, echoes.length);
    expect(results).toEqual(echoes.map(() => 'unchanged'));
    expect(writes(sim)).toEqual(before);
  });

  it('sends rejected records to the dead-letter topic with the reason, and goes on', async () => {
    const config = sinkConfig(sim.url, {
      SINK_CONTACTS_ATTRIBUTES: `plan=${stringAttr},ghost=no_such_attribute`,
    });
    const kafka = testKafka('sink-test');
    const topic = config.sink.contacts.topic;
    await createInputTopic(kafka, topic, 1);
    const records: unknown[] = [
      { external_id: 'bad-1', custom_attributes: { ghost: 'x' } }, // Intercom: unknown attribute
      { external_id: 'bad-2', custom_attributes: { plan: 'p', color: 'red' } }, // not mapped
      { name: 'nobody' }, // nothing to match on
      { external_id: 'bad-3', signed_up_at: 'last tuesday' },
      Buffer.from('{"external_id": "bad-4", '), // not JSON
      { external_id: 'good-1', name: 'Good' },
    ];
    await produceJson(kafka, topic, records);
    const results = await runSink(config, records.length);
    expect(results).toEqual([...Array(5).fill('dead_letter'), 'created']);
    const dlq = await deadLetters(config);
    expect(dlq.map((d) => d.code)).toEqual([
      'intercom_400',
      'unmapped_attribute',
      'no_identity',
      'invalid_field',
      'undecodable',
    ]);
    expect(dlq[0]).toMatchObject({
      topic,
      partition: 0,
      intercom: { status: 400, code: 'parameter_not_found' },
    });
    expect(String(dlq[0]!.error)).toMatch(/no_such_attribute/);
    expect(dlq[0]!.record).toEqual(records[0]);
    expect(String(dlq[1]!.error)).toMatch(/color/);
    expect(dlq[4]!.value_base64).toBe((records[4] as Buffer).toString('base64'));
    expect(contactBy(sim, 'external_id', 'good-1')).toHaveLength(1);
    expect(contactBy(sim, 'external_id', 'bad-1')).toEqual([]);
  });

  it('reads Avro through the schema registry', async () => {
    const config = sinkConfig(sim.url, { SINK_CONTACTS_FORMAT: 'avro' });
    const kafka = testKafka('sink-test');
    const topic = config.sink.contacts.topic;
    await createInputTopic(kafka, topic, 1);
    const registry = testRegistry();
    const schema = readFileSync(path.join(__dirname, '../../../schemas/sink/contact_upsert.avsc'), 'utf8');
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-value` });
    const value = await registry.encode(id, {
      external_id: 'avro-1',
      email: 'avro@example.com',
      role: 'lead',
      name: 'Avro',
      owner_id: null,
      phone: null,
      avatar: null,
      signed_up_at: 1_714_557_600_000,
      last_seen_at: null,
      unsubscribed_from_emails: true,
      custom_attributes: null,
      archived: null,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'avro-1', value },
        { key: 'x', value: Buffer.from('{}') },
      ],
    });
    await producer.disconnect();
    const results = await runSink(config, 2);
    expect(results).toEqual(['created', 'dead_letter']);
    expect(contactBy(sim, 'email', 'avro@example.com')).toEqual([
      expect.objectContaining({
        role: 'lead',
        name: 'Avro',
        signed_up_at: 1_714_557_600,
        unsubscribed_from_emails: true,
      }),
    ]);
    const dlq = await deadLetters(config);
    expect(dlq[0]).toMatchObject({ code: 'undecodable' });
    expect(String(dlq[0]!.error)).toMatch(/SINK_CONTACTS_FORMAT=json/);
  });
  it('stops on a rejected record under ERRORS_TOLERANCE=none, and on a refused token (exit code 2)', async () => {
    const strict = sinkConfig(sim.url, { ERRORS_TOLERANCE: 'none' });
    const kafka = testKafka('sink-test');
    await createInputTopic(kafka, strict.sink.contacts.topic, 1);
    await produceJson(kafka, strict.sink.contacts.topic, [{ name: 'nobody' }, { external_id: 'after-stop' }]);
    await expect(runSink(strict, 2)).rejects.toMatchObject({ code: 'no_identity' });
    expect(contactBy(sim, 'external_id', 'after-stop')).toEqual([]);

    const guarded = await startSimulator({ seed: 23, size: { contacts: 2 }, token: 'the-right-token' });
    try {
      const config = sinkConfig(guarded.url, { INTERCOM_TOKEN: 'a-wrong-token' });
      await createInputTopic(kafka, config.sink.contacts.topic, 1);
      await produceJson(kafka, config.sink.contacts.topic, [{ external_id: 'x-1', name: 'X' }]);
      const error = await runSink(config, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CdcError);
      expect(exitCodeFor(error)).toBe(2);
      expect(String((error as Error).message)).not.toContain('a-wrong-token');
    } finally {
      await guarded.close();
    }
  });
});
