import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { withChildren } from '../../../src/streams/definitions';
import { readTopics, testConfig } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 9,
  size: { contacts: 40, conversations: 12, partsPerConversation: 3 },
}));

/** Backfill re-reads a stream and publishes `r` events for what differs, or for everything with force. */
describe('backfill', () => {
  it('publishes nothing when the state is current, everything with force, and only recent objects with since', async () => {
    const app = await buildApp(testConfig(sim.url, { STREAMS: 'contacts' }), silentLogger());
    try {
      const ids = sim.truth.ids('contacts');
      await app.engine.poll('contacts');
      expect(await app.engine.backfill('contacts')).toMatchObject({ read: ids.length, published: 0 });
      expect(await app.engine.backfill('contacts', { force: true })).toMatchObject({ published: ids.length });

      const updatedAt = ids
        .map((id) => Number(sim.truth.get('contacts', id)!.updated_at) * 1000)
        .sort((a, b) => a - b);
      const sinceMs = updatedAt[Math.floor(updatedAt.length / 2)];
      const recent = updatedAt.filter((u) => u >= sinceMs).length;
      expect(await app.engine.backfill('contacts', { sinceMs, force: true })).toMatchObject({
        published: recent,
      });

      const events = await readTopics([app.topics.events('contacts')]);
      expect(events).toHaveLength(ids.length * 2 + recent);
      expect(events.every((e) => e.value?.op === 'r')).toBe(true);
      expect(events.slice(ids.length).every((e) => e.value?.source.snapshot === true)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('backfills a conversation with its parts (`backfill --stream conversations` enables them)', async () => {
    const app = await buildApp(
      testConfig(sim.url, { STREAMS: withChildren('conversations').join(',') }),
      silentLogger(),
    );
    try {
      await app.engine.poll('conversations');
      const conversations = sim.truth.ids('conversations');
      const parts = conversations.flatMap((id) => {
        const full = sim.truth.get('conversations', id)!;
        const container = full.conversation_parts as { conversation_parts: unknown[] };
        return container.conversation_parts;
      });
      expect(parts.length).toBeGreaterThan(conversations.length);
      expect(await app.engine.backfill('conversations')).toMatchObject({ published: 0 });
      const forced = await app.engine.backfill('conversations', { force: true });
      expect(forced.published).toBe(conversations.length + parts.length);
      const events = await readTopics([app.topics.events('conversation_parts')]);
      expect(events).toHaveLength(parts.length * 2); // the snapshot, then the forced backfill
      expect(events.every((e) => e.value?.op === 'r')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
