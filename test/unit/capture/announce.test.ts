/**
 * Heartbeats and notifications (README, "Operations"): written in the capture's transactions, a
 * heartbeat names only committed positions, one goes out at its interval while nothing changes, and a
 * first sync tells its start, progress and end; completeness is measured after a first sync.
 */
import {
  Announcer,
  type AnnouncementEncoder,
  type Heartbeat,
  type Notification,
} from '../../../src/capture/announce';
import type { Completeness } from '../../../src/capture/completeness';
import type { TopicBatch } from '../../../src/capture/contracts';
import type { EngineSettings } from '../../../src/capture/engine';
import { StateStore } from '../../../src/kafka/state-store';
import type { StreamName } from '../../../src/streams/names';
import { CLOCK_MS, FakeIntercom, MemoryCommitter, aTicket, engineOf } from './fakes';

const NOW_S = CLOCK_MS / 1000;

/** Writes heartbeats and notifications as JSON, to read them back in the tests. */
const jsonEncoder: AnnouncementEncoder = {
  heartbeat: (h) => ({ key: 'ws', value: JSON.stringify(h) }),
  notification: (n) => ({ key: 'ws', value: JSON.stringify(n) }),
};

function heartbeatsIn(batches: TopicBatch[]): Heartbeat[] {
  return batches
    .filter((b) => b.topic === 'cdc._heartbeat')
    .flatMap((b) => b.messages.map((m) => JSON.parse(String(m.value)) as Heartbeat));
}

function notificationsOf(committer: MemoryCommitter): Notification[] {
  return committer.on('cdc._notifications').map((m) => JSON.parse(String(m.value)) as Notification);
}

function setUp(
  client: FakeIntercom,
  streams: StreamName[],
  o: { heartbeatIntervalMs?: number; settings?: Partial<EngineSettings>; clock?: () => number } = {},
) {
  const store = new StateStore('cdc');
  const committer = new MemoryCommitter();
  const clock = o.clock ?? (() => CLOCK_MS);
  const completeness: Completeness[] = [];
  let ids = 0;
  const announcer = new Announcer({
    encoder: jsonEncoder,
    heartbeatTopic: 'cdc._heartbeat',
    notificationsTopic: 'cdc._notifications',
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 0,
    progressIntervalMs: 0,
    connector: 'cdc',
    workspaceId: 'ws',
    version: '9.9.9',
    streams,
    store,
    clock,
    newId: () => `n${++ids}`,
  });
  const { engine } = engineOf(client, streams, {
    store,
    committer,
    settings: { pollIntervalMs: () => 60_000, maxBatch: 2, ...o.settings },
    deps: { clock, announcer, observer: { completeness: (c) => completeness.push(c) } },
  });
  return { engine, store, committer, announcer, completeness };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Announcer', () => {
  it('names the positions the store holds (what committed), not what a batch holds pending', () => {
    const store = new StateStore('cdc');
    store.setProgress('tickets', { watermark: 1000, lastReconcile: null, snapshotDone: true });
    const announcer = new Announcer({
      encoder: jsonEncoder,
      heartbeatTopic: 'hb',
      notificationsTopic: 'nt',
      heartbeatIntervalMs: 1000,
      progressIntervalMs: 0,
      connector: 'cdc',
      workspaceId: 'ws',
      version: '1.2.3',
      streams: ['tickets', 'contacts'],
      store,
      clock: () => 5000,
      newId: () => 'x',
    });
    const taken = announcer.take();
    expect(
      heartbeatsIn(taken.map((b) => ({ ...b, topic: b.topic === 'hb' ? 'cdc._heartbeat' : b.topic }))),
    ).toEqual([
      {
        connector: 'cdc',
        workspaceId: 'ws',
        version: '1.2.3',
        tsMs: 5000,
        streams: [
          { stream: 'tickets', watermark: 1000, snapshotDone: true, lastReconcile: null },
          { stream: 'contacts', watermark: null, snapshotDone: false, lastReconcile: null },
        ],
      },
    ]);
    // Not due again before its interval.
    expect(announcer.take()).toEqual([]);
    expect(announcer.heartbeatInMs()).toBe(1000);
  });

  it('thins out the progress of a first sync to one per interval, and never thins out its start or end', () => {
    let now = 0;
    const announcer = new Announcer({
      encoder: jsonEncoder,
      heartbeatTopic: 'hb',
      notificationsTopic: 'nt',
      heartbeatIntervalMs: 0,
      progressIntervalMs: 1000,
      connector: 'cdc',
      workspaceId: 'ws',
      version: '1',
      streams: [],
      store: new StateStore('cdc'),
      clock: () => now,
      newId: () => 'x',
    });
    announcer.snapshot('contacts', 'STARTED', {});
    now = 500;
    announcer.snapshot('contacts', 'IN_PROGRESS', { slices_done: 1 });
    now = 1000;
    announcer.snapshot('contacts', 'IN_PROGRESS', { slices_done: 2 });
    now = 1200;
    announcer.snapshot('contacts', 'IN_PROGRESS', { slices_done: 3 });
    announcer.snapshot('contacts', 'COMPLETED', { read: 9 });
    const types = announcer
      .take()
      .flatMap((b) => b.messages)
      .map((m) => {
        const n = JSON.parse(String(m.value)) as Notification;
        return `${n.type}:${n.additionalData.slices_done ?? ''}`;
      });
    expect(types).toEqual(['STARTED:', 'IN_PROGRESS:2', 'COMPLETED:']);
  });
});

describe('CaptureEngine with an announcer', () => {
  it('tells a first sync: STARTED, then COMPLETED with its counts, after its events committed', async () => {
    const client = new FakeIntercom();
    for (let i = 1; i <= 5; i++) client.put('/tickets', aTicket(String(i), 100 + i, NOW_S - 100 + i));
    const { engine, committer } = setUp(client, ['tickets']);
    await engine.poll('tickets');
    await until(() => notificationsOf(committer).some((n) => n.type === 'COMPLETED'));
    const told = notificationsOf(committer).filter((n) => n.aggregateType === 'Initial Snapshot');
    // Progress as its slices complete (every one here: progressIntervalMs 0).
    const types = told.map((n) => n.type);
    expect(types[0]).toBe('STARTED');
    expect(types.at(-1)).toBe('COMPLETED');
    expect(types.slice(1, -1).length).toBeGreaterThan(0);
    expect(new Set(types.slice(1, -1))).toEqual(new Set(['IN_PROGRESS']));
    expect(told.at(-1)!.additionalData).toMatchObject({
      connector_name: 'cdc',
      data_collections: 'tickets',
      read: '5',
      published: '5',
    });
    // COMPLETED commits after every event of the snapshot.
    const completedAt = committer.transactions.findIndex((t) =>
      t.some((b) => b.topic === 'cdc._notifications' && String(b.messages[0]?.value).includes('COMPLETED')),
    );
    const lastEvents = Math.max(
      ...committer.transactions.map((t, i) =>
        t.some((b) => b.topic === 'cdc.tickets' && b.messages.length > 0) ? i : -1,
      ),
    );
    expect(completedAt).toBeGreaterThanOrEqual(lastEvents);
  });

  it('tells an aborted first sync, with the reason', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    client.failingLists.set('/tickets/search', new Error('the search broke'));
    const { engine, committer } = setUp(client, ['tickets']);
    await expect(engine.poll('tickets')).rejects.toThrow('the search broke');
    await until(() => notificationsOf(committer).some((n) => n.type === 'ABORTED'));
    expect(notificationsOf(committer).find((n) => n.type === 'ABORTED')!.additionalData.reason).toBe(
      'the search broke',
    );
  });

  it('never names a watermark in a heartbeat before the transaction that commits it', async () => {
    const client = new FakeIntercom();
    for (let i = 1; i <= 9; i++) client.put('/tickets', aTicket(String(i), 100 + i, NOW_S - 100 + i));
    // A heartbeat is due at every transaction: each names what committed before it.
    const { engine, committer } = setUp(client, ['tickets'], { heartbeatIntervalMs: 1, clock: Date.now });
    await engine.poll('tickets');
    await engine.poll('tickets');
    let committed: number | null = null;
    let heartbeats = 0;
    for (const transaction of committer.transactions) {
      for (const h of heartbeatsIn(transaction)) {
        heartbeats++;
        const named = h.streams[0]!.watermark;
        if (named !== null) expect(committed).not.toBeNull();
        if (named !== null) expect(named).toBeLessThanOrEqual(committed!);
      }
      for (const m of transaction.filter((b) => b.topic === 'cdc._state').flatMap((b) => b.messages)) {
        const record = JSON.parse(String(m.value)) as { watermark?: number | null };
        if (String(m.key) === 'cdc/tickets' && typeof record.watermark === 'number')
          committed = record.watermark;
      }
    }
    expect(heartbeats).toBeGreaterThan(0);
    expect(committed).not.toBeNull();
  });

  it('writes a heartbeat at its interval while nothing changes, in a transaction of its own', async () => {
    const client = new FakeIntercom();
    const { engine, committer } = setUp(client, ['admins'], { heartbeatIntervalMs: 40, clock: Date.now });
    const stop = new AbortController();
    const running = engine.run(stop.signal);
    await until(() => committer.on('cdc._heartbeat').length >= 4);
    stop.abort();
    await running;
    const alone = committer.transactions.filter((t) => t.every((b) => b.topic === 'cdc._heartbeat'));
    expect(alone.length).toBeGreaterThanOrEqual(3);
    const times = heartbeatsIn(committer.transactions.flat()).map((h) => h.tsMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(39);
  });

  it('measures completeness after a first sync: a gap when Intercom counts more than the state holds', async () => {
    const client = new FakeIntercom();
    for (let i = 1; i <= 4; i++) client.put('/tickets', aTicket(String(i), 100 + i, NOW_S - 100 + i));
    client.lyingTotal = 5;
    const { engine, committer, completeness } = setUp(client, ['tickets'], {
      settings: { completeness: true },
    });
    await engine.poll('tickets');
    expect(completeness).toEqual([
      { stream: 'tickets', reported: 5, held: 4, gap: 1, partsGaps: [], partsMissing: 0 },
    ]);
    await until(() => notificationsOf(committer).some((n) => n.aggregateType === 'Completeness'));
    const told = notificationsOf(committer).find((n) => n.aggregateType === 'Completeness')!;
    expect(told.type).toBe('GAP');
    expect(told.additionalData).toMatchObject({ stream: 'tickets', reported: '5', held: '4', gap: '1' });
  });

  it('finds nothing missing on a complete stream', async () => {
    const client = new FakeIntercom();
    for (let i = 1; i <= 4; i++) client.put('/tickets', aTicket(String(i), 100 + i, NOW_S - 100 + i));
    const { engine, committer, completeness } = setUp(client, ['tickets'], {
      settings: { completeness: true },
    });
    await engine.poll('tickets');
    expect(completeness.map((c) => c.gap)).toEqual([0]);
    await until(() => notificationsOf(committer).some((n) => n.aggregateType === 'Completeness'));
    expect(notificationsOf(committer).find((n) => n.aggregateType === 'Completeness')!.type).toBe('COMPLETE');
  });
});
