import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import type { ObjectCorruption } from '../../../src/sim';
import { readTopics, testConfig } from '../capture/harness';
import { deadLetters, duplicates, waitFor } from './helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 23, size: { contacts: 40 } }));

/** 5,000 levels of `{"a": …}` as JSON text: JSON.stringify itself overflows the stack on such a value. */
const DEEP = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;

/**
 * Adversarial payloads: each bad object of a page goes to the dead-letter topic with a code and the
 * field's path, the good objects of the same page are published, the engine goes on, and once the
 * object is fixed in Intercom it is published.
 */
describe('adversarial payloads', () => {
  it('dead-letters bad objects (too large, too deep, wrong types, bad text), publishes the rest, then the fixed ones', async () => {
    const app = await buildApp(testConfig(sim.url, { STREAMS: 'contacts' }), silentLogger());
    try {
      const ids = sim.truth.ids('contacts');
      // [id, corruption, expected dead-letter code (undefined: published), expected field path]
      const cases: [string, ObjectCorruption, string | undefined, string][] = [
        [ids[0], { set: { name: 'x'.repeat(3 * 1024 * 1024) } }, 'too_large', 'contacts'],
        [
          ids[1],
          { set: { 'custom_attributes.deep': { $json: DEEP } } },
          'too_deep',
          'contacts.custom_attributes.deep',
        ],
        [ids[2], { set: { zz_new_field: { nested: [1, 'two'] }, zz_flag: true } }, undefined, ''],
        [ids[3], { set: { email: 12345 } }, undefined, ''], // a safe integer becomes "12345": documented lossless coercion
        [ids[4], { set: { email: { address: 'a@b.c' } } }, 'mapping_failed', 'contacts.email'],
        [ids[5], { set: { created_at: true } }, 'mapping_failed', 'contacts.created_at'],
        [ids[6], { set: { custom_attributes: 'x' } }, 'mapping_failed', 'contacts.custom_attributes'],
        [ids[7], { set: { created_at: '2026-02-30T25:00:00Z' } }, 'mapping_failed', 'contacts.created_at'],
        [ids[8], { set: { name: 'Ann \ud800 Lee' } }, 'invalid_utf8', 'contacts.name'],
        [ids[9], { set: { name: { $bytes: [0x41, 0xff, 0xfe, 0x42] } } }, 'invalid_utf8', 'contacts.name'],
        [ids[10], { set: { 'location.city': '\udfff' } }, 'invalid_utf8', 'contacts.location.city'],
      ];
      const bad = cases.filter(([, , code]) => code !== undefined);
      sim.faults.add({
        kind: 'corrupt',
        objects: Object.fromEntries(cases.map(([id, how]) => [id, how])),
        match: { path: /^\/contacts/ },
        times: Infinity,
      });

      const first = await app.engine.poll('contacts');
      expect(first).toMatchObject({
        kind: 'snapshot',
        published: ids.length - bad.length,
        deadLetters: bad.length,
      });

      // Committed, but a read_committed reader may see the records a moment later (transaction markers).
      let dlq = await deadLetters(app.topics.dlq);
      await waitFor(async () => (dlq = await deadLetters(app.topics.dlq)).length >= bad.length, 15_000);
      const byKey = new Map(dlq.map((d) => [d.key, d]));
      expect([...byKey.keys()].sort()).toEqual(bad.map(([id]) => id).sort());
      for (const [id, , code, path] of bad) {
        const d = byKey.get(id)!;
        expect({ id, code: d.code, stream: d.stream }).toEqual({ id, code, stream: 'contacts' });
        expect(d.error).toContain(path);
        expect(d.bytes).toBeLessThan(1_000_000); // the dead letter itself fits in a Kafka message
      }
      const large = byKey.get(ids[0])!;
      expect(large).toMatchObject({ raw_truncated: true });
      expect(large.raw_bytes).toBeGreaterThan(3 * 1024 * 1024);
      expect(typeof large.raw).toBe('string');
      expect(large.error).toMatch(/over the 1000000-byte limit/);
      // The deep object is kept whole in the dead letter (written without recursion).
      let deep = (byKey.get(ids[1])!.raw as { custom_attributes: { deep: unknown } }).custom_attributes.deep;
      let depth = 0;
      while (typeof deep === 'object' && deep !== null) {
        deep = (deep as { a: unknown }).a;
        depth++;
      }
      expect(depth).toBe(5000);
      // Not a silently altered value: the dead letter shows what came (U+FFFD where bytes were not UTF-8).
      expect((byKey.get(ids[9])!.raw as { name: string }).name).toBe('A\ufffd\ufffdB');
      expect((byKey.get(ids[8])!.raw as { name: string }).name).toBe('Ann \ud800 Lee');
      console.log(
        `payloads: ${dlq.length} dead letters: ${dlq.map((d) => `${d.code} (${d.bytes} B)`).join(', ')}`,
      );

      const topic = app.topics.events('contacts');
      let events = await readTopics([topic]);
      await waitFor(
        async () => (events = await readTopics([topic])).length >= ids.length - bad.length,
        15_000,
      );
      expect(events.map((e) => e.id).sort()).toEqual(ids.filter((id) => !bad.some(([b]) => b === id)).sort());
      // Unknown fields are no dead letter: the typed record ignores them, `raw` keeps them.
      const unknown = events.find((e) => e.id === ids[2])!;
      expect(JSON.parse(unknown.value!.raw!)).toMatchObject({
        zz_new_field: { nested: [1, 'two'] },
        zz_flag: true,
      });
      expect(unknown.value!.after).not.toHaveProperty('zz_new_field');
      expect(events.find((e) => e.id === ids[3])!.value!.after!.email).toBe('12345');

      // Intercom fixes the objects (a new version each): the next poll publishes them, nothing else.
      sim.faults.clear();
      sim.clock.advance(60_000);
      for (const [id] of bad) sim.mutate.update('contacts', id);
      const second = await app.engine.poll('contacts');
      expect(second).toMatchObject({ deadLetters: 0 });
      await waitFor(async () => (events = await readTopics([topic])).length >= ids.length, 15_000);
      for (const [id] of bad) {
        const latest = events.filter((e) => e.id === id);
        expect({ id, count: latest.length }).toEqual({ id, count: 1 });
        expect(JSON.parse(latest[0].value!.raw!)).toEqual(sim.truth.get('contacts', id));
      }
      expect(duplicates(events)).toEqual([]);
      expect((await deadLetters(app.topics.dlq)).length).toBe(bad.length);
    } finally {
      await app.close();
    }
  });
});
