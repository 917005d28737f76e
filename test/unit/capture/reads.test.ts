/**
 * The reads of a stream (README, "How it captures": Windows with overlap, Resumable first syncs,
 * Reconciliation, Exactly once): what each reads, and when it moves the stream's progress.
 */
import type { TopicBatch } from '../../../src/capture/contracts';
import {
  CLOCK_MS,
  FakeIntercom,
  aTicket,
  captureOf,
  codecOf,
  eventsOf,
  type MemoryCommitter,
  readsOn,
} from './fakes';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const NOW_S = CLOCK_MS / 1000;

/** Where in the committed transactions the progress record of `stream` is, and the last event. */
function positions(committer: MemoryCommitter, stream: string) {
  const has = (t: TopicBatch[], topic: string, key?: string) =>
    t.some((b) => b.topic === topic && b.messages.some((m) => key === undefined || m.key === key));
  const txs = committer.transactions;
  return {
    progress: txs.findIndex((t) => has(t, 'cdc._state', `cdc/${stream}`)),
    lastEvent: txs.map((t) => has(t, `cdc.${stream}`)).lastIndexOf(true),
  };
}

describe('StreamReads', () => {
  it('moves the watermark of an incremental poll to the newest change, only after every read of it was decided on', async () => {
    const client = new FakeIntercom();
    const { capture, store, committer } = captureOf('tickets', client);
    store.setProgress('tickets', { watermark: (NOW_S - 60) * 1000, lastReconcile: null, snapshotDone: true });
    client.put('/tickets', aTicket('1', 100, NOW_S - 30)); // unknown to the state: fetched
    client.put('/tickets', aTicket('2', 100, NOW_S - 7200)); // before the window's overlap
    client.hold();
    const poll = readsOn(client).incremental(capture);
    await tick();
    await tick();
    expect(client.heldCount).toBe(1);
    expect(capture.cursor.progress.watermark).toBe((NOW_S - 60) * 1000); // not moved while a fetch is out
    client.release();
    const summary = await poll;
    expect(summary).toMatchObject({ kind: 'incremental', published: 1 });
    expect(store.streamProgress('tickets').watermark).toBe((NOW_S - 30) * 1000);
    const at = positions(committer, 'tickets');
    expect(at.progress).toBeGreaterThanOrEqual(at.lastEvent);
    expect(client.served[0]).toMatchObject({ kind: 'search', priority: 'poll' });
  });

  it('resumes a first sync at the slices not yet done, from its first watermark, and ends it', async () => {
    const client = new FakeIntercom();
    const { capture, store, committer } = captureOf('tickets', client);
    store.setProgress('tickets', {
      watermark: null,
      lastReconcile: null,
      snapshotDone: false,
      snapshot: { watermark: 42_000, unit: 'second', done: [[-1, 2_000]] },
    });
    client.put('/tickets', aTicket('done-before', 1_000, NOW_S));
    client.put('/tickets', aTicket('left', 3_000, NOW_S));
    const summary = await readsOn(client).snapshot(capture);
    expect(summary).toMatchObject({ kind: 'snapshot', published: 1 });
    expect(eventsOf(committer, 'tickets')).toEqual([{ op: 'r', id: 'left' }]);
    expect(store.streamProgress('tickets')).toEqual({
      watermark: 42_000,
      lastReconcile: null,
      snapshotDone: true,
    });
  });

  it('takes a first sync’s watermark before it lists, and records each slice in a transaction after its events', async () => {
    const client = new FakeIntercom();
    client.pageSize = 150;
    const n = 2_000; // over the smallest slice target (600): the first sync is cut into slices
    for (let i = 0; i < n; i++) client.put('/tickets', aTicket(`t${i}`, NOW_S - i * 997, NOW_S - i));
    const { capture, store, committer } = captureOf('tickets', client, { maxBatch: 200 });
    await readsOn(client).snapshot(capture);
    expect(store.streamProgress('tickets')).toMatchObject({ watermark: CLOCK_MS, snapshotDone: true });
    expect(new Set(eventsOf(committer, 'tickets').map((e) => e.id)).size).toBe(n);
    // A slice recorded done commits with or after the events of every object created in it.
    const created = new Map(
      [...client.collections.get('/tickets')!.values()].map((t) => [t.id, t.created_at]),
    );
    const published = new Set<unknown>();
    let recorded = 0;
    for (const t of committer.transactions) {
      for (const m of t.find((b) => b.topic === 'cdc.tickets')?.messages ?? [])
        published.add(codecOf('tickets').key.fromBuffer((m.key as Buffer).subarray(5)).id);
      for (const m of t.find((b) => b.topic === 'cdc._state')?.messages ?? []) {
        if (m.key !== 'cdc/tickets') continue;
        const done = (JSON.parse(String(m.value)) as { snapshot?: { done: [number, number][] } }).snapshot
          ?.done;
        if (done) recorded += 1;
        for (const [a, b] of done ?? []) {
          for (const [id, at] of created)
            if ((at as number) > a && (at as number) <= b) expect(published).toContain(id);
        }
      }
    }
    expect(recorded).toBeGreaterThan(1);
    expect(client.served[0]).toMatchObject({ kind: 'search', priority: 'bulk' }); // the newest object
  });

  it('reconciles beside the polls: lists everything at background priority, deletes what a 404 confirms', async () => {
    const client = new FakeIntercom();
    const { capture, store, committer } = captureOf('tickets', client);
    await readsOn(client).snapshot(capture); // nothing yet
    client.put('/tickets', aTicket('kept', 100, NOW_S));
    client.put('/tickets', aTicket('skipped', 100, NOW_S));
    client.put('/tickets', aTicket('gone', 100, NOW_S));
    await readsOn(client).scan(captureOf('tickets', client, { store, committer }).capture);
    client.unlisted.add('skipped'); // the listing misses it, the object is still there
    client.delete('/tickets', 'gone');
    client.served.length = 0;
    const fresh = captureOf('tickets', client, { store, committer }).capture;
    const summary = await readsOn(client).reconcile(fresh);
    expect(summary).toMatchObject({ deleted: 1, published: 0 });
    expect(client.served.filter((s) => s.kind === 'search').every((s) => s.priority === 'background')).toBe(
      true,
    );
    expect(
      client.served
        .filter((s) => s.kind === 'get')
        .map((s) => s.path)
        .sort(),
    ).toEqual(['/tickets/gone', '/tickets/skipped']);
    expect(store.object('tickets', 'skipped')).toBeDefined();
    expect(store.object('tickets', 'gone')).toBeUndefined();
    expect(store.streamProgress('tickets').lastReconcile).toBe(CLOCK_MS);
    expect(eventsOf(committer, 'tickets').slice(-2)).toEqual([
      { op: 'd', id: 'gone' },
      { op: 'tombstone', id: 'gone' },
    ]);
  });

  it('scans an unpaginated stream in full every poll and deletes what it lacks at once', async () => {
    const client = new FakeIntercom();
    client.put('/tags', { type: 'tag', id: '1', name: 'a' });
    client.put('/tags', { type: 'tag', id: '2', name: 'b' });
    const { capture, store, committer } = captureOf('tags', client);
    const first = await readsOn(client).scan(capture);
    expect(first).toMatchObject({ kind: 'snapshot', published: 2 });
    client.delete('/tags', '2');
    client.put('/tags', { type: 'tag', id: '1', name: 'renamed' });
    const second = await readsOn(client).scan(capture);
    expect(second).toMatchObject({ kind: 'scan', published: 1, deleted: 1 });
    expect(client.served.some((s) => s.kind === 'get')).toBe(false);
    expect(eventsOf(committer, 'tags').map((e) => `${e.op}${e.id}`)).toEqual([
      'r1',
      'r2',
      'u1',
      'd2',
      'tombstone2',
    ]);
    expect(store.streamProgress('tags')).toMatchObject({ snapshotDone: true, lastReconcile: CLOCK_MS });
  });

  it('backfills everything again as r events with force, and only what differs without', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S));
    client.put('/tickets', aTicket('2', 100, NOW_S));
    const { capture, committer } = captureOf('tickets', client);
    await readsOn(client).snapshot(capture);
    expect(await readsOn(client).backfill(capture, {})).toMatchObject({ kind: 'backfill', published: 0 });
    expect(await readsOn(client).backfill(capture, { force: true })).toMatchObject({ published: 2 });
    expect(eventsOf(committer, 'tickets').map((e) => e.op)).toEqual(['r', 'r', 'r', 'r']);
  });
});
