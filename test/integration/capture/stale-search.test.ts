import { canonicalJson } from '../../../src/normalize';
import { buildApp, type App } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import type { SearchableStream } from '../../../src/sim';
import { byId, readTopics, testConfig, type DecodedEvent } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 21,
  size: { contacts: 30, conversations: 10, partsPerConversation: 2 },
  clock: { mode: 'manual', startMs: Date.parse('2026-05-04T10:00:00Z') },
}));

const FROZEN_MS = 90_000;

/**
 * Intercom's search index can keep serving an older copy of an object, or keep listing a deleted one,
 * for minutes. The connector decides on the object as fetched whenever the copy cannot settle it, so
 * consumers never see an older version come back, nor a deleted object return.
 */
describe('a stale search index', () => {
  let app: App;

  beforeEach(async () => {
    app = await buildApp(
      testConfig(sim.url, {
        STREAMS: 'contacts,conversations,conversation_parts',
        WINDOW_OVERLAP_MS: String(FROZEN_MS + 60_000),
      }),
      silentLogger(),
    );
    await pollAll(); // snapshot
    await pollAll();
  });

  afterEach(async () => {
    await app?.close();
  });

  async function pollAll(): Promise<void> {
    for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
  }

  /** Polls while the copy stays frozen, then once the index shows the truth, then reconciles. */
  async function pollThroughTheFreeze(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      sim.clock.advance(15_000);
      await pollAll();
    }
    sim.clock.advance(FROZEN_MS);
    await pollAll();
    await pollAll();
    for (const stream of app.engine.polledStreams()) await app.engine.reconcile(stream);
    await pollAll();
  }

  async function eventsOf(stream: SearchableStream, id: string): Promise<DecodedEvent[]> {
    const events = await readTopics([app.topics.events(stream)]);
    return byId(events).get(id) ?? [];
  }

  /** The updated_at and raw JSON of each change event after the snapshot. */
  function changes(list: DecodedEvent[]): { op: string; raw: string | null }[] {
    return list
      .filter((e) => e.value && e.value.op !== 'r')
      .map((e) => ({ op: e.value!.op, raw: e.value!.raw }));
  }

  it.each<SearchableStream>(['contacts', 'conversations'])(
    '%s: two versions in one second while search shows the older: each version once, never the older after the newer',
    async (stream) => {
      const id = sim.truth.ids(stream)[3]!;
      sim.clock.advance(5_000);
      sim.mutate.update(stream, id, stream === 'contacts' ? { name: 'First of the second' } : undefined);
      const v1 = sim.truth.get(stream, id)!;
      sim.mutate.freezeSearch(stream, id, FROZEN_MS);
      sim.mutate.update(stream, id, stream === 'contacts' ? { name: 'Second of the second' } : undefined);
      const v2 = sim.truth.get(stream, id)!;
      expect(v2.updated_at).toBe(v1.updated_at);

      await pollThroughTheFreeze();

      const published = changes(await eventsOf(stream, id)).map((c) => ({
        op: c.op,
        version: sameVersion(c.raw, v2) ? 'v2' : sameVersion(c.raw, v1) ? 'v1' : 'other',
      }));
      // A poll could see v1 (the index) or v2 (the object): each at most once, v2 last and once.
      expect(published.filter((p) => p.version === 'other')).toEqual([]);
      expect(published.filter((p) => p.version === 'v2')).toHaveLength(1);
      expect(published.filter((p) => p.version === 'v1').length).toBeLessThanOrEqual(1);
      expect(published[published.length - 1]).toEqual({ op: 'u', version: 'v2' });
    },
  );

  it('a contact created and changed again in its first second while search shows the creation: the newer once, the older never after it', async () => {
    sim.clock.advance(5_000);
    const id = sim.mutate.create('contacts', { name: 'Created' });
    const v1 = sim.truth.get('contacts', id)!;
    sim.mutate.freezeSearch('contacts', id, FROZEN_MS);
    sim.mutate.update('contacts', id, { name: 'Renamed in the same second' });
    const v2 = sim.truth.get('contacts', id)!;
    expect(v2.updated_at).toBe(v1.updated_at);

    await pollThroughTheFreeze();

    const published = changes(await eventsOf('contacts', id)).map((c) => ({
      op: c.op,
      version: sameVersion(c.raw, v2) ? 'v2' : sameVersion(c.raw, v1) ? 'v1' : 'other',
    }));
    // The index's copy is unknown to the state: only the object itself says which version is current.
    expect(published).toEqual([{ op: 'c', version: 'v2' }]);
  });

  it.each<SearchableStream>(['contacts', 'conversations'])(
    '%s: deleted while search keeps listing it: one d, its tombstone, and it never comes back',
    async (stream) => {
      const id = sim.truth.ids(stream)[5]!;
      sim.clock.advance(5_000);
      sim.mutate.update(stream, id);
      sim.mutate.freezeSearch(stream, id, FROZEN_MS);
      sim.mutate.remove(stream, id);

      await pollThroughTheFreeze();

      const list = await eventsOf(stream, id);
      const after = list.filter((e) => !e.value || e.value.op !== 'r');
      const deletes = after.filter((e) => e.value?.op === 'd');
      expect(deletes).toHaveLength(1);
      const d = after.indexOf(deletes[0]!);
      expect(after.slice(d).map((e) => e.value?.op ?? 'tombstone')).toEqual(['d', 'tombstone']);
      expect(after.slice(0, d).every((e) => e.value?.op === 'u')).toBe(true);
    },
  );
});

/** Whether an event's raw JSON is this version of the object (conversations: without their parts). */
function sameVersion(raw: string | null, version: Record<string, unknown>): boolean {
  if (!raw) return false;
  const mine = JSON.parse(raw) as Record<string, unknown>;
  const strip = (o: Record<string, unknown>) => {
    const { conversation_parts: _parts, ...rest } = o;
    return rest;
  };
  return canonicalJson(strip(mine)) === canonicalJson(strip(version));
}
