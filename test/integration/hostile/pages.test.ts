import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { readTopics, testConfig } from '../capture/harness';
import { converge, deadLetters, duplicates, waitFor } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 61, size: { contacts: 10, tickets: 400, collections: 200 } }));

/**
 * Pages that lie, through the simulator over real HTTP and the real stack: a page answered without its
 * list (asked for again, then a dead letter, and the walk goes on with the next page), and a
 * `total_count` that is far too low or absurdly high (a hint: every object is read, and the slices of a
 * first sync stay bounded).
 */
describe('pages that lie', () => {
  it('asks again for a page without its list, then dead-letters it and reads the next page; nothing is lost or deleted', async () => {
    const config = testConfig(sim.url, { STREAMS: 'help_center_collections' });
    const app = await buildApp(config, silentLogger());
    try {
      const ids = sim.truth.ids('help_center_collections');
      expect(await app.engine.poll('help_center_collections')).toMatchObject({
        kind: 'snapshot',
        published: ids.length,
      });

      // Missing twice, then there: the third attempt reads it; no dead letter.
      sim.faults.add({
        kind: 'dropList',
        match: { method: 'GET', path: '/help_center/collections' },
        times: 2,
      });
      const before = sim.stats().byRoute['GET /help_center/collections'] ?? 0;
      expect(await app.engine.reconcile('help_center_collections')).toMatchObject({
        deadLetters: 0,
        deleted: 0,
      });
      expect((sim.stats().byRoute['GET /help_center/collections'] ?? 0) - before).toBe(4); // two pages, the first sent thrice

      // Missing on every attempt: the first page (150 collections, two of them changed) is a dead letter;
      // the second is read; the collections of the first are not taken for deleted (a GET confirms each),
      // and the changed ones are published from that GET.
      sim.clock.advance(60_000);
      sim.mutate.update('help_center_collections', ids[0]!);
      sim.mutate.update('help_center_collections', ids[1]!);
      sim.faults.add({
        kind: 'dropList',
        match: { method: 'GET', path: '/help_center/collections' },
        times: 3,
      });
      const reconciled = await app.engine.reconcile('help_center_collections');
      expect(reconciled).toMatchObject({ deadLetters: 1, deleted: 0, published: 2 });
      let dlq = await deadLetters(app.topics.dlq);
      await waitFor(async () => (dlq = await deadLetters(app.topics.dlq)).length >= 1, 15_000);
      expect(dlq).toHaveLength(1);
      expect(dlq[0]).toMatchObject({
        key: null,
        stream: 'help_center_collections',
        id: '',
        code: 'page_without_list',
      });
      expect(dlq[0]!.error).toMatch(
        /GET \/help_center\/collections without a "data" list 3 time\(s\) in a row/,
      );
      const raw = dlq[0]!.raw as { request: unknown; body: Record<string, unknown> };
      expect(raw.request).toEqual({ method: 'GET', path: '/help_center/collections' });
      expect(raw.body).toMatchObject({ type: 'list', pages: expect.objectContaining({ total_pages: 2 }) });
      expect(raw.body.data).toBeUndefined();

      expect(await converge(sim, config.kafka.topicPrefix, ['help_center_collections'], 30_000)).toEqual([]);
      expect(duplicates(await readTopics([app.topics.events('help_center_collections')]))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('reads every object whatever total_count says: too low, or absurdly high (slices stay bounded)', async () => {
    // Tickets: their search is cut by the second, so without a bound a huge total would cut slices down
    // to single seconds.
    const ids = sim.truth.ids('tickets');
    for (const value of [1, 1_000_000_000]) {
      const config = testConfig(sim.url, { STREAMS: 'tickets' });
      const app = await buildApp(config, silentLogger());
      try {
        sim.faults.add({
          kind: 'totalCount',
          value,
          match: { method: 'POST', path: '/tickets/search' },
          times: Infinity,
        });
        const before = sim.stats().byRoute['POST /tickets/search'] ?? 0;
        expect(await app.engine.poll('tickets')).toMatchObject({ kind: 'snapshot', published: ids.length });
        const searches = (sim.stats().byRoute['POST /tickets/search'] ?? 0) - before;
        // At most 24 slices per walker (48 walkers): with the probes of the slices that were cut, and
        // their pages, within twice that.
        expect(searches).toBeLessThanOrEqual(2 * 48 * 24);
        expect(await converge(sim, config.kafka.topicPrefix, ['tickets'], 30_000)).toEqual([]);
      } finally {
        sim.faults.clear();
        await app.close();
      }
    }
  });
});
