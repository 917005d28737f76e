import { testKafka } from '../../stack/env';
import { createInputTopic, produceJson, runSink, sinkConfig } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 24, size: { contacts: 3 } }));

const CONTACTS = 40;

/**
 * A hostile API while the sink writes: 429 storms, 5xx, connections reset before the write, and answers
 * cut or garbled after the write happened (the worst case for a create). Every record must be applied,
 * and Intercom must see exactly the two changes per contact the input asks for.
 */
describe('contact sink under API faults', () => {
  it('applies every upsert once through 429s, 5xx, resets and lost answers', async () => {
    const config = sinkConfig(sim.url);
    const kafka = testKafka('sink-faults');
    await createInputTopic(kafka, config.sink.contacts.topic, 2);
    const records = [
      ...Array.from({ length: CONTACTS }, (_, i) => ({ external_id: `f-${i}`, email: `f${i}@example.com` })),
      ...Array.from({ length: CONTACTS }, (_, i) => ({ external_id: `f-${i}`, name: `F ${i}` })),
    ];
    await produceJson(kafka, config.sink.contacts.topic, records);

    sim.faults.add({ kind: 'rateLimited', retryAfterSec: 1, times: 6 });
    sim.faults.add({ kind: 'status', status: 503, match: { method: 'PUT' }, times: 4 });
    sim.faults.add({ kind: 'status', status: 500, match: { path: '/contacts', method: 'POST' }, times: 3 });
    sim.faults.add({ kind: 'reset', match: { path: /^\/contacts\/find_by_external_id\// }, times: 4 });
    // The write happens, its answer is lost: a create must not be sent again blindly.
    sim.faults.add({ kind: 'truncated', match: { path: '/contacts', method: 'POST' }, times: 3 });
    sim.faults.add({ kind: 'malformed', match: { path: '/contacts', method: 'POST' }, times: 2 });
    sim.faults.add({ kind: 'truncated', match: { method: 'PUT' }, times: 3 });

    const results = await runSink(config, records.length, 150_000);
    expect(results.filter((r) => r === 'dead_letter')).toEqual([]);

    const changes = new Map<string, number>();
    for (const r of sim.truth.log())
      if (r.stream === 'contacts') changes.set(r.id, (changes.get(r.id) ?? 0) + 1);
    const wrong: string[] = [];
    for (let i = 0; i < CONTACTS; i++) {
      const found = sim.truth
        .ids('contacts')
        .map((id) => sim.truth.get('contacts', id)!)
        .filter((c) => c.external_id === `f-${i}`);
      if (found.length !== 1) wrong.push(`f-${i}: ${found.length} contacts`);
      else if (found[0]!.name !== `F ${i}` || found[0]!.email !== `f${i}@example.com`)
        wrong.push(`f-${i}: ${JSON.stringify([found[0]!.name, found[0]!.email])}`);
      else if (changes.get(found[0]!.id as string) !== 2)
        wrong.push(`f-${i}: ${changes.get(found[0]!.id as string)} changes`);
    }
    expect(wrong).toEqual([]);
    expect(sim.stats().rateLimited).toBeGreaterThanOrEqual(6);
  });
});
