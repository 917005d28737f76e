import { buildApp } from '../../../src/app';
import type { WaitHeader } from '../../../src/intercom/rate-limiter';
import { silentLogger } from '../../../src/logger';
import type { SimStream } from '../../../src/sim';
import type { StreamName } from '../../../src/streams';
import { readTopics, testConfig, type DecodedEvent } from '../capture/harness';
import { behind, deadLetters, duplicates, waitFor, type DeadLetter } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 73,
  size: { contacts: 30, tickets: 200, articles: 20, collections: 200, admins: 4, tags: 8 },
}));

const STREAMS: SimStream[] = ['contacts', 'tickets', 'articles', 'help_center_collections', 'tags', 'admins'];
/** Time between two polls of a stream, in ms. */
const POLL_MS = 3_000;
/** Cap of every wait taken from a header, in ms: well under one poll. */
const CAP_MS = 800;
/** Commit, scheduling and a loaded machine, on top of what the test allows a stream. */
const SLACK_MS = 1_500;
/** 2100-01-01 in Unix seconds: an `updated_at` no clock skew explains. */
const YEAR_2100 = 4_102_444_800;

/**
 * Every fault of the adversarial suite at once, through the simulator over real HTTP, the real stack and
 * the engine's own loops (`run`'s capture, polls every POLL_MS): null and id-less items in every
 * contact search page, a contact whose GET always fails, an article dated 2100, a page of collections
 * without its list, ticket searches whose `total_count` says 1, and absurd `Retry-After` and
 * `X-RateLimit-Reset` headers on the tags listing. It ends with the simulator's truth published exactly
 * once for every object that can be read, every bad one in the dead-letter topic with its code, and the
 * stream without faults (admins) never late by more than one poll.
 */
describe('every fault at once', () => {
  it('publishes what can be read exactly once, dead-letters the rest, and delays no other stream by more than one poll', async () => {
    const config = testConfig(sim.url, {
      STREAMS: STREAMS.join(','),
      POLL_INTERVAL_MS: String(POLL_MS),
      INTERCOM_MAX_HEADER_WAIT_MS: String(CAP_MS),
      ERRORS_MAX_READ_ATTEMPTS: '2',
    });
    const prefix = config.kafka.topicPrefix;
    /** Headers whose wait was capped, of those asking for more than a day (Intercom's own ask for seconds). */
    const absurd: WaitHeader[] = [];
    const future: string[] = [];
    /** Each change made to an admin: resolves with the wall ms until it was committed (or Infinity). */
    const adminChanges: Promise<number>[] = [];
    const changeAdmin = (): void => {
      const admins = sim.truth.ids('admins');
      const id = admins[adminChanges.length % admins.length]!;
      const before = app.store.object('admins', id)?.h;
      sim.mutate.update('admins', id);
      const at = Date.now();
      const committed = waitFor(() => app.store.object('admins', id)?.h !== before, 4 * POLL_MS, 25);
      adminChanges.push(committed.then((ok) => (ok ? Date.now() - at : Infinity)));
    };
    // The lying count is there from the first sync on, where a low one ended walks and a huge one cut slices.
    sim.faults.add({
      kind: 'totalCount',
      value: 1,
      match: { method: 'POST', path: '/tickets/search' },
      times: Infinity,
    });
    const app = await buildApp(config, silentLogger(), {
      clientObserver: {
        headerWaitCapped: (e) => {
          if (e.waitMs <= 86_400_000) return;
          // The stall an absurd header would cause starts now: an admin changed now must not wait it out.
          if (absurd.length === 0) changeAdmin();
          absurd.push(e.header);
        },
      },
      engineObserver: () => ({ futureTimestamp: (stream) => future.push(stream) }),
    });
    const stop = new AbortController();
    /** How `run` ended: nothing here may end it (undefined). */
    const ended = app.engine.run(stop.signal).then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      // The first sync of every stream, and the reconciliation that follows that of a windowed one.
      const windowed: StreamName[] = ['contacts', 'tickets', 'articles', 'help_center_collections'];
      expect(
        await waitFor(
          async () =>
            windowed.every((s) => app.store.streamProgress(s).lastReconcile !== null) &&
            behind(sim, await readTopics(topics(prefix)), prefix, STREAMS).length === 0,
          20_000,
          250,
        ),
      ).toBe(true);

      // Every fault at once, with a change in each stream.
      sim.clock.advance(60_000);
      const ids = (s: SimStream) => sim.truth.ids(s);
      const broken = sim.mutate.create('contacts'); // new to the state: read by its GET, which fails
      const [dated, laterArticle] = ids('articles');
      sim.faults.add({
        kind: 'status',
        status: 400, // refused at once (a 5xx would first be retried by the client for ~16 s)
        match: { method: 'GET', path: `/contacts/${broken}` },
        times: Infinity,
      });
      sim.faults.add({
        kind: 'extraItems',
        items: [null, { type: 'contact', name: 'no id' }],
        match: { method: 'POST', path: '/contacts/search' },
        times: Infinity,
      });
      sim.faults.add({
        kind: 'corrupt',
        objects: { [dated!]: { set: { updated_at: YEAR_2100 } } },
        match: { path: /^\/articles/ },
        times: Infinity,
      });
      sim.faults.add({
        kind: 'dropList',
        match: { method: 'GET', path: '/help_center/collections' },
        times: 3, // every attempt at one page
      });
      for (const retryAfterHeader of [true, false]) {
        sim.faults.add({
          kind: 'rateLimited',
          retryAfterSec: 1e10,
          retryAfterHeader,
          match: { method: 'GET', path: '/tags' },
          times: 1,
        });
      }
      for (const s of ['contacts', 'tickets', 'help_center_collections', 'tags'] as const) {
        sim.mutate.update(
          s,
          ids(s).find((id) => id !== broken)!,
        );
      }
      sim.mutate.update('articles', dated!);
      changeAdmin();

      // Every bad one in the dead-letter topic with its code; the streams they were in go on.
      const expected = [
        ['contacts', null, 'invalid_item', /^contacts: item 1 of a page of \d+ is null, not an object$/],
        ['contacts', null, 'invalid_item', /^contacts: item 2 of a page of \d+ is an object without an id/],
        ['contacts', broken, 'read_failed', /read failed 2 times in a row/],
        ['help_center_collections', null, 'page_without_list', /without a "data" list 3 time\(s\)/],
      ] as const;
      const kindOf = (d: DeadLetter) =>
        expected.findIndex(([s, key, code, error]) => {
          return d.stream === s && d.key === key && d.code === code && error.test(d.error);
        });
      let dlq: DeadLetter[] = [];
      await waitFor(
        async () => new Set((dlq = await deadLetters(app.topics.dlq)).map(kindOf)).size >= expected.length,
        20_000,
        250,
      );
      // Every dead letter is one of those, each at least once (a contact search page carries its junk
      // every time, and the unreadable contact is in every window, so both come back), one bad page.
      expect(dlq.map(kindOf).filter((k) => k < 0)).toEqual([]);
      expect(new Set(dlq.map(kindOf)).size).toBe(expected.length);
      expect(dlq.filter((d) => d.code === 'page_without_list')).toHaveLength(1);

      // A later change of articles after the one dated 2100: published (the watermark never went to
      // 2100); the one dated 2100 published once, undated; everything readable published exactly once.
      sim.clock.advance(60_000);
      sim.mutate.update('articles', laterArticle!);
      changeAdmin();
      expect(await readable(prefix, [broken], dated!)).toEqual([]);
      expect(app.store.streamProgress('articles').watermark).toBeLessThan(YEAR_2100 * 1000);
      expect(future).toContain('articles');

      // The stream without faults was never late by more than one poll: each admin change (with the
      // faults, as the absurd headers arrived, after them) was committed within two poll intervals.
      expect([...new Set(absurd)].sort()).toEqual(['retry-after', 'x-ratelimit-reset']);
      const latencies = await Promise.all(adminChanges);
      expect(latencies).toHaveLength(3);
      expect(Math.max(...latencies)).toBeLessThan(2 * POLL_MS + SLACK_MS);
    } finally {
      stop.abort();
      await ended;
      sim.faults.clear();
      await app.close();
    }
    expect(await ended).toBeUndefined();
    const events = await readTopics(topics(prefix));
    expect(duplicates(events)).toEqual([]);
  });

  /**
   * What the topics lack against the truth, but for the unreadable objects (`unreadable`) and the object
   * dated 2100 (`dated`), whose latest event must be the object as Intercom showed it, undated.
   */
  async function readable(prefix: string, unreadable: string[], dated: string): Promise<string[]> {
    let missing: string[] = ['not read yet'];
    let events: DecodedEvent[] = [];
    await waitFor(
      async () => {
        events = await readTopics(topics(prefix));
        missing = behind(sim, events, prefix, STREAMS).filter(
          (m) => !unreadable.some((id) => m === `contacts/${id}`) && m !== `articles/${dated}`,
        );
        return missing.length === 0;
      },
      20_000,
      250,
    );
    const last = events.filter((e) => e.topic === `${prefix}.articles` && e.id === dated).pop();
    expect(JSON.parse(last!.value!.raw!)).toEqual({
      ...sim.truth.get('articles', dated),
      updated_at: YEAR_2100,
    });
    expect(last!.value!.source.updated_at).toBeNull();
    return missing;
  }
});

function topics(prefix: string): string[] {
  return STREAMS.map((s) => `${prefix}.${s}`);
}
