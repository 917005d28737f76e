import { buildApp, type App } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { byId, readTopics, testConfig, type DecodedEvent } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 25,
  size: { contacts: 60, conversations: 2, tags: 40 },
  clock: { mode: 'manual', startMs: Date.parse('2026-05-04T10:00:00Z') },
}));

interface TagList {
  data: { id: string }[];
  total_count: number;
  has_more: boolean;
}

/**
 * A contact embeds at most ten of its tags (with `has_more` and the URL of the rest). Through the real
 * stack and the simulator over HTTP, the connector publishes every contact with its lists in full, reads
 * the rest of a list once per version of the contact, and counts those reads.
 */
describe('embedded lists past ten items', () => {
  let app: App | undefined;
  const listRequests: string[] = [];

  afterEach(async () => {
    await app?.close();
  });

  /**
   * The events of the contacts' topic by id, once `ready` holds of them: a transaction's markers reach
   * the partitions shortly after the commit returns, so a read right after it may not see it yet.
   */
  async function eventsUntil(ready: (events: Map<string, DecodedEvent[]>) => boolean) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const events = byId(await readTopics([app!.topics.events('contacts')]));
      if (ready(events) || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The events of one contact, once there are `count` of them (or the wait ran out). */
  async function eventsOf(id: string, count: number): Promise<DecodedEvent[]> {
    const events = await eventsUntil((e) => (e.get(id)?.length ?? 0) >= count);
    return events.get(id) ?? [];
  }

  const tagsOf = (e: DecodedEvent): TagList => (JSON.parse(e.value!.raw!) as { tags: TagList }).tags;

  it('a contact with 25 tags is published with its 25; after its 20th is removed, its next event carries the 24 left', async () => {
    const tagIds = sim.truth.ids('tags').slice(0, 25);
    expect(tagIds).toHaveLength(25);
    const id = sim.truth.ids('contacts')[7]!;
    const list = (ids: string[]) => ({
      type: 'list',
      data: ids.map((t) => ({ type: 'tag', id: t, url: `/tags/${t}` })),
      url: `/contacts/${id}/tags`,
      total_count: ids.length,
      has_more: false,
    });
    sim.mutate.update('contacts', id, { tags: list(tagIds) });
    // The API shows ten of them.
    const shown = (await (await fetch(`${sim.url}/contacts/${id}`, { headers: auth })).json()) as {
      tags: TagList;
    };
    expect([shown.tags.data.length, shown.tags.total_count, shown.tags.has_more]).toEqual([10, 25, true]);
    // Contacts the simulator made with more than ten tags are published in full too.
    const pastTen = sim.truth
      .ids('contacts')
      .filter((c) => ((sim.truth.get('contacts', c)!.tags as TagList).data.length ?? 0) > 10);
    expect(pastTen.length).toBeGreaterThan(1);

    app = await buildApp(testConfig(sim.url, { STREAMS: 'contacts' }), silentLogger(), {
      engineObserver: () => ({ embeddedListRequest: (_stream, name) => listRequests.push(name) }),
    });
    await app.engine.poll('contacts'); // the first sync
    const first = await eventsOf(id, 1);
    expect(first.map((e) => e.value!.op)).toEqual(['r']);
    expect(tagsOf(first[0]!).data.map((t) => t.id)).toEqual(tagIds);
    expect(tagsOf(first[0]!)).toMatchObject({ total_count: 25, has_more: false });
    expect((first[0]!.value!.after!.tags as { data: unknown[] }).data).toHaveLength(25);
    const events = await eventsUntil((e) => pastTen.every((c) => e.has(c)));
    for (const c of pastTen) {
      const raw = events.get(c)!.at(-1)!.value!.raw!;
      expect(JSON.parse(raw)).toEqual(sim.truth.get('contacts', c));
    }
    // One request per contact whose tags said has_more (the simulator's lists fit one page).
    expect(listRequests).toEqual(pastTen.map(() => 'tags'));

    // Polls that re-read the same versions read no list again.
    sim.clock.advance(30_000);
    await app.engine.poll('contacts');
    await app.engine.reconcile('contacts');
    expect(listRequests).toHaveLength(pastTen.length);

    sim.clock.advance(5_000);
    const left = tagIds.filter((_, i) => i !== 19);
    sim.mutate.update('contacts', id, { tags: list(left) });
    await app.engine.poll('contacts');
    const after = await eventsOf(id, 2);
    expect(after.map((e) => e.value!.op)).toEqual(['r', 'u']);
    expect(tagsOf(after[1]!).data.map((t) => t.id)).toEqual(left);
    expect(JSON.parse(after[1]!.value!.raw!)).toEqual(sim.truth.get('contacts', id));
    expect(listRequests).toHaveLength(pastTen.length + 1);
  });
});

const auth = { authorization: 'Bearer test-token' };
