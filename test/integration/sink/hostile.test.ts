import { testKafka } from '../../stack/env';
import { createInputTopic, deadLetters, produceJson, runSink, sinkConfig } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 25, size: { contacts: 3 } }));

/**
 * Hostile input through the real stack: an email of 900 KB in the regex's worst shape and a record
 * nested 10,000 levels deep go to the dead-letter topic (the sink neither freezes nor crashes), and the
 * record after them is applied.
 */
describe('contact sink against hostile input', () => {
  it('dead-letters a huge email and a 10,000-level record, then goes on', async () => {
    const config = sinkConfig(sim.url);
    const kafka = testKafka('sink-hostile');
    const topic = config.sink.contacts.topic;
    await createInputTopic(kafka, topic, 1);
    await produceJson(kafka, topic, [Buffer.from(JSON.stringify({ email: `a@${'.'.repeat(900_000)} ` }))]);
    await produceJson(kafka, topic, [
      Buffer.from(`{"email":"d@example.com","name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      { external_id: 'h-1', email: 'h1@example.com' },
    ]);

    const results = await runSink(config, 3);
    expect(results).toEqual(['dead_letter', 'dead_letter', 'created']);
    const letters = await deadLetters(config);
    expect(letters.map((l) => l.code)).toEqual(['invalid_field', 'too_deep']);
    expect(letters[0]!.error).toMatch(/^email: \d+ characters, longer than the 254 allowed/);
    expect(letters[1]!.record).toMatchObject({ email: 'd@example.com' });
    const created = sim.truth
      .ids('contacts')
      .map((id) => sim.truth.get('contacts', id)!)
      .filter((c) => c.external_id === 'h-1');
    expect(created).toHaveLength(1);
  });
});
