/**
 * StreamCapture's promises (README, "How it captures": Diff, Exactly once), each stated once, on an
 * in-memory Intercom and committer.
 */
import { Walk } from '../../../src/capture/stream';
import type { Page } from '../../../src/intercom/pagination';
import conversation from '../../fixtures/intercom/conversations.json';
import part from '../../fixtures/intercom/conversation_parts.json';
import type { Reading } from '../../../src/normalize';
import { FakeIntercom, aTicket, captureOf, eventsOf, readPage } from './fakes';

type Obj = Record<string, unknown>;

const tick = () => new Promise((resolve) => setImmediate(resolve));
const gets = (client: FakeIntercom) => client.served.filter((s) => s.kind === 'get');
const incremental = () => new Walk({ snapshot: false });
/** A page of tickets as a request issued now would return it. */
const pageOf = (...items: Obj[]): Page<Reading> => readPage('tickets', items);

describe('StreamCapture', () => {
  it('keeps one read of an object in flight: a fetch asked for meanwhile runs after it, and serves every later ask', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, 200));
    const { capture } = captureOf('tickets', client);
    client.hold();
    const walk = incremental();
    const first = capture.fetch('1', walk);
    const second = capture.fetch('1', walk);
    const third = capture.fetch('1', walk);
    await tick();
    expect(gets(client)).toHaveLength(1);
    expect(third).toBe(second); // one fetch queued behind the one on the wire
    client.release();
    await Promise.all([first, second, third]);
    expect(gets(client)).toHaveLength(2);
    expect(client.maxInFlight).toBe(1);
  });

  it('deletes an object a fetch finds gone (404), and no copy read before that 404 brings it back', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, 200));
    const { capture, committer } = captureOf('tickets', client);
    const before = pageOf(aTicket('1', 100, 300)); // issued before the delete, answered late
    await capture.observePage(pageOf(aTicket('1', 100, 200)), false, new Walk({ snapshot: true }));
    client.delete('/tickets', '1');
    const walk = incremental();
    await capture.fetch('1', walk);
    expect(walk.counts.deleted).toBe(1);
    await capture.observePage(before, true, walk);
    await capture.observePage(before, false, walk);
    await walk.tasks.drain();
    expect(capture.lookup('1')).toBeUndefined();
    // A read issued after the 404 that shows the object again (unarchived) brings it back.
    await capture.observePage(pageOf(aTicket('1', 100, 400)), false, walk);
    await capture.flush();
    expect(eventsOf(committer, 'tickets').map((e) => e.op)).toEqual(['r', 'd', 'tombstone', 'c']);
  });

  it('decides a search copy it cannot settle on the object as fetched, never on the copy', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, 250)); // Intercom has moved on since the index was written
    client.put('/tickets', aTicket('2', 100, 200, { category: 'Now' }));
    const { capture, store } = captureOf('tickets', client);
    store.setObject('tickets', '2', { u: 200_000, h: 'another-hash' });
    store.setObject('tickets', '3', { u: 300_000, h: 'h3' });
    const walk = incremental();
    const seen = await capture.observePage(
      pageOf(
        aTicket('1', 100, 200), // unknown to the state: maybe deleted, maybe new
        aTicket('2', 100, 200, { category: 'Then' }), // the state's second, other content: maybe older
        aTicket('3', 100, 299), // older than the state: a lagging index, never published
      ),
      true,
      walk,
    );
    await walk.tasks.drain();
    await capture.flush();
    expect(seen.ids).toEqual(['1', '2', '3']);
    expect(gets(client).map((g) => g.path)).toEqual(['/tickets/1', '/tickets/2']);
    expect(store.object('tickets', '1')!.u).toBe(250_000); // the fetched version
    expect(store.object('tickets', '3')).toEqual({ u: 300_000, h: 'h3' });
    expect(walk.counts).toMatchObject({ read: 3, published: 2 });
  });

  it('publishes a copy from a listing (no lagging index) without fetching it', async () => {
    const client = new FakeIntercom();
    const { capture, committer } = captureOf('tickets', client);
    const walk = incremental();
    await capture.observePage(pageOf(aTicket('1', 100, 200)), false, walk);
    await capture.flush();
    expect(gets(client)).toHaveLength(0);
    expect(eventsOf(committer, 'tickets')).toEqual([{ op: 'c', id: '1' }]);
  });

  it("commits a parent's event with its children's events and states, in one transaction", async () => {
    const client = new FakeIntercom();
    const parts = [
      { ...part, id: 'p1' },
      { ...part, id: 'p2' },
    ];
    client.put('/conversations', {
      ...conversation,
      conversation_parts: { type: 'conversation_part.list', conversation_parts: parts, total_count: 2 },
    });
    const { capture, committer } = captureOf('conversations', client);
    const walk = incremental();
    await capture.observePage(readPage('conversations', [{ ...conversation }]), true, walk);
    await walk.tasks.drain();
    await capture.flush();
    expect(committer.transactions).toHaveLength(1);
    const [transaction] = committer.transactions;
    const count = (topic: string) => transaction!.find((b) => b.topic === topic)?.messages.length;
    expect(count('cdc.conversations')).toBe(1);
    expect(count('cdc.conversation_parts')).toBe(2);
    expect(count('cdc._state')).toBe(3);
    expect(eventsOf(committer, 'conversation_parts').map((e) => e.id)).toEqual(['p1', 'p2']);
  });

  it('runs at most maxFetches fetches at once: a page waits for room before it starts another', async () => {
    const client = new FakeIntercom();
    const tickets = ['1', '2', '3', '4', '5'].map((id) => aTicket(id, 100, 200));
    for (const t of tickets) client.put('/tickets', t);
    const { capture } = captureOf('tickets', client, { maxFetches: 2 });
    client.hold();
    const walk = incremental();
    let observed = false;
    const page = capture.observePage(pageOf(...tickets), true, walk).then(() => (observed = true));
    await tick();
    expect(client.heldCount).toBe(2);
    expect(observed).toBe(false);
    client.release();
    await page;
    await walk.tasks.drain();
    expect(gets(client)).toHaveLength(5);
    expect(client.maxInFlight).toBe(2);
  });

  it('confirms with a fetch each id a listing that can miss objects lacked, and deletes only what answers 404', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, 200));
    const { capture, store, committer } = captureOf('tickets', client);
    await capture.observePage(pageOf(aTicket('1', 100, 200)), false, new Walk({ snapshot: true }));
    await capture.flush();
    const state1 = store.object('tickets', '1');
    store.setObject('tickets', '2', { u: 200_000, h: 'y' });
    store.setObject('tickets', '3', { u: 200_000, h: 'z' });
    const walk = incremental();
    await capture.removeMissing(capture.liveIds(), new Set(['3']), true, walk);
    await capture.flush();
    expect(gets(client).map((g) => g.path)).toEqual(['/tickets/1', '/tickets/2']);
    expect(eventsOf(committer, 'tickets')).toEqual([
      { op: 'r', id: '1' },
      { op: 'd', id: '2' },
      { op: 'tombstone', id: '2' },
    ]);
    expect(store.object('tickets', '1')).toEqual(state1); // alive and unchanged: nothing published
    // Without confirmation (a listing that cannot miss anything), the delete is at once.
    await capture.removeMissing(capture.liveIds(), new Set(), false, walk);
    expect(capture.liveIds()).toEqual([]);
    expect(gets(client)).toHaveLength(2);
  });
});
