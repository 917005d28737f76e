import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { readTopics, testConfig } from '../capture/harness';
import { deadLetters, duplicates, waitFor } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 31, size: { contacts: 30 } }));

/** 2100-01-01 in Unix seconds: an `updated_at` no clock skew explains. */
const YEAR_2100 = 4_102_444_800;

/**
 * Items an API should never send, through the simulator and the real stack: a page with `null` and
 * id-less items in its list, and an object whose `updated_at` is in 2100. Each costs that one item
 * (a dead letter) or is decided by its content (the future date), and the stream goes on.
 */
describe('bad items', () => {
  it('dead-letters items without an id, publishes the rest of their page, and never lets a future updated_at hold a stream back', async () => {
    const app = await buildApp(testConfig(sim.url, { STREAMS: 'contacts' }), silentLogger());
    try {
      const ids = sim.truth.ids('contacts');
      const topic = app.topics.events('contacts');
      expect(await app.engine.poll('contacts')).toMatchObject({ kind: 'snapshot', published: ids.length });
      // The window's search page carries junk first: a null, an item without an id, an id that is an object.
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', ids[5]!);
      sim.faults.add({
        kind: 'extraItems',
        items: [null, { type: 'contact', name: 'no id' }, { type: 'contact', id: { oid: 1 } }],
        match: { method: 'POST', path: '/contacts/search' },
        times: 1,
      });
      const window = await app.engine.poll('contacts');
      expect(window).toMatchObject({ kind: 'incremental', published: 1, deadLetters: 3 });
      let dlq = await deadLetters(app.topics.dlq);
      await waitFor(async () => (dlq = await deadLetters(app.topics.dlq)).length >= 3, 15_000);
      expect(dlq.map((d) => [d.key, d.code])).toEqual([
        [null, 'invalid_item'],
        [null, 'invalid_item'],
        [null, 'invalid_item'],
      ]);
      expect(dlq[0]!.error).toMatch(/^contacts: item 1 of a page of \d+ is null, not an object$/);

      // Intercom answers with an updated_at in 2100 for one changed contact.
      const [future, other] = ids;
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', future!);
      sim.mutate.update('contacts', other!);
      sim.faults.add({
        kind: 'corrupt',
        objects: { [future!]: { set: { updated_at: YEAR_2100 } } },
        match: { path: /^\/contacts/ },
        times: Infinity,
      });
      await app.engine.poll('contacts');
      const watermark = app.store.streamProgress('contacts').watermark!;
      expect(watermark).toBeLessThan(Date.now() + 86_400_000); // not 2100
      expect(app.store.object('contacts', future!)!.u).toBeNull();

      // The fix arrives as a new version with a real date: published, not taken for an older one.
      sim.faults.clear();
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', future!);
      await app.engine.poll('contacts');
      let events = await readTopics([topic]);
      await waitFor(
        async () => (events = await readTopics([topic])).filter((e) => e.id === future).length >= 3,
        15_000,
      );
      const versions = events.filter((e) => e.id === future);
      expect(versions.map((e) => e.value!.op)).toEqual(['r', 'u', 'u']);
      expect(JSON.parse(versions[2]!.value!.raw!)).toEqual(sim.truth.get('contacts', future!));
      expect(duplicates(events)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
