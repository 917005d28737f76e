import { buildApp, type App } from '../../../src/app';
import type { StreamName } from '../../../src/normalize';
import { STREAMS } from '../../../src/streams';
import type { SimStream } from '../../../src/sim';
import { byId, readTopics, testConfig, type DecodedEvent } from './harness';
import { silentLogger } from '../../../src/logger';
import { KAFKA_CLIENTS } from '../../helpers/clients';
import { useSimulator } from '../../helpers/simulator';

const LAG_MS = 90_000;
const WINDOWED: StreamName[] = [
  'contacts',
  'conversations',
  'tickets',
  'articles',
  'help_center_collections',
];
const UNTIMED = new Set<StreamName>(['admins', 'teams', 'tags']);

/**
 * The product's promise, checked against the simulator's ground truth: a full sync, then rounds of
 * changes (same-second bursts, merges, deletes, around midnight in a non-UTC workspace, with search-index
 * lag); every version the API showed is published exactly once, nothing else is, deletes end in `d` + tombstone.
 */
/**
 * Each Kafka client with the default read budget, and once with a read budget of one byte: one page
 * answer held at a time across every walk, prefetches included (MAX_READ_BYTES: nothing waits forever,
 * nothing is lost).
 */
const RUNS: [string, string | undefined][] = [
  ...KAFKA_CLIENTS.map((c): [string, string | undefined] => [c, undefined]),
  ['kafkajs', '1'],
];

describe.each(RUNS)(
  'capture engine against the simulator (KAFKA_CLIENT=%s, MAX_READ_BYTES=%s)',
  (client, readBytes) => {
    const sim = useSimulator(() => ({
      seed: 7,
      size: {
        contacts: 80,
        companies: 12,
        conversations: 25,
        tickets: 12,
        admins: 4,
        teams: 3,
        tags: 6,
        segments: 3,
        articles: 10,
        collections: 4,
        dataAttributes: 6,
        partsPerConversation: 3,
      },
      timezone: 'America/Los_Angeles',
      searchLagMs: LAG_MS,
      latency: { ms: 5, p99Ms: 40 }, // answers take time: walks, fetches and commits overlap
      // 23:40 in Los Angeles: the rounds below cross the workspace's midnight.
      clock: { mode: 'manual', startMs: Date.parse('2026-03-10T07:40:00Z') },
    }));
    let app: App;

    afterAll(async () => {
      await app?.close();
    });

    async function pollAll(): Promise<void> {
      for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
    }

    it('publishes every change once, and deletes as d + tombstone', async () => {
      const config = testConfig(sim.url, {
        WINDOW_OVERLAP_MS: String(LAG_MS + 60_000),
        KAFKA_CLIENT: client,
        ...(readBytes ? { MAX_READ_BYTES: readBytes } : {}),
      });
      app = await buildApp(config, silentLogger());
      await pollAll(); // snapshot

      for (let round = 0; round < 20; round++) {
        sim.clock.advance(7 * 60_000); // 20 rounds: about three hours of simulated changes
        sim.mutate.random(25); // a same-second burst
        sim.clock.advance(LAG_MS + 1000); // every change is searchable before the next poll
        await pollAll();
      }
      for (const stream of WINDOWED) await app.engine.reconcile(stream);

      const events = await readTopics(STREAMS.map((s) => app.topics.events(s)));
      const log = sim.truth.log();
      const checked: Record<string, number> = {};
      for (const stream of STREAMS) {
        const mine = byId(events.filter((e) => e.topic === app.topics.events(stream)));
        const truthLog = log.filter((r) => r.stream === stream);
        checked[stream] = mine.size;
        expect(mine.size).toBeGreaterThan(0);

        for (const [id, list] of mine) {
          const changes = list.filter((e) => e.value && e.value.op !== 'd');
          // exactly once: no version twice
          if (UNTIMED.has(stream)) {
            const raws = changes.map((e) => e.value!.raw);
            expect(new Set(raws).size).toBe(raws.length);
          } else {
            const versions = changes.map((e) => e.value!.source.updated_at);
            expect({ stream, id, versions: new Set(versions).size }).toEqual({
              stream,
              id,
              versions: versions.length,
            });
            // nothing that was not a version of this object
            const real = new Set(
              truthLog.filter((r) => r.id === id && r.updatedAt !== null).map((r) => r.updatedAt! * 1000),
            );
            const logged = versions.filter((v) => real.has(v!));
            expect(logged.length).toBeGreaterThanOrEqual(versions.length - 1); // the first may be the seeded version
          }
          const first = changes[0]?.value;
          if (first) expect(['r', 'c']).toContain(first.op);
          for (const later of changes.slice(1)) expect(later.value!.op).toBe('u');
        }

        // none missing: every version the API showed was published. A version replaced within the same
        // burst (updated, then deleted at the same instant; a part whose conversation was deleted at that
        // instant) never existed at any poll.
        const shown = (t: (typeof log)[number]) =>
          !log.some(
            (later) =>
              later.seq > t.seq &&
              later.atMs === t.atMs &&
              ((later.id === t.id && later.updatedAt !== t.updatedAt) ||
                (later.id === t.parentId && later.op === 'd')),
          );
        for (const r of truthLog.filter((t) => t.op !== 'd' && t.updatedAt !== null && shown(t))) {
          const list = mine.get(r.id) ?? [];
          const versions = new Set(
            list.filter((e) => e.value && e.value.op !== 'd').map((e) => e.value!.source.updated_at),
          );
          expect({ stream, id: r.id, seen: versions.has(r.updatedAt! * 1000) }).toEqual({
            stream,
            id: r.id,
            seen: true,
          });
        }

        // the latest event of every live object is its current version
        if (stream !== 'conversation_parts') {
          for (const id of sim.truth.ids(stream as SimStream)) {
            const last = lastValue(mine.get(id));
            expect({ stream, id, op: last?.op === 'd' ? 'd' : 'live' }).toEqual({ stream, id, op: 'live' });
            const truth = sim.truth.get(stream as SimStream, id)!;
            const raw = JSON.parse(last!.raw!) as Record<string, unknown>;
            if (UNTIMED.has(stream)) expect(raw).toEqual(truth);
            else expect(raw.updated_at).toEqual(truth.updated_at);
          }
        }

        // deletes: a d event, then a tombstone, last for that key
        const live = new Set(stream === 'conversation_parts' ? [] : sim.truth.ids(stream as SimStream));
        for (const r of truthLog.filter((t) => t.op === 'd' && !live.has(t.id))) {
          const list = mine.get(r.id);
          if (!list) continue; // created and deleted between two polls: never visible
          const tail = list.slice(-2);
          expect({ stream, id: r.id, tail: tail.map((e) => e.value?.op ?? 'tombstone') }).toEqual({
            stream,
            id: r.id,
            tail: ['d', 'tombstone'],
          });
        }
      }
      console.log(
        `capture (${client}): checked objects per stream ${JSON.stringify(checked)}; ${log.length} ground-truth changes`,
      );
      expect(log.filter((r) => r.op === 'd').length).toBeGreaterThan(0);
    });
  },
);

function lastValue(list: DecodedEvent[] | undefined): DecodedEvent['value'] | undefined {
  if (!list) return undefined;
  const last = list[list.length - 1];
  return (
    last.value ?? {
      op: 'd',
      source: { updated_at: null, prev_updated_at: null, snapshot: false, stream: '' },
      after: null,
      raw: null,
    }
  );
}
